/**
 * The resolver's publishes of one batch: routed events, merge hand-offs and dead letters, sent without
 * waiting and in call order on the one connection (JetStream stores them in that order), their PubAcks
 * awaited together at the end of the batch (settle). `stored()` is the one earlier wait a batch needs:
 * a merge's redirect is written only once its hand-off, and everything published before it, is stored.
 *
 * Publishes are handed to the client SEND_EVERY at a time (and whenever something waits for them):
 * nats.js writes what was published in one microtask turn to the socket at once, and planning awaits
 * between events, so one publish per event meant one socket write per event (12% of the CPU).
 * Events and hand-offs go through one PubAckPipeline per JetStream client (PubAcks on one reply
 * subscription instead of a request each); the message, its headers and its id are publishToPerson's.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { EventEnvelope } from '../events/envelope';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject } from '../events/subjects';
import { PubAckPipeline } from '../../platform/nats/pub-ack-pipeline';
import { publishDeadLetter } from '../../platform/nats/dead-letter';
import type { MergeRecord } from './identity-store';
import { publishControl, publishToPerson } from '../../platform/nats/partition-publish';
import type { BatchSink, RawMessage, Resolution } from './plan-batch';
import type { BatchOutcome, ResolverContext } from './resolve-batch';
import { isInfrastructure } from './resolver-failures';

/** Publishes held back at most, so that they leave in one socket write while planning goes on. */
const SEND_EVERY = 64;

/** One per client for the life of its connection: its reply subscription outlives every batch. */
const publishers = new WeakMap<JetStreamClient, PubAckPipeline | null>();

function publisherOf(js: JetStreamClient): PubAckPipeline | null {
  if (!publishers.has(js)) publishers.set(js, PubAckPipeline.ofJetStream(js));
  return publishers.get(js)!;
}

interface InFlight {
  msg: RawMessage;
  kind: 'event' | 'control' | 'dead letter';
  ack: Promise<unknown>;
}

export class Republisher implements BatchSink {
  readonly outcome: BatchOutcome = new Map();
  private pending: InFlight[] = [];
  private queued: { msg: RawMessage; kind: InFlight['kind']; send: () => Promise<unknown> }[] = [];
  /**
   * What stored() waits for: every message sent before the last call, and those sent since
   * (`unstored`). Built only when asked: a merge asks (2–4% of events), the other events need not
   * each chain their PubAck into it.
   */
  private storedSoFar: Promise<void> = Promise.resolve();
  private unstored: InFlight[] = [];

  private readonly publisher: PubAckPipeline | null;

  constructor(private readonly ctx: ResolverContext) {
    this.publisher = publisherOf(ctx.js);
  }

  event(msg: RawMessage, person: string, event: EventEnvelope, resolution: Resolution) {
    this.outcome.set(msg.seq, { resolved: resolution });
    this.queue(msg, 'event', () => this.toPerson(person, event, event.messageId, null) ?? publishToPerson(this.ctx.js, this.ctx.partitions, person, event));
  }

  control(msg: RawMessage, merge: MergeRecord) {
    const msgID = `merge/${merge.from}/${merge.into}`;
    this.queue(msg, 'control', () => this.toPerson(merge.from, merge, msgID, 'merge') ?? publishControl(this.ctx.js, this.ctx.partitions, 'merge', merge.from, merge, msgID));
  }

  /** publishToPerson / publishControl's message through the pipelined publisher; null without one. */
  private toPerson(person: string, body: unknown, msgID: string, control: 'merge' | null): Promise<number> | null {
    if (!this.publisher) return null;
    const h = headers(); // fresh: append is set without looking for a value to replace first
    h.append(PERSON_HEADER, person);
    if (control) h.append(CONTROL_HEADER, control);
    h.append('Nats-Msg-Id', msgID);
    return this.publisher.publish(partitionSubject(partitionOf(person, this.ctx.partitions)), JSON.stringify(body), h);
  }

  deadLetter(msg: RawMessage, reason: string) {
    this.ctx.log.warn({ partition: 'unrouted', seq: msg.seq, reason }, 'event dead-lettered');
    this.outcome.set(msg.seq, { deadLetter: reason });
    // Its message id is the raw subject and sequence: dead-lettering it again in a replay is dropped.
    this.queue(msg, 'dead letter', () => publishDeadLetter(this.ctx.js, { partition: 'unrouted', data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq }));
  }

  /**
   * Resolves once everything published so far is stored; rejects if any of it failed for good. An
   * event the partition stream refused for a reason of its own does not hold anything up: settle()
   * dead-letters it.
   */
  stored(): Promise<void> {
    this.send();
    if (this.unstored.length) {
      const acks: Promise<unknown>[] = [this.storedSoFar];
      for (const { kind, ack } of this.unstored.splice(0)) acks.push(kind === 'event' ? ack.catch((error: unknown) => { if (isInfrastructure(error)) throw error; }) : ack);
      this.storedSoFar = Promise.all(acks).then(() => undefined);
      this.storedSoFar.catch(() => undefined); // awaited by whoever asked for stored(); unhandled otherwise
    }
    return this.storedSoFar;
  }

  /**
   * Waits until everything published so far is stored. An event the partition stream refuses for a
   * reason of its own (e.g. too large once the person header is added) is dead-lettered; any other
   * failure fails the batch.
   */
  async settle(): Promise<void> {
    this.send();
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      const results = await Promise.allSettled(batch.map((p) => p.ack));
      let fatal: { error: unknown } | null = null;
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') return;
        const { msg, kind } = batch[i]!;
        if (kind === 'event' && !isInfrastructure(result.reason)) this.deadLetter(msg, `republishing to the partition failed: ${(result.reason as Error)?.message}`);
        else fatal ??= { error: result.reason };
      });
      this.send();
      if (fatal) throw (fatal as { error: unknown }).error;
    }
  }

  /** Waits for whatever is still in flight, ignoring the outcome (the batch is failing anyway). */
  async abandon(): Promise<void> {
    this.queued = []; // never sent: nothing to wait for
    await Promise.allSettled(this.pending.splice(0).map((p) => p.ack));
  }

  private queue(msg: RawMessage, kind: InFlight['kind'], send: () => Promise<unknown>) {
    this.queued.push({ msg, kind, send });
    if (this.queued.length >= SEND_EVERY) this.send();
  }

  /** Hands everything queued to the client, in order, in this microtask turn. */
  private send() {
    for (const { msg, kind, send } of this.queued.splice(0)) {
      const ack = send();
      ack.catch(() => undefined); // settled by settle() or abandon(); never an unhandled rejection meanwhile
      const sent = { msg, kind, ack };
      this.pending.push(sent);
      this.unstored.push(sent);
    }
  }
}
