/** The `nudge` command line: one subcommand per job, each with --help. */
import { Command } from 'commander';
import { runDemo, DEFAULT_DEMO_DIR } from '../dev/demo/run-demo';
import { startLocalServers } from '../dev/servers/local-servers';
import { loadConfig } from '../platform/config';
import { startCollectService } from '../engine/collect/collect-service';
import { startApiService } from '../engine/api/api-service';
import { startEngine } from '../engine/engine-service';
import { startInboundService } from '../engine/inbound/inbound-service';
import { runErase, runExport } from '../engine/privacy/privacy-commands';
import { runProfile } from '../engine/profile/profile-command';
import { startWorkerService } from '../workflows/worker-service';
import { runTokenCreate } from './api-command';
import { runAudienceCommand } from './audience-command';
import { runDeadLetters } from './dead-letters-command';
import { runJourneyEventsExport, type ExportOptions } from './journey-events-command';
import { runGraph } from './graph-command';
import { NatsConfigError, writeNatsConfig, type NatsConfigOptions } from './nats-config-command';
import { runPublish } from './publish-command';
import { runCodecServer, runSetupTemporal } from './temporal-commands';
import { runRulesDeploy, runRulesHistory, runRulesRollback } from './rules-command';
import { runSchema } from './schema-command';
import { DEFAULT_REPORT_PORT, runReportCli, type ReportCliOptions } from './report-command';
import { runTrain } from './train-command';
import { runExplain, runSimulate, type SimulateOptions } from './simulate-command';
import { runValidate } from './validate-command';
import { untilSignal } from './until-signal';

const program = new Command()
  .name('nudge')
  .description('Rule-driven marketing automation: behavior events over NATS start durable Temporal journeys.\nConfiguration comes from environment variables (see README.md); defaults match `nudge dev`.')
  .showHelpAfterError();

program
  .command('engine')
  .description('consume events, keep behavior state, merge people, match rules and start journeys; engines started with the same configuration share the partitions, and one of them resolves identities (raw stream → identity graph → person partitions); refuses to start on an invalid rule set')
  .action(async () => {
    const engine = await startEngine();
    await untilSignal();
    await engine.stop();
  });

program
  .command('worker')
  .description('run journey workflows and their activities (email, SMS, coupon, webhook connectors)')
  .action(async () => {
    const worker = await startWorkerService(loadConfig(), process.env);
    await untilSignal();
    await worker.stop();
  });

program
  .command('inbound')
  .description('serve unsubscribe links (GET/POST /u/<token>, RFC 8058 one-click), tracked clicks and the open pixel (GET /c/<token>, /o/<token>), email bounce and complaint reports (POST /email/events) and the SMS provider webhooks (Twilio: /twilio/inbound, /twilio/status; HTTP SMS: /http-sms/inbound, /http-sms/status) on NUDGE_INBOUND_PORT (4290)')
  .action(async () => {
    const inbound = await startInboundService();
    await untilSignal();
    await inbound.stop();
  });

program
  .command('collect')
  .description('serve the Segment HTTP Tracking API (/v1/track, /v1/identify, /v1/alias, /v1/page, /v1/screen, /v1/group, /v1/batch, and analytics.js\'s /v1/t, /v1/p, /v1/i, /v1/b, …) on NUDGE_COLLECT_PORT (4295): Segment\'s SDKs and trackers send events to nudge unchanged, authenticated by the write keys in NUDGE_WRITE_KEYS; browsers only from the origins their key allows (CORS)')
  .action(async () => {
    const collector = await startCollectService();
    await untilSignal();
    await collector.stop();
  });

const api = program
  .command('api')
  .description('serve the HTTP API for CRM and support tools on NUDGE_API_PORT (4296): GET /v1/profiles/<any identifier>[/journeys] (viewer), POST /v1/profiles/<id>/export, /v1/profiles/<id>/erase and /v1/events (operator, each written to the audit stream nudge_audit); bearer tokens from NUDGE_API_TOKENS; the OpenAPI 3.1 document at /openapi.json')
  .action(async () => {
    const server = await startApiService();
    await untilSignal();
    await server.stop();
  });

