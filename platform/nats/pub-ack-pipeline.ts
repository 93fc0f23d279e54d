/**
 * JetStream publishes whose PubAcks come back on one reply subscription. `js.publish` (and so kv.update
 * and kv.create) is a request, and nats.js builds a request object, a timer and an Error for every one:
 * ~40 µs of CPU per publish against ~15 µs here (2-vCPU VM), and `RequestError` alone was 4% of the
 * identity resolver's profile. The resolver republishes every raw event and writes the graph's keys a
 * batch at a time, so that is a per-event cost. Messages, headers and order are those of the plain
 * publish (one connection, sent in call order); only the way the PubAck is awaited differs.
 *
 * Failures are typed: the stream's refusal is a PubAckRefusedError with the server's code and text
 * ("wrong last sequence" for a lost compare-and-set, a 503 "no responders" when no stream takes the
 * subject), no PubAck within the timeout a PubAckTimeoutError ("timed out": infrastructure to the
 * resolver, resolver-failures.ts).
 */
import { BaseApiClientImpl, JetStreamClientImpl } from '@nats-io/jetstream/internal';
import type { JetStreamClient } from '@nats-io/jetstream';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export class PubAckRefusedError extends Error {
  constructor(readonly subject: string, readonly code: number, readonly errCode: number | undefined, description: string) {
    super(`publish to ${subject} refused: ${description}`);
    this.name = 'PubAckRefusedError';
  }
}

export class PubAckTimeoutError extends Error {
  constructor(readonly subject: string, timeoutMs: number) {
    super(`publish to ${subject} timed out after ${timeoutMs} ms (no PubAck)`);
    this.name = 'PubAckTimeoutError';
  }
}

interface Waiting {
  subject: string;
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
  deadline: number;
}

export class PubAckPipeline {
  private readonly inbox: string;
  private subscription: Subscription | null = null;
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;
  private sweep: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly nc: NatsConnection, private readonly timeoutMs = 5000, inboxPrefix?: string) {
    this.inbox = createInbox(inboxPrefix);
  }

  /**
   * The pipeline on `js`'s connection, or null when `js` is not this client's or its publish is not the
   * client's own (a test's wrapper that injects failures or counts): then use js.publish, so it is seen.
   */
  static ofJetStream(js: JetStreamClient, timeoutMs?: number): PubAckPipeline | null {
    if (!(js instanceof JetStreamClientImpl) || js.publish !== JetStreamClientImpl.prototype.publish) return null;
    return new PubAckPipeline(js.nc, timeoutMs, js.nc.options.inboxPrefix);
  }

  /** The pipeline on the connection of a KV bucket's JetStream client, or null when it is not this client's. */
  static ofApiClient(js: unknown, timeoutMs?: number): PubAckPipeline | null {
    if (!(js instanceof BaseApiClientImpl)) return null;
    return new PubAckPipeline(js.nc, timeoutMs, js.nc.options.inboxPrefix);
  }

  /** Sends now; resolves with the stream sequence once the stream stored it (or dropped it as a duplicate of its Nats-Msg-Id). */
  publish(subject: string, data: string, h: MsgHdrs): Promise<number> {
    this.subscription ??= this.nc.subscribe(`${this.inbox}.*`, { callback: (_error, msg) => this.answered(msg) });
    const token = String(this.next++);
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(token, { subject, resolve, reject, deadline: Date.now() + this.timeoutMs });
      this.sweep ??= setInterval(() => this.expire(), Math.min(1000, this.timeoutMs));
      try {
        this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, headers: h });
      } catch (error) {
        this.settle(token);
        reject(error as Error);
      }
    });
  }

  private answered(msg: Msg) {
    const waiting = this.settle(msg.subject.slice(this.inbox.length + 1));
    if (!waiting) return; // expired already
    if (msg.data.length === 0) {
      // A status without a body: 503 when no stream takes the subject (JetStream down, stream or bucket gone).
      const status = msg.headers?.code ?? 0;
      waiting.reject(new PubAckRefusedError(waiting.subject, status, undefined, status === 503 ? 'no responders' : `status ${status} ${msg.headers?.description ?? ''}`));
      return;
    }
    try {
      const ack = msg.json<{ seq?: number; error?: { code: number; err_code?: number; description: string } }>();
      if (ack.error) waiting.reject(new PubAckRefusedError(waiting.subject, ack.error.code, ack.error.err_code, ack.error.description));
      else waiting.resolve(ack.seq!);
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  private expire() {
    const now = Date.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.settle(token);
      waiting.reject(new PubAckTimeoutError(waiting.subject, this.timeoutMs));
    }
  }

  private settle(token: string): Waiting | undefined {
    const waiting = this.waiting.get(token);
    this.waiting.delete(token);
    if (this.waiting.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
    return waiting;
  }
}
