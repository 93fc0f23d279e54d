/**
 * `nudge demo`: starts NATS, Temporal (Web UI, SQLite), a local SMTP capture, a fake Twilio API and a
 * webhook receiver, the engine, a worker (with one journey day shortened to NUDGE_DAY_LENGTH, default
 * 10 s), the inbound service and the collector, sends the sample story through the collector as a
 * tracker would (Segment's HTTP API, POST /v1/batch), prints every delivery as it happens and a
 * summary, then stays up until Ctrl-C so the journeys can be browsed in the Web UI.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '../../platform/config';
import { startCollectService } from '../../engine/collect/collect-service';
import { startEngine } from '../../engine/engine-service';
import { RAW_SUBJECT } from '../../engine/events/subjects';
import type { EventOutcome } from '../../engine/ingest/process-event';
import { createLogger } from '../../platform/logger';
import { startInboundService } from '../../engine/inbound/inbound-service';
import { startWorkerService } from '../../workflows/worker-service';
import { startSmtpCapture } from '../capture/smtp-capture';
import { startTwilioFake } from '../../connectors/sms/twilio/twilio.fake';
import { startWebhookCapture } from '../capture/webhook-capture';
import { preferredPort, startLocalServers } from '../servers/local-servers';
import { HANA_PHONE, storyEvents, USERS } from './story';
import { demoPayloadKeys } from './demo-keys';
import { codecServerOf } from '../../platform/temporal/codec-server';
import { IDENTITY_BUCKET, KvIdentityStore, type PersonRecord } from '../../engine/identity/identity-store';
import { openBucket } from '../../platform/nats/setup';
import { runReport } from '../../engine/report/report-command';
import { streamSource } from '../../engine/report/report-stream-source';
import { DEFAULT_REPORT_PORT } from '../../engine/report/report-server';
import { conversionLines, conversionsOf, profileScoreRows, reportAfterConversions } from './demo-results';
import type { EventEnvelope } from '../../engine/events/envelope';

export interface DemoOptions {
  dataDir: string;
  dayLength: string;
  keepData: boolean;
  /** Exit when the story has played out (for CI), instead of waiting for Ctrl-C. */
  exitWhenDone: boolean;
  out?: (line: string) => void;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir);
  if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  const t = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  out('starting NATS JetStream and Temporal (Web UI, SQLite) …');
  // Journeys' inputs (emails, phones, traits) reach Temporal encrypted. The codec server starts first,
  // so the Web UI starts pointed at it (token in the path) and shows the journeys decrypted.
  const encryption = {
    NUDGE_PAYLOAD_KEYS: process.env.NUDGE_PAYLOAD_KEYS ?? demoPayloadKeys(dataDir),
    NUDGE_CODEC_SERVER_TOKEN: process.env.NUDGE_CODEC_SERVER_TOKEN ?? randomBytes(24).toString('hex'),
  };
  const codecConfig = loadConfig({ ...process.env, ...encryption });
  const codec = await codecServerOf({ ...codecConfig, NUDGE_CODEC_SERVER_PORT: await preferredPort(codecConfig.NUDGE_CODEC_SERVER_PORT) });
  const servers = await startLocalServers({ dataDir, freshEvents: true, uiCodecEndpoint: `${codec.url}/${encryption.NUDGE_CODEC_SERVER_TOKEN}` }).catch(async (error: unknown) => {
    await codec.stop();
    throw error;
  });
  const smtp = await startSmtpCapture({ port: await preferredPort(2525) });
  const twilio = await startTwilioFake();
  const webhooks = await startWebhookCapture({ port: 4280 }).catch((error) => {
    throw new Error(`the demo's CRM webhook receiver needs port 4280 (rules/cart-abandonment.json posts there): ${(error as Error).message}`);
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: servers.nats.url,
    TEMPORAL_ADDRESS: servers.temporal.address,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    TWILIO_API_BASE: twilio.url,
    NUDGE_DAY_LENGTH: options.dayLength,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', // the demo prints its own feed
    ...encryption,
  };
  const config = loadConfig(env);
  const log = createLogger('nudge-demo', config.LOG_LEVEL);
  const outcomes: EventOutcome[] = [];
  const deadLetters: string[] = [];
  const worker = await startWorkerService(config, env, { log });
  const inbound = await startInboundService({ config, env, log });
  const collector = await startCollectService({ config: { ...config, NUDGE_COLLECT_PORT: await preferredPort(config.NUDGE_COLLECT_PORT) }, log });
  const writeKey = Object.keys(config.NUDGE_WRITE_KEYS)[0]!;
  const engine = await startEngine({ config, log, onOutcome: (o) => outcomes.push(o), onDeadLetter: (r) => deadLetters.push(r) });
  // `nudge report --serve` over the demo's log: each page load reads the journey events written so far.
  const report = await runReport(streamSource(config), { serve: true, port: await preferredPort(DEFAULT_REPORT_PORT) }, log);
  if (typeof report === 'number') throw new Error('the report server did not start');
  out(`engine: ${engine.rules.map((r) => `${r.rule.id} v${r.rule.version}`).join(', ')}; one journey day lasts ${options.dayLength}`);

  const stopAll = async () => {
    clearInterval(feed);
    await engine.stop();
    await worker.stop();
    await Promise.allSettled([collector.stop(), inbound.stop(), report.stop(), smtp.stop(), twilio.stop(), webhooks.stop(), codec.stop()]);
    await servers.stop();
  };

  let shown = { email: 0, sms: 0, webhook: 0, dead: 0 };
  const feed = setInterval(() => {
    for (const m of smtp.messages().slice(shown.email)) out(`${t()}  email   → ${m.to}: "${m.subject}"`);
    for (const m of twilio.messages().slice(shown.sms)) out(`${t()}  sms     → ${m.to}: "${m.body}"`);
    for (const w of webhooks.requests().slice(shown.webhook)) out(`${t()}  webhook → ${w.path}: ${w.body}`);
    for (const r of deadLetters.slice(shown.dead)) out(`${t()}  dead letter: ${r}`);
    shown = { email: smtp.messages().length, sms: twilio.messages().length, webhook: webhooks.requests().length, dead: deadLetters.length };
  }, 200);

  const nc = await connect({ servers: config.NATS_URL });
  let hana: PersonRecord | undefined;
  let orders: EventEnvelope[] = [];
  try {
    const js = jetstream(nc);
    const { first, invalid, bobOrder, hanaOrder } = storyEvents(Date.now(), Date.now().toString(36));
    orders = [bobOrder, hanaOrder];
    const send = (messages: unknown[]) => sendBatch(collector.url, writeKey, messages);
    out(`sending ${first.length + 1} sample events for ${USERS.length} users (one of them invalid) to the collector, POST ${collector.url}/v1/batch …`);
    await send(first).then(expectAccepted);
    const refused = await send([invalid]);
    out(`${t()}  the collector refuses mallory's event: ${refused.status} ${refused.reason}`);
    out(`${t()}  … published straight to NATS instead, it becomes a dead letter`);
    await js.publish(RAW_SUBJECT, JSON.stringify(invalid));
    await smtp.waitFor((m) => m.to.includes('bob@'), 30_000);
    out(`${t()}  bob orders during his 2-day wait`);
    await send([bobOrder]).then(expectAccepted);
    const waitMs = 2 * config.NUDGE_DAY_LENGTH + 8_000; // the flagship's 2-day wait, plus slack
    await twilio.waitFor((m) => m.to === '+14155550101', waitMs).catch(() => undefined);
    await twilio.waitFor((m) => m.to === '+14155550108', 5_000).catch(() => undefined); // hana's, started at the same time
    await new Promise((r) => setTimeout(r, 1500));
    out(`${t()}  hana orders after her SMS`);
    await send([hanaOrder]).then(expectAccepted);
    hana = (await new KvIdentityStore(await openBucket(nc, IDENTITY_BUCKET)).getPerson(HANA_PHONE))?.value;
  } finally {
    await nc.close();
  }

  const summary = summarize(smtp.messages().map((m) => m.to), twilio.messages().map((m) => m.to), webhooks.requests().map((w) => w.body), outcomes);
  out('');
  out('who received what:');
  for (const line of summary.lines) out('  ' + line);
  const stitched = hana?.identifiers.userId?.includes('hana') && hana.identifiers.anonymousId?.includes('hana-laptop');
  out(hana
    ? `one person, two devices: ${hana.id} holds ${Object.entries(hana.identifiers).map(([type, values]) => `${type} ${values.join(', ')}`).join('; ')}  (npx nudge profile hana)`
    : `UNEXPECTED: the identity graph has no person ${HANA_PHONE}`);
  out(`dead letters: ${deadLetters.length} (${deadLetters.join('; ') || 'none'})`);
  // The goal's conversions as the report counts them (bob's and hana's orders), and a model's score.
  const goalRules = engine.rules.filter((r) => r.rule.goal).map((r) => r.rule.id);
  const expectedConversions = orders.filter((order) => enteredBefore(order, goalRules, outcomes)).length;
  const numbers = await reportAfterConversions(report.url, goalRules, expectedConversions, 15_000);
  out(`conversions (the report's numbers, ${report.url}/report.json):`);
  for (const line of conversionLines(numbers, engine.rules.map((r) => r.rule))) out('  ' + line);
  const scores = await profileScoreRows(config, 'hana');
  out(`hana's scores (npx nudge profile hana): ${scores.join('; ') || 'UNEXPECTED: none (no trained model in rules/models/?)'}`);
  out('');
  out(`Temporal Web UI: ${servers.temporal.uiUrl}/namespaces/default/workflows`);
  out(`  find a journey: RuleId = "pricing-hesitation" AND UserId = "alice"  (${servers.temporal.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('RuleId="pricing-hesitation" AND UserId="alice"')})`);
  out(`  by any of a person's ids: PersonIds = "hana"  (${servers.temporal.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('PersonIds="hana"')})`);
  out(`  payloads are encrypted (NUDGE_PAYLOAD_KEYS, key in ${dataDir}); the Web UI decrypts them through the codec server ${codec.url}/${config.NUDGE_CODEC_SERVER_TOKEN}`);
  out(`  or: temporal workflow show --address ${servers.temporal.address} --codec-endpoint ${codec.url} --codec-auth "Bearer ${config.NUDGE_CODEC_SERVER_TOKEN}" --workflow-id <id>`);
  out(`NATS: ${servers.nats.url}   Temporal: ${servers.temporal.address}   data: ${dataDir}`);
  out(`unsubscribe links and Twilio webhooks: ${inbound.url} (the emails' List-Unsubscribe header points here)`);
  out(`collector (Segment HTTP Tracking API): ${collector.url}   write key: ${writeKey}`);
  out(`report (funnel, conversions per group, uplift, paths): ${report.url}   numbers: ${report.url}/report.json`);
  out(`  send your own: curl -u ${writeKey}: ${collector.url}/v1/page -d '{"userId":"alice","name":"Pricing","properties":{"path":"/pricing"}}'`);
  const ok = summary.ok && deadLetters.length === 1 && Boolean(stitched) && conversionsOf(numbers, goalRules) === expectedConversions && scores.length > 0;
  out(ok ? 'the story played out as expected.' : 'UNEXPECTED: the story did not play out as expected (see above).');

  if (options.exitWhenDone) {
    await stopAll();
    return ok ? 0 : 1;
  }
  out('running until Ctrl-C …');
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  out('stopping …');
  await stopAll();
  out('stopped.');
  return 0;
}