api
  .command('token')
  .description('API tokens')
  .command('create')
  .description('print a new API token once, with the NUDGE_API_TOKENS entry (name, role, SHA-256, expiry) that admits it')
  .requiredOption('--role <role>', 'viewer (reads profiles and journeys) or operator (also exports, erases and posts events)')
  .requiredOption('--name <name>', 'who holds it: the actor recorded in the audit stream (unique among the tokens)')
  .option('--expires-in <duration>', 'stop working after this long, e.g. "90d" (default: never)')
  .action((options: { role: string; name: string; expiresIn?: string }) => {
    process.exitCode = runTokenCreate(options);
  });

program
  .command('validate')
  .description('validate rule files, the catalog.json and the tag files (tags/) beside them; prints "file:line:column: $.json.path: reason" for each error, then lint warnings; exit code 1 on any error')
  .argument('[paths...]', 'rule files or directories (default: rules)', [])
  .option('--tags <paths>', 'tag files or directories (comma-separated; default: the tags directory beside the rules)')
  .option('--strict', 'exit code 1 on warnings too')
  .action((paths: string[], options: { strict?: boolean; tags?: string }) => {
    process.exitCode = runValidate(paths, options);
  });

const rules = program
  .command('rules')
  .description('the rule set as versioned revisions in NATS KV (bucket nudge_rules): engines and workers with NUDGE_RULES_SOURCE=kv swap a deployed revision in between batches, without a restart');

rules
  .command('deploy')
  .description('validate rule files, tag files, catalog.json and coupon pools like `nudge validate`, then publish them as the next revision; nothing is published on any error, nor when the content equals the current revision')
  .argument('[paths...]', 'rule files or directories (default: rules)', [])
  .option('--tags <paths>', 'tag files or directories (comma-separated; default: the tags directory beside the rules)')
  .option('--coupons <dirs>', 'coupon pool directories (comma-separated; default: the coupons directory beside the rules)')
  .option('-m, --message <text>', 'why, for `nudge rules history`')
  .action(async (paths: string[], options: { tags?: string; coupons?: string; message?: string }) => {
    process.exitCode = await runRulesDeploy(loadConfig(), paths, options);
  });

rules
  .command('history')
  .description('list the deployed revisions, oldest first: number, time, who, content hash, rule versions, tags; * marks the current one')
  .option('--limit <n>', 'show the newest n', '20')
  .action(async (options: { limit: string }) => {
    process.exitCode = await runRulesHistory(loadConfig(), { limit: Number(options.limit) });
  });

rules
  .command('rollback')
  .description('publish an earlier revision\'s content again, as a new revision (history stays append-only); refused if this nudge cannot load it')
  .argument('<revision>', 'the revision to go back to (see `nudge rules history`)')
  .option('-m, --message <text>', 'why, for `nudge rules history`')
  .action(async (revision: string, options: { message?: string }) => {
    process.exitCode = await runRulesRollback(loadConfig(), Number(revision), options);
  });

program
  .command('graph')
  .description('draw a rule\'s journey (trigger, steps, waits, branches, exits) as a Mermaid or Graphviz diagram')
  .argument('<rule-file>', 'the rule file')
  .option('--format <format>', 'mermaid or dot', 'mermaid')
  .action((file: string, options: { format: string }) => {
    process.exitCode = runGraph(file, options);
  });

program
  .command('publish')
  .description('publish Segment-style events (one JSON object per line) to the raw stream (the identity resolver routes them to their person); bad lines are reported by number')
  .argument('[file]', 'JSONL file; "-" or absent reads stdin')
  .action(async (file?: string) => {
    process.exitCode = await runPublish(loadConfig(), file);
  });

program
  .command('dead-letters')
  .description('list events that were dead-lettered, with the reason')
  .option('--limit <n>', 'show at most this many, newest last', '50')
  .action(async (options: { limit: string }) => {
    process.exitCode = await runDeadLetters(loadConfig(), Number(options.limit));
  });

const audience = program.command('audience').description('one-off and scheduled audiences: rules whose trigger is "oneOff" or "schedule"');
audience
  .command('count')
  .description('dry run: how many persons the rule\'s audience has now (the same evaluation as launch, over every partition\'s state); sends nothing')
  .argument('<rule>', 'the rule id (from NUDGE_RULES_DIR, or the deployed rule set with NUDGE_RULES_SOURCE=kv)')
  .action(async (ruleId: string) => {
    process.exitCode = await runAudienceCommand(loadConfig(), 'count', ruleId);
  });
