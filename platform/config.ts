/**
 * Runtime configuration from environment variables, validated with zod. Defaults match `nudge demo`
 * and `nudge dev`, so a local setup needs no variables at all. Connector settings (SMTP_*, TWILIO_*,
 * WEBHOOK_*, coupon pools) are validated by each connector's own config schema.
 */
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { FrequencyCap, QuietHours } from '../rules/schema/guardrails';
import { ChannelThrottle } from '../rules/schema/throttle';
import { parseDuration } from '../rules/schema/parse-duration';
import type { GlobalGuardrails } from '../engine/decide/global-guardrails';
import { DEFAULT_IDENTIFIER_TYPES, IdentifierTypes, IdentifierTypesConfig } from '../engine/events/identifier-types';
import { DEFAULT_PHONE_REGION, phoneRegionFromEnv, PhoneRegionError, PhoneRegionSchema } from '../shared/phone';
import { ApiTokens } from './api-token-entry';
import { WriteKeys } from './write-key-entry';
import { PayloadKeysSetting, payloadKeyProblems } from './temporal/payload-keys';

/** A JSON value in an environment variable, validated with a schema. */
const JsonSetting = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ') });
      return z.NEVER;
    }
    return parsed.data as z.output<T>;
  });


const DurationMs = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const ConfigSchema = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222').describe('NATS server URL(s), comma-separated.'),
  NATS_USER: z.string().min(1).optional().describe('NATS user of this service (with NATS_PASSWORD), as `nudge nats-config` generates one per service. Unset: no credentials (nudge dev).'),
  NATS_PASSWORD: z.string().min(1).optional().describe('Password of NATS_USER.'),
  NATS_NKEY_SEED_FILE: z.string().min(1).optional().describe('File holding this service\'s NATS nkey seed (SU…), instead of NATS_USER; `nudge nats-config --nkeys` writes one per service.'),
  NATS_CREDS: z.string().min(1).optional().describe('NATS .creds file (JWT and seed, for an operator-mode NATS such as Synadia Cloud), instead of NATS_USER or NATS_NKEY_SEED_FILE.'),
  NATS_TLS_CA: z.string().min(1).optional().describe('PEM file of the CA that signed the NATS servers\' certificates (a private CA); the system CAs otherwise.'),
  NATS_TLS_CERT: z.string().min(1).optional().describe('PEM client certificate for NATS mutual TLS (with NATS_TLS_KEY).'),
  NATS_TLS_KEY: z.string().min(1).optional().describe('PEM private key of NATS_TLS_CERT.'),
  NATS_INBOX_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a subject without wildcards, e.g. "_INBOX_engine"').optional()
    .describe('Subject prefix of this service\'s replies (JetStream acks, KV reads), which its NATS user alone may subscribe to; `nudge nats-config` sets one per service. Default "_INBOX".'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend host:port.'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('Connect to Temporal over TLS with the system CAs ("true"); implied by any TEMPORAL_TLS_* file or TEMPORAL_API_KEY.'),
  TEMPORAL_TLS_CA: z.string().min(1).optional().describe('PEM file of the CA that signed the Temporal frontend\'s certificate (a self-hosted cluster with a private CA).'),
  TEMPORAL_TLS_CERT: z.string().min(1).optional().describe('PEM client certificate for Temporal mutual TLS (with TEMPORAL_TLS_KEY), e.g. a Temporal Cloud namespace\'s mTLS certificate.'),
  TEMPORAL_TLS_KEY: z.string().min(1).optional().describe('PEM private key of TEMPORAL_TLS_CERT.'),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional().describe('TLS server name to verify instead of the address\'s host (a proxy or load balancer in front of Temporal).'),
  TEMPORAL_API_KEY: z.string().min(1).optional().describe('Temporal Cloud API key (sent as a bearer token over TLS), instead of a client certificate.'),
  NUDGE_PAYLOAD_KEYS: PayloadKeysSetting,
  NUDGE_PAYLOAD_KEY_CURRENT: z.string().min(1).optional().describe('Id of the NUDGE_PAYLOAD_KEYS key new Temporal payloads are encrypted with (rotation: add a key, make it current, keep the old one listed while histories need it). Optional with a single key.'),
  NUDGE_CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888).describe('Port of `nudge codec-server` (the Temporal Web UI and CLI decrypt payloads through it).'),
  NUDGE_CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1').describe('Address `nudge codec-server` listens on.'),
  NUDGE_CODEC_SERVER_TOKEN: z.string().min(16).optional().describe('Bearer token the codec server requires (set it in the Web UI\'s codec settings or `--codec-auth`); at least 16 characters. Required to start `nudge codec-server`.'),
  NUDGE_CODEC_SERVER_ORIGINS: z.string().default('http://localhost:8233,http://127.0.0.1:8233').describe('Comma-separated browser origins allowed to call the codec server (the Temporal Web UI\'s), e.g. "https://cloud.temporal.io".'),
  NUDGE_TASK_QUEUE: z.string().default('nudge-journeys').describe('Temporal task queue of journey workflows.'),
  NUDGE_RULES_DIR: z.string().default('rules').describe('Directory (or comma-separated files/directories) of rule files.'),
  NUDGE_RULES_SOURCE: z.enum(['files', 'kv']).default('files').describe('Where engines and workers read the rule set: "files" (default; NUDGE_RULES_DIR, NUDGE_TAGS_DIR, COUPON_POOLS_DIR, read at start) or "kv" (the revision `nudge rules deploy` published to the NATS KV bucket nudge_rules, swapped in without a restart; the local files until the first deploy).'),
  NUDGE_TAGS_DIR: z.string().default('rules/tags').describe('Directory (or comma-separated files/directories) of behavior tag files; a directory that does not exist holds no tags.'),
  NUDGE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16).describe('Partition count of the events stream; fixed when the stream is created.'),
  NUDGE_REPLICAS: z.coerce.number().int().min(1).max(5).default(1).describe('Copies of every JetStream stream and KV bucket nudge creates, for a NATS cluster (3 survives one node failure; 1 for a single server). Checked against existing streams and buckets at start. Example: 3.'),
  NUDGE_OWNED_PARTITIONS: z.string().default('auto').describe('Partitions this engine process consumes: "auto" (default: every engine started with the same configuration takes a fair share, and the partitions of an engine that dies move to the others), or a static set: "all", or ranges like "0-7,12" (refused at start if another engine holds one of them).'),
  NUDGE_LEASE_TTL: DurationMs.default(parseDuration('8s')).describe('How long a partition lease outlives its engine: a dead engine\'s partitions move to the others after at most this plus a quarter of it. Example: "8s".'),
  NUDGE_STATE_CACHE: z.coerce.number().int().min(1).default(20_000).describe('People whose state each partition keeps in memory (least recently used beyond it are reloaded from NATS KV when they come back). Memory: about 2–3 KiB per person.'),
  NUDGE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(2000).describe('Most partition messages decided in memory and committed together.'),
  NUDGE_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64).describe('Most journey starts, signals and state writes in flight at once per partition while a batch commits.'),
  NUDGE_AUDIENCE_TICK: DurationMs.default(parseDuration('1m')).describe('How often each engine runs the scheduled audiences (rules with a "schedule" trigger) of the partitions it owns: a person enters within this of their local occurrence. Example: "1m".'),
  NUDGE_DUPLICATE_WINDOW: DurationMs.default(parseDuration('1d')).describe('How long JetStream drops a repeated messageId.'),
  NUDGE_DAY_LENGTH: DurationMs.default(parseDuration('1d')).describe('How long one day of journey waiting lasts; the demo sets "10s" so a 2-day wait takes 20 s. Real deployments keep "1d".'),
  NUDGE_ALLOWED_LATENESS: z.string().trim().transform((text, ctx) => {
    if (/^0+(\.0+)?\s*(ms|s|m|h|d|w)?$/.test(text)) return 0;
    try {
      return parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }).default(0)
    .describe('How late an event may arrive (after its timestamp) and still change an entry decision, for rules that set no allowedLateness. Above 0, a journey waits until its trigger is this old before its first coupon, email, sms or webhook step and ends with reason trigger_no_longer_true if the trigger conditions no longer hold as of the trigger\'s time. "0" (default): no wait and no re-check. Example: "2m" when mobile SDKs send offline batches.'),
  NUDGE_QUIET_HOURS: JsonSetting(z.object({ email: QuietHours.optional(), sms: QuietHours.optional() }).strict())
    .default({})
    .describe('Global quiet hours per channel in the user\'s time zone, as JSON. Example: {"sms":{"start":"21:00","end":"09:00"}}. Rules may override or turn them off.'),
  NUDGE_FREQUENCY_CAPS: JsonSetting(z.object({ email: FrequencyCap.optional(), sms: FrequencyCap.optional() }).strict())
    .default({})
    .describe('Global frequency caps per user and channel across all rules, as JSON. Example: {"sms":{"max":1,"per":"1d"},"email":{"max":3,"per":"7d"}}. Transactional messages are exempt.'),
  NUDGE_THROTTLE: JsonSetting(ChannelThrottle)
    .default({})
    .describe('Messages per second per channel for the journeys of audience rules (schedule and oneOff triggers) that set no throttle of their own, across all workers, as JSON; sends beyond it wait in Temporal, none fails. Example: {"email":50,"sms":10}. Default: none.'),
  NUDGE_DEFAULT_TIMEZONE: z.string().default('UTC').refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone (e.g. "Europe/Berlin")')
    .describe('Time zone for quiet hours and waitUntil when neither the user\'s "timezone" trait nor the rule names one.'),
  NUDGE_CONSENT_MODE: z.enum(['opt-out', 'opt-in']).default('opt-out')
    .describe('opt-out (default): marketing messages go out unless the user withdrew consent; opt-in: they need an explicit grant (traits.consent or a subscribed event).'),
  NUDGE_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0).describe('Port of the worker\'s Prometheus /metrics (deliveries by channel, outcome and reason); 0 turns it off.'),
  NUDGE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0).describe('Port of the engine\'s Prometheus /metrics and /healthz endpoint on 127.0.0.1; 0 turns it off.'),
  NUDGE_INBOUND_PORT: z.coerce.number().int().min(0).max(65535).default(4290).describe('Port of the inbound HTTP service (`nudge inbound`): unsubscribe links and Twilio webhooks. Example: 4290.'),
  NUDGE_INBOUND_HOST: z.string().min(1).default('127.0.0.1').describe('Address the inbound service listens on; "0.0.0.0" to accept connections from other hosts (e.g. behind a reverse proxy).'),
  NUDGE_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://127.0.0.1:4290')
    .transform((url) => url.replace(/\/+$/, ''))
    .describe('Public base URL of the inbound service, as mail clients and Twilio reach it: the base of unsubscribe links and of the URLs Twilio signs. Example: "https://hooks.example.com". Set it when you change NUDGE_INBOUND_PORT.'),
  NUDGE_UNSUBSCRIBE_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .default('nudge-dev-unsubscribe-secret')
    .describe('HMAC-SHA256 key that signs unsubscribe links (at least 16 characters). The default is for development only; changing it invalidates links already sent.'),
  NUDGE_TRACKING_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .default('nudge-dev-tracking-secret')
    .describe('HMAC-SHA256 key that signs tracked links, open pixels and the message refs delivery reports carry back (at least 16 characters). The default is for development only; changing it invalidates tracked links already sent.'),
  NUDGE_EMAIL_EVENTS_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('HMAC-SHA256 key of the email provider\'s bounce and complaint webhook (POST /email/events, header X-Nudge-Signature). Unset: that route answers 503.'),
  NUDGE_INBOUND_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0).describe('Port of the inbound service\'s Prometheus /metrics on 127.0.0.1 (engagement events by name and result, refused requests); 0 turns it off.'),
  NUDGE_UNSUBSCRIBE_MAILTO: z
    .string()
    .regex(/^[^\s@<>?,"]+@[^\s@<>?,"]+$/, 'expected an email address, e.g. "unsubscribe@example.com"')
    .default('unsubscribe@localhost')
    .describe('Address of the mailto: alternative in List-Unsubscribe; the subject carries the signed token. Example: "unsubscribe@example.com".'),
  NUDGE_COLLECT_PORT: z.coerce.number().int().min(0).max(65535).default(4295).describe('Port of the collector (`nudge collect`), the Segment HTTP Tracking API (/v1/track, /v1/batch, …). Example: 4295.'),
  NUDGE_COLLECT_HOST: z.string().min(1).default('127.0.0.1').describe('Address the collector listens on; "0.0.0.0" to accept trackers on other hosts (e.g. behind a reverse proxy that terminates TLS).'),
  NUDGE_WRITE_KEYS: JsonSetting(WriteKeys)
    .default({ 'nudge-dev-write-key': 'demo' })
    .describe('Write keys the collector accepts, as a JSON object of write key -> source name; the source name is recorded in each event\'s context.source. Example: {"wk_live_77c1…":"ios"}. A key browsers send with names the origins of its pages: {"wk_live_3f9a…":{"source":"web","allowedOrigins":["https://www.example.com"]}} (CORS; a browser with another origin is refused). The default key is for development only.'),
  NUDGE_RESOLVER: z.enum(['auto', 'on', 'off']).default('auto')
    .describe('Whether this engine process may run the identity resolver (raw stream → identity graph → partitions). One engine runs it at a time, whichever holds its lease; "auto" and "on" compete for the lease (and take over within the lease TTL when its engine dies), "off" never runs it.'),
  NUDGE_IDENTIFIERS: JsonSetting(IdentifierTypesConfig)
    .default(IdentifierTypesConfig.parse(DEFAULT_IDENTIFIER_TYPES))
    .describe('Identifier types of the identity graph, as JSON: type -> {priority (1 strongest), unique, limit, traits, context, normalize}. userId and anonymousId must be listed. Default: userId (1, unique), wechat_unionid (2, unique, trait wechat_unionid), email (3, limit 5, trait email), phone (4, limit 5, trait phone, E.164), device_id (6, limit 10, context device.id), advertising_id (7, limit 10, context device.advertisingId), push_token (8, limit 10, context device.token), anonymousId (10, limit 25).'),
  // Validated here with the other settings; loadConfig then applies its deprecated name (shared/phone.ts).
  NUDGE_PHONE_REGION: PhoneRegionSchema.default(DEFAULT_PHONE_REGION),
  NUDGE_API_PORT: z.coerce.number().int().min(0).max(65535).default(4296).describe('Port of the HTTP API for CRM and support tools (`nudge api`). Example: 4296.'),
  NUDGE_API_HOST: z.string().min(1).default('127.0.0.1').describe('Address the HTTP API listens on; "0.0.0.0" to accept other hosts (behind a reverse proxy that terminates TLS).'),
  NUDGE_API_TOKENS: JsonSetting(ApiTokens)
    .default([])
    .describe('Tokens of the HTTP API as JSON: [{"name","role":"viewer"|"operator","sha256","expiresAt"?}], the token stored only as its SHA-256 (`nudge api token create --role viewer --name crm` prints a token and its entry). No tokens: every request is refused.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError('invalid configuration:\n' + parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const nats = [...natsAuthProblems(parsed.data), ...temporalProblems(parsed.data)];
  if (nats.length) throw new ConfigError('invalid configuration:\n' + nats.map((problem) => `  ${problem}`).join('\n'));
  return { ...parsed.data, NUDGE_PHONE_REGION: phoneRegionOf(env) };
}

