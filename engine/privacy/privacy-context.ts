/**
 * Connections and store handles that export and erase share: NATS (KV buckets, event streams) and the
 * Temporal client. Buckets are opened only if they exist — reading a user's data must never create a
 * store — and a key is erased by purging its subject from the bucket's stream, so not even a delete
 * marker (whose subject is the key, which encodes the user id) is left behind.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client, Connection } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { couponPoolConfigSchema } from '../../connectors/coupon/pool/coupon-pool.config';
import { identifierTypesOf, type Config } from '../../platform/config';
import type { IdentifierTypes } from '../events/identifier-types';
import { IDENTITY_BUCKET } from '../identity/identity-store';
import { SENDS_BUCKET, USERS_BUCKET } from '../../platform/nats/setup';

export interface OpenBucket {
  name: string;
  kv: KV;
}

export interface PrivacyContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  temporal: Client;
  namespace: string;
  /** NUDGE_PARTITIONS, used when the events stream does not record its partition count. */
  partitions: number;
  users: OpenBucket | null;
  sends: OpenBucket | null;
  coupons: OpenBucket | null;
  /** The identity graph (nudge_identity); null in installs from before it. */
  identity: OpenBucket | null;
  /** NUDGE_IDENTIFIERS: how an identifier given on the command line, or carried by an event, is normalised. */
  types: IdentifierTypes;
  /** The other nudge_* buckets (nudge_phones, nudge_caps and any added later), swept for entries linked to the user. */
  otherBuckets: OpenBucket[];
}

/** Opens everything, runs `work`, closes everything. */
export async function withPrivacyContext<T>(config: Config, env: NodeJS.ProcessEnv, work: (ctx: PrivacyContext) => Promise<T>): Promise<T> {
  const nc = await connect(natsConnectOptions(config, 'nudge-privacy'));
  let connection: Connection | null = null;
  try {
    const temporal = await connectTemporalClient(config);
    connection = temporal.connection;
    const jsm = await jetstreamManager(nc);
    const couponBucket = couponPoolConfigSchema.shape.bucket.parse(env.COUPON_BUCKET || undefined);
    const known = new Set([USERS_BUCKET, SENDS_BUCKET, couponBucket, IDENTITY_BUCKET]);
    const otherBuckets: OpenBucket[] = [];
    for (const name of await otherNudgeBuckets(jsm, known)) {
      const bucket = await openExisting(nc, jsm, name);
      if (bucket) otherBuckets.push(bucket);
    }
    const ctx: PrivacyContext = {
      nc,
      js: jetstream(nc),
      jsm,
      temporal: temporal.client,
      namespace: config.TEMPORAL_NAMESPACE,
      partitions: config.NUDGE_PARTITIONS,
      users: await openExisting(nc, jsm, USERS_BUCKET),
      sends: await openExisting(nc, jsm, SENDS_BUCKET),
      coupons: await openExisting(nc, jsm, couponBucket),
      identity: await openExisting(nc, jsm, IDENTITY_BUCKET),
      types: identifierTypesOf(config),
      otherBuckets,
    };
    return await work(ctx);
  } finally {
    await connection?.close();
    await nc.close();
  }
}

async function openExisting(nc: NatsConnection, jsm: JetStreamManager, name: string): Promise<OpenBucket | null> {
  const info = await jsm.streams.info(`KV_${name}`).catch(() => null);
  return info ? { name, kv: await new Kvm(nc).open(name) } : null;
}

/** Buckets named nudge_* other than the stores handled explicitly: nudge_phones, nudge_caps, and any added later. */
async function otherNudgeBuckets(jsm: JetStreamManager, known: Set<string>): Promise<string[]> {
  const names: string[] = [];
  for await (const stream of jsm.streams.names()) {
    const bucket = stream.startsWith('KV_') ? stream.slice(3) : null;
    if (bucket && /^nudge[_-]/.test(bucket) && !known.has(bucket)) names.push(bucket);
  }
  return names.sort();
}

/** Removes every message of the key from the bucket's stream: value, history and delete markers. */
export async function eraseKey(ctx: PrivacyContext, bucket: OpenBucket, key: string): Promise<void> {
  await ctx.jsm.streams.purge(`KV_${bucket.name}`, { filter: `$KV.${bucket.name}.${key}` });
}

/** Removes a key's earlier revisions, after it was rewritten without the user's data (a bucket may keep history). */
export async function eraseEarlierRevisions(ctx: PrivacyContext, bucket: OpenBucket, key: string): Promise<void> {
  await ctx.jsm.streams.purge(`KV_${bucket.name}`, { filter: `$KV.${bucket.name}.${key}`, keep: 1 });
}

/** All keys of a bucket. Reads the whole key space: cost grows with the bucket, fine for an ops command. */
export async function allKeys(bucket: OpenBucket): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await bucket.kv.keys()) keys.push(key);
  return keys;
}