audience
  .command('launch')
  .description('enter everyone matching a oneOff rule now: prints persons scanned / matched / sent for entry per partition; the engines owning the partitions enter them (entry policy applies). Safe to run again with the same --run-id')
  .argument('<rule>', 'the rule id of a rule with a "oneOff" trigger')
  .option('--run-id <id>', 'names this run in journey ids (default: launch-<now>); a second launch with the same id enters nobody twice')
  .action(async (ruleId: string, options: { runId?: string }) => {
    process.exitCode = await runAudienceCommand(loadConfig(), 'launch', ruleId, options.runId ? { runId: options.runId } : {});
  });

program
  .command('journey-events')
  .description('the journey event log (stream nudge_journey_events): every journey action once, for BI and warehouses')
  .command('export')
  .description('write the records of a time range (by occurredAt) to a file: jsonl (as written; rules/journey-event.schema.json) or parquet (one flat table, via DuckDB)')
  .requiredOption('--from <ISO>', 'first moment of the range (inclusive)')
  .requiredOption('--to <ISO>', 'end of the range (exclusive)')
  .option('--rule <id>', 'only this rule\'s journeys')
  .option('--format <format>', 'jsonl or parquet', 'jsonl')
  .requiredOption('--out <file>', 'the file to write')
  .action(async (options: ExportOptions) => {
    process.exitCode = await runJourneyEventsExport(loadConfig(), options);
  });

program
  .command('report')
  .description('the journey report per rule and version: funnel (entered, each step sent / skipped by reason, clicked, converted), conversion rate per holdout group and split variant, uplift with a 95% interval (Newcombe), time to convert, entries and conversions over time, behavior paths (Sankey); from the journey event log and the behavior events on NATS, or from JSONL files')
  .option('--events <file.jsonl>', 'journey event records, one per line (`nudge journey-events export`, `nudge simulate --journey-events`) instead of the stream')
  .option('--behavior <file.jsonl>', 'with --events: Segment-style events for clicks and paths')
  .option('--rule <id>', 'only this rule')
  .option('--json', 'print the numbers as JSON (the default without --serve or --out)')
  .option('--out <file.html>', 'write the page to this file')
  .option('--serve', 'serve the page (/) and its numbers (/report.json); each request reads the log again')
  .option('--port <n>', 'with --serve', String(DEFAULT_REPORT_PORT))
  .option('--host <host>', 'with --serve: the address to listen on', '127.0.0.1')
  .action(async (options: ReportCliOptions) => {
    process.exitCode = await runReportCli(loadConfig(), options);
  });

program
  .command('profile')
  .description('print a person as nudge sees them: person id, identifiers, merges and refused links (identity graph), traits (with when each was set), behavior tags, recent events kept for rules and tags, consent, running journeys and entries; reads NATS KV')
  .argument('<id>', 'the person: a person id (also one merged away) or any identifier — userId, anonymousId, email, phone, … — written as events carry it (phones without a country code are read as NUDGE_PHONE_REGION)')
  .option('--json', 'print JSON instead of text')
  .option('--temporal', 'confirm each running journey with Temporal (describe) and show its status')
  .action(async (id: string, options: { json?: boolean; temporal?: boolean }) => {
    process.exitCode = await runProfile(loadConfig(), id, options);
  });

program
  .command('export')
  .description('print everything held about a user as JSON: identity (identifiers, merges, refused links), profile (traits, counters, entries, tags) and those of people merged into them, journeys in Temporal, send ledger records, coupon assignments, linked entries (phone directory, frequency caps), stored events (also as trackers sent them)')
  .requiredOption('--user <id>', 'the user: a person id or any identifier (userId, anonymousId, email, phone, …); the identity graph resolves it to the person and everyone merged into them')
  .action(async (options: { user: string }) => {
    process.exitCode = await runExport(loadConfig(), options.user);
  });