/** NATS credentials are one of three kinds, and a password or key needs what it belongs to. */
function natsAuthProblems(config: z.output<typeof ConfigSchema>): string[] {
  const problems: string[] = [];
  const kinds = (['NATS_USER', 'NATS_NKEY_SEED_FILE', 'NATS_CREDS'] as const).filter((name) => config[name]);
  if (kinds.length > 1) problems.push(`${kinds.join(', ')}: set only one kind of NATS credentials`);
  if (config.NATS_USER && !config.NATS_PASSWORD) problems.push('NATS_PASSWORD: needed with NATS_USER');
  if (config.NATS_PASSWORD && !config.NATS_USER) problems.push('NATS_USER: needed with NATS_PASSWORD');
  if (Boolean(config.NATS_TLS_CERT) !== Boolean(config.NATS_TLS_KEY)) problems.push('NATS_TLS_CERT, NATS_TLS_KEY: set both for mutual TLS, or neither');
  return problems;
}

/** Temporal mutual TLS needs both halves; payload keys need a current key that exists. */
function temporalProblems(config: z.output<typeof ConfigSchema>): string[] {
  const problems = payloadKeyProblems(config.NUDGE_PAYLOAD_KEYS, config.NUDGE_PAYLOAD_KEY_CURRENT);
  if (Boolean(config.TEMPORAL_TLS_CERT) !== Boolean(config.TEMPORAL_TLS_KEY)) problems.push('TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY: set both for mutual TLS, or neither');
  return problems;
}