/** What a tracker does: one Segment batch request, Basic auth with the write key as the user name. */
async function sendBatch(collectorUrl: string, writeKey: string, batch: unknown[]): Promise<{ status: number; reason: string }> {
  const response = await fetch(`${collectorUrl}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
  });
  return { status: response.status, reason: (await response.text()).trim() };
}

function expectAccepted(answer: { status: number; reason: string }): void {
  if (answer.status !== 200) throw new Error(`the collector refused the demo's events: ${answer.status} ${answer.reason}`);
}

/** The order's person started a journey of a goal-bearing rule before it (the story sends orders after entry). */
function enteredBefore(order: EventEnvelope, goalRules: string[], outcomes: EventOutcome[]): boolean {
  const user = USERS.find((u) => u.id === order.userId);
  const person = user?.person ?? user?.id;
  return outcomes.some((o) => o.userKey === person && o.decisions.some((d) => d.outcome === 'started' && goalRules.includes(d.ruleId)));
}

function summarize(emails: string[], sms: string[], webhookBodies: string[], outcomes: EventOutcome[]) {
  const phoneOf = (user: string) => `+1415555010${USERS.findIndex((u) => u.id === user) + 1}`;
  let ok = true;
  const lines = USERS.map((user) => {
    const got = {
      emails: emails.filter((to) => to.includes(`${user.id}@`)).length,
      sms: sms.filter((to) => to === phoneOf(user.id)).length,
      webhooks: webhookBodies.filter((b) => b.includes(`"${user.id}"`)).length,
    };
    const journeys = outcomes.filter((o) => o.userKey === (user.person ?? user.id)).flatMap((o) => o.decisions).filter((d) => d.outcome === 'started').map((d) => d.ruleId);
    const matches = got.emails === user.expect.emails && got.sms === user.expect.sms && got.webhooks === user.expect.webhooks;
    ok &&= matches;
    const as = user.person ? ` (as person ${user.person})` : '';
    return `${matches ? '✓' : '✗'} ${user.id.padEnd(6)} ${user.story.padEnd(70)} email ${got.emails}, sms ${got.sms}, webhook ${got.webhooks}; journeys: ${journeys.join(', ') || 'none'}${as}`;
  });
  return { ok, lines };
}

export const DEFAULT_DEMO_DIR = join('.nudge', 'demo');