program
  .command('erase')
  .description('erase a user (GDPR) and everyone the identity graph merged into them: stop their running journeys, delete their journeys from Temporal (any Temporal will not delete stay until the namespace retention period ends), profiles, stored events (also as trackers sent them), coupon assignments, linked entries (phone directory, frequency caps) and identity graph records; their sends are kept only as anonymous counts. Safe to run again. Reads whole KV buckets: an operator command, not a hot path')
  .requiredOption('--user <id>', 'the user: a person id or any identifier (userId, anonymousId, email, phone, …); the identity graph resolves it to the person and everyone merged into them')
  .action(async (options: { user: string }) => {
    process.exitCode = await runErase(loadConfig(), options.user);
  });

/** The inputs simulate and explain share. */
const simulationInputs = (command: Command) =>
  command
    .requiredOption('--rules <paths>', 'rule file or directory (comma-separated for several)')
    .option('--tags <paths>', 'tag files or directories (comma-separated; default: the tags directory beside the rules)')
    .option('--events <file.jsonl>', 'Segment-style events, one per line, any order (sorted by timestamp unless --arrival-order)')
    .option('--stream', 'read events from the JetStream stream instead (needs --from and --to; the live consumers are untouched)')
    .option('--from <ISO>', 'with --stream: start of the range (stream time)')
    .option('--to <ISO>', 'with --stream: end of the range (stream time)')
    .option('--profiles <file.jsonl>', 'starting traits: {"userId": "...", "traits": {...}} per line')
    .option('--until <ISO>', 'run the clock on to here (default: last event + the longest journey)')
    .option('--arrival-order', 'replay events in the order delivered (file lines, stream order), not by timestamp; a late event is applied at the newest time seen so far, as the engine does (default with --stream)')
    .option('--no-arrival-order', 'with --stream: replay by timestamp instead');

simulationInputs(program.command('simulate'))
  .description('run rules over events on a virtual clock (no servers): what would each user have received, and when')
  .option('--format <format>', 'jsonl (one action per line) or table', 'table')
  .option('--journey-events <file.jsonl>', 'also write the journey event log records (as production writes them to nudge_journey_events) to this file')
  .option('--report <file.html>', 'also write the report page of the backtest (`nudge report`: funnel, conversions per group, uplift, paths) to this file')
  .action(async (options: SimulateOptions) => {
    if (!['jsonl', 'table'].includes(options.format ?? '')) throw new Error(`--format must be jsonl or table, not "${options.format}"`);
    process.exitCode = await runSimulate(options);
  });

simulationInputs(program.command('explain'))
  .description('why did (or didn\'t) a user get a rule\'s journey: each condition\'s actual value, the entry decision, the path taken')
  .requiredOption('--user <id>', 'the user (userId or anonymousId)')
  .requiredOption('--rule <id>', 'the rule id')
  .action(async (options: SimulateOptions & { user: string; rule: string }) => {
    process.exitCode = await runExplain(options);
  });

program
  .command('train')
  .description('train a model file (rules/models/<id>.json) on its events (JSONL or a raw-stream range): snapshots of features before and labels after each snapshot time, split by time; writes the trained model beside it (<id>.model.json, next version) with AUC, log-loss, calibration and lift by decile; refuses too little data')
  .argument('<model-file>', 'the model file, e.g. rules/models/convert-14d.json')
  .option('--report <file.html>', 'also write the model card: ROC curve, calibration plot, lift chart, feature importances, training and evaluation periods')
  .option('--tags <paths>', 'comma-separated tag files or directories the tag features read (default: the tags directory beside the models directory)')
  .action(async (modelFile: string, options: { report?: string; tags?: string }) => {
    process.exitCode = await runTrain(modelFile, options);
  });

program
  .command('schema')
  .description('print the JSON Schema of rule files (generated from the zod schemas); --write also writes the catalog and tag file schemas')
  .option('--write', 'write rules/rule.schema.json, rules/catalog.schema.json and rules/tag.schema.json')
  .option('--check', 'exit 1 if a checked-in schema is out of date')
  .action((options: { write?: boolean; check?: boolean }) => {
    process.exitCode = runSchema(options);
  });