/** NUDGE_PHONE_REGION, or its deprecated name SMS_DEFAULT_COUNTRY: one region for identity and SMS. */
function phoneRegionOf(env: NodeJS.ProcessEnv) {
  try {
    return phoneRegionFromEnv(env);
  } catch (error) {
    if (error instanceof PhoneRegionError) throw new ConfigError(`invalid configuration:\n  ${error.message}`);
    throw error;
  }
}

/** A setting that lists files and directories, comma-separated (NUDGE_RULES_DIR, NUDGE_TAGS_DIR). */
export const pathsOf = (setting: string) => setting.split(',').map((p) => p.trim()).filter(Boolean);

/** The factor journey waits are multiplied by (1 in production). */
export const waitScaleOf = (config: Config) => config.NUDGE_DAY_LENGTH / parseDuration('1d');

/** Parses NUDGE_OWNED_PARTITIONS against the partition count: null for "auto" (shared by leases), else the static set. */
export function ownedPartitions(spec: string, count: number): number[] | null {
  if (spec.trim() === 'auto') return null;
  if (spec.trim() === 'all') return Array.from({ length: count }, (_, i) => i);
  const owned = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new ConfigError(`NUDGE_OWNED_PARTITIONS: "${part}" is not a partition number or range like "0-7"`);
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (from > to || to >= count) throw new ConfigError(`NUDGE_OWNED_PARTITIONS: "${part}" is outside 0-${count - 1}`);
    for (let p = from; p <= to; p++) owned.add(p);
  }
  return [...owned].sort((a, b) => a - b);
}

/** The identifier types of the identity graph, strongest first. */
export const identifierTypesOf = (config: Config) => new IdentifierTypes(config.NUDGE_IDENTIFIERS, config.NUDGE_PHONE_REGION);

/** The guardrails that apply to every rule unless a rule overrides them. */
export const globalGuardrails = (config: Config): GlobalGuardrails => ({
  quietHours: config.NUDGE_QUIET_HOURS,
  frequencyCaps: config.NUDGE_FREQUENCY_CAPS,
  defaultTimezone: config.NUDGE_DEFAULT_TIMEZONE,
  allowedLatenessMs: config.NUDGE_ALLOWED_LATENESS,
  broadcast: { taskQueue: config.NUDGE_TASK_QUEUE, throttle: config.NUDGE_THROTTLE },
});
