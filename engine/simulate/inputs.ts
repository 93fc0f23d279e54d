/**
 * Reading simulation inputs: events from JSONL (Segment envelopes, any order), profiles from JSONL
 * ({ "userId", "traits" }), or a time range of the real JetStream stream read with an ordered consumer
 * (which leaves the engine's durable consumers untouched).
 */
import { readFileSync } from 'node:fs';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { parseEnvelope, type EventEnvelope } from '../events/envelope';
import { completeEnvelope } from '../../platform/nats/publisher';
import { RAW_STREAM } from '../events/subjects';

export class SimulationInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SimulationInputError';
  }
}

export function readEventsFile(file: string): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  const problems: string[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const raw = JSON.parse(line) as Record<string, unknown>;
      // Like `nudge publish`, a missing messageId is derived from the line; a missing timestamp is an
      // error here, because event time is what drives the simulation.
      const withId = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, messageId: raw.messageId ?? completeEnvelope(raw, line, new Date(0)).messageId } : raw;
      const parsed = parseEnvelope(withId);
      if (parsed.ok) events.push(parsed.event);
      else problems.push(`${file}:${i + 1}: ${parsed.reason}`);
    } catch (error) {
      problems.push(`${file}:${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
  });
  if (problems.length) throw new SimulationInputError(problems);
  return events;
}

const Profile = z.object({ userId: z.string().min(1), traits: z.record(z.string(), z.unknown()) }).strict();
export type Profile = z.infer<typeof Profile>;

export function readProfilesFile(file: string): Profile[] {
  const profiles: Profile[] = [];
  const problems: string[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const parsed = Profile.safeParse(JSON.parse(line));
      if (parsed.success) profiles.push(parsed.data);
      else problems.push(`${file}:${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(profile)'}: ${issue.message}`).join('; ')}`);
    } catch (error) {
      problems.push(`${file}:${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
  });
  if (problems.length) throw new SimulationInputError(problems);
  return profiles;
}

/**
 * A profile row as the identify event that would set it in production (the parity test publishes
 * profiles this way), so it takes the identify's path: identity graph, traits with their times,
 * consent. `index` (0-based row) makes each row's messageId its own, so no row is a repeat of another.
 */
export function profileIdentify(profile: Profile, index: number, timestamp: string): EventEnvelope {
  const parsed = parseEnvelope({ type: 'identify', userId: profile.userId, traits: profile.traits, timestamp, messageId: `profile-${index + 1}-${profile.userId}`.slice(0, 200), context: {} });
  if (!parsed.ok) throw new SimulationInputError([`profile ${index + 1}: ${parsed.reason}`]);
  return parsed.event;
}

/**
 * Events as trackers sent them (the raw stream, before identity resolution: the simulator resolves
 * identities itself) stored between `from` and `to` (stream time); invalid ones are reported and left out.
 */
export async function readStreamRange(nc: NatsConnection, from: Date, to: Date): Promise<{ events: EventEnvelope[]; skipped: string[] }> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(RAW_STREAM, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.toISOString() });
  const events: EventEnvelope[] = [];
  const skipped: string[] = [];
  const toNanos = BigInt(to.getTime()) * 1_000_000n;
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let received = 0;
    let pastEnd = false;
    for await (const msg of batch) {
      received++;
      if (BigInt(msg.info.timestampNanos) > toNanos) {
        pastEnd = true;
        break;
      }
      try {
        const parsed = parseEnvelope(msg.json());
        if (parsed.ok) events.push(parsed.event);
        else skipped.push(`stream seq ${msg.seq}: ${parsed.reason}`);
      } catch (error) {
        skipped.push(`stream seq ${msg.seq}: not valid JSON: ${(error as Error).message}`);
      }
      if (msg.info.pending === 0) pastEnd = true;
    }
    if (pastEnd || received === 0) break;
  }
  return { events, skipped };
}