program
  .command('dev')
  .description('run NATS (4222) and Temporal with its Web UI (7233 / 8233) for local work; data persists in the data dir')
  .option('--data-dir <dir>', 'where NATS and Temporal keep their data', '.nudge/dev')
  .action(async (options: { dataDir: string }) => {
    const servers = await startLocalServers({ dataDir: options.dataDir });
    console.log(`NATS ${servers.nats.url}\nTemporal ${servers.temporal.address}\nTemporal Web UI ${servers.temporal.uiUrl}\nCtrl-C stops both.`);
    await untilSignal();
    await servers.stop();
  });

program
  .command('setup')
  .description('prepare infrastructure nudge connects to (idempotent: safe to run on every deploy)')
  .command('temporal')
  .description('register nudge\'s search attributes (RuleId, UserId, RuleVersion, PersonIds) on the Temporal namespace of TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (with its TLS or API key settings); present ones are left alone')
  .action(async () => {
    await runSetupTemporal(loadConfig());
  });

program
  .command('codec-server')
  .description('serve Temporal\'s codec protocol (POST /encode, /decode) on NUDGE_CODEC_SERVER_PORT (8888), so the Web UI and `temporal workflow show --codec-endpoint` show journeys decrypted with NUDGE_PAYLOAD_KEYS; requires Authorization: Bearer NUDGE_CODEC_SERVER_TOKEN; CORS for NUDGE_CODEC_SERVER_ORIGINS')
  .action(async () => {
    const server = await runCodecServer(loadConfig());
    console.log(`codec server ${server.url}\n  CLI: temporal workflow show --codec-endpoint ${server.url} --codec-auth "Bearer $NUDGE_CODEC_SERVER_TOKEN" …\n  Web UI codec endpoint: ${server.url}/<NUDGE_CODEC_SERVER_TOKEN>`);
    await untilSignal();
    await server.stop();
  });

program
  .command('nats-config')
  .description('write a nats-server config with one NATS user per service (collector, inbound, engine, worker, operator), each allowed only the subjects, streams and KV buckets its code uses; TLS and JetStream encryption at rest; and <service>.env with each service\'s NATS settings')
  .requiredOption('--out <dir>', 'directory for nats-server.conf, <service>.env and (with --nkeys) <service>.nk; an existing config is not overwritten')
  .option('--nkeys', 'nkey pairs instead of random passwords (the server config holds only public keys)')
  .option('--listen <host:port>', 'where the server listens', '0.0.0.0:4222')
  .option('--url <url>', 'NATS_URL the services use', 'nats://127.0.0.1:4222')
  .option('--store-dir <dir>', 'JetStream store directory of the server', '/var/lib/nats')
  .option('--encryption-key-env <name>', 'environment variable the server reads its JetStream encryption key from', 'NUDGE_NATS_KEY')
  .option('--tls-cert <file>', 'server certificate (PEM)')
  .option('--tls-key <file>', 'server private key (PEM)')
  .option('--tls-ca <file>', 'CA certificate (PEM) the services trust (NATS_TLS_CA), and that signs client certificates with --verify-clients')
  .option('--verify-clients', 'mutual TLS: every service must present a certificate (NATS_TLS_CERT, NATS_TLS_KEY)')
  .action((options: NatsConfigOptions) => {
    try {
      for (const file of writeNatsConfig(options)) console.log(`wrote ${file}`);
    } catch (error) {
      if (!(error instanceof NatsConfigError)) throw error;
      console.error(error.message);
      process.exitCode = 2;
    }
  });

program
  .command('demo')
  .description('start everything on embedded defaults, play a sample story and show who received what; stays up until Ctrl-C')
  .option('--day-length <duration>', 'how long one day of journey waiting lasts in the demo', '10s')
  .option('--data-dir <dir>', 'demo data (wiped at start unless --keep-data)', DEFAULT_DEMO_DIR)
  .option('--keep-data', 'keep the Temporal history of earlier demo runs')
  .option('--exit-when-done', 'exit after the story (exit code 1 if it did not play out as expected)')
  .action(async (options: { dayLength: string; dataDir: string; keepData?: boolean; exitWhenDone?: boolean }) => {
    process.exitCode = await runDemo({ dataDir: options.dataDir, dayLength: options.dayLength, keepData: Boolean(options.keepData), exitWhenDone: Boolean(options.exitWhenDone) });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`nudge: ${(error as Error).message}`);
  process.exitCode = 1;
}
