/**
 * What each nudge service does on NATS — the streams it publishes to or reads, the KV buckets it reads
 * or writes, the streams it may create — as ONE table, and the NATS publish/subscribe permissions that
 * follow from it. `nudge nats-config` writes these permissions into the server config; the table is
 * read off the services' code (engine-service.ts, worker-service.ts, collect-service.ts,
 * inbound-service.ts) and tested against a real server with the generated config.
 */
import { ABSENCE_SUBJECT_PREFIX, DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECT_PREFIX, EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, RAW_STREAM, RAW_SUBJECT } from '../engine/events/subjects';
import { IDENTITY_BUCKET } from '../engine/identity/identity-store';
import { PHONES_BUCKET } from '../engine/inbound/phone-directory';
import { AUDIENCE_RUNS_BUCKET } from '../engine/audience/run-records';
import { CHECKPOINTS_BUCKET } from '../engine/ownership/checkpoints';
import { LEASES_BUCKET } from '../engine/ownership/lease-store';
import { RULES_BUCKET } from '../engine/rules-registry/revision-store';
import { couponPoolConfigSchema } from '../connectors/coupon/pool/coupon-pool.config';
import { CAPS_BUCKET, SENDS_BUCKET, USERS_BUCKET } from '../platform/nats/setup';
import { JOURNEY_EVENTS_STREAM, JOURNEY_EVENTS_SUBJECT_PREFIX } from '../workflows/journey/journey-event-record';

export const SERVICES = ['collector', 'inbound', 'engine', 'worker', 'operator'] as const;
export type Service = (typeof SERVICES)[number];

const COUPON_BUCKET = couponPoolConfigSchema.shape.bucket.parse(undefined);
/** The streams every service's start checks (ensureStreams): reading their configuration reveals no event. */
const NUDGE_STREAMS = [EVENTS_STREAM, RAW_STREAM, DEAD_LETTER_STREAM, JOURNEY_EVENTS_STREAM];

export interface ServiceAccess {
  /** Subjects it publishes events to (each captured by a stream, so the publish is acknowledged). */
  publishes: string[];
  /** Streams it reads with consumers. */
  consumes: string[];
  /** KV buckets it only reads (get, keys, watch), and ones it also writes. */
  reads: string[];
  writes: string[];
  /** Streams (and buckets' streams) it may create at start when they do not exist yet. */
  creates: string[];
  /** Everything: the operator's CLI (deploy rules, publish files, export and erase, dead letters). */
  admin?: true;
}

export const SERVICE_ACCESS: Record<Service, ServiceAccess> = {
  // The collector writes raw events, nothing else: it holds no state and reads nothing back.
  collector: { publishes: [RAW_SUBJECT], consumes: [], reads: [], writes: [], creates: [] },
  // Unsubscribe links and SMS STOP become raw events; delivery callbacks update the send ledger; STOP finds the person by phone.
  inbound: { publishes: [RAW_SUBJECT], consumes: [], reads: [], writes: [SENDS_BUCKET, PHONES_BUCKET], creates: [SENDS_BUCKET, PHONES_BUCKET].map(kvStream) },
  // The resolver (raw → partitions, dead letters), the partition loops, leases and checkpoints, rules followed,
  // scheduled audiences (a scan of the users bucket, entries on the partitions, run records), absence timers.
  engine: {
    publishes: [`${EVENTS_SUBJECT_PREFIX}.*`, `${DEAD_LETTER_SUBJECT_PREFIX}.*`, `${ABSENCE_SUBJECT_PREFIX}.>`],
    consumes: [RAW_STREAM, EVENTS_STREAM],
    reads: [RULES_BUCKET],
    writes: [USERS_BUCKET, IDENTITY_BUCKET, PHONES_BUCKET, CHECKPOINTS_BUCKET, LEASES_BUCKET, AUDIENCE_RUNS_BUCKET],
    creates: [...NUDGE_STREAMS, ...[USERS_BUCKET, IDENTITY_BUCKET, PHONES_BUCKET, CHECKPOINTS_BUCKET, LEASES_BUCKET, RULES_BUCKET, AUDIENCE_RUNS_BUCKET].map(kvStream)],
  },
  // Activities: state read for conditions and consent, the send ledger, caps, coupons; journey-ended notices to the partitions.
  // …and the journey event log (creating its stream if no engine has yet).
  worker: {
    publishes: [`${EVENTS_SUBJECT_PREFIX}.*`, `${JOURNEY_EVENTS_SUBJECT_PREFIX}.>`],
    consumes: [],
    reads: [USERS_BUCKET, RULES_BUCKET],
    writes: [SENDS_BUCKET, CAPS_BUCKET, COUPON_BUCKET],
    creates: [JOURNEY_EVENTS_STREAM, ...[SENDS_BUCKET, CAPS_BUCKET, COUPON_BUCKET].map(kvStream)],
  },
  operator: { publishes: [], consumes: [], reads: [], writes: [], creates: [], admin: true },
};

export function kvStream(bucket: string): string {
  return `KV_${bucket}`;
}

/** The inbox prefix of a service: replies to one service cannot be read by another (NATS_INBOX_PREFIX). */
export const inboxPrefix = (service: Service) => `_INBOX_${service}`;

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

const api = (what: string) => `$JS.API.${what}`;

/**
 * Reading a stream: (ordered or durable) consumers with the acks and flow control that go with them,
 * and single messages (KV get, the engine's health check of partition lag), directly or by the stream API.
 */
const streamReadSubjects = (stream: string) => [
  api(`STREAM.INFO.${stream}`),
  api(`CONSUMER.CREATE.${stream}`),
  api(`CONSUMER.CREATE.${stream}.>`),
  api(`CONSUMER.DURABLE.CREATE.${stream}.*`),
  api(`CONSUMER.INFO.${stream}.*`),
  api(`CONSUMER.MSG.NEXT.${stream}.*`),
  api(`CONSUMER.DELETE.${stream}.*`),
  `$JS.ACK.${stream}.>`,
  `$JS.FC.${stream}.>`,
  api(`STREAM.MSG.GET.${stream}`),
  api(`DIRECT.GET.${stream}`),
  api(`DIRECT.GET.${stream}.>`),
];


/** The permissions that follow from a service's row of the table. */
export function permissionsOf(service: Service, access: ServiceAccess = SERVICE_ACCESS[service]): NatsPermissions {
  const inbox = `${inboxPrefix(service)}.>`;
  if (access.admin) {
    return { publish: ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', '$KV.>', 'nudge.>', ...access.publishes], subscribe: [inbox] };
  }
  const publish = new Set<string>([api('INFO'), ...NUDGE_STREAMS.map((stream) => api(`STREAM.INFO.${stream}`)), ...access.publishes]);
  for (const stream of access.consumes) for (const subject of streamReadSubjects(stream)) publish.add(subject);
  for (const bucket of [...access.reads, ...access.writes]) for (const subject of streamReadSubjects(kvStream(bucket))) publish.add(subject);
  for (const bucket of access.writes) publish.add(`$KV.${bucket}.>`);
  for (const stream of access.creates) {
    publish.add(api(`STREAM.CREATE.${stream}`));
    publish.add(api(`STREAM.INFO.${stream}`));
  }
  return { publish: [...publish], subscribe: [inbox] };
}
