/**
 * JetStream publishes whose PubAcks come back on one reply subscription, as kv-writer.ts does for the
 * graph's writes: `js.publish` is a request, and nats.js builds a request object, a timer and an Error
 * (`RequestError`, 4% of the resolver's CPU in its profile) for every one. The resolver republishes
 * every raw event, so this is a per-event cost. Message ids, headers and ordering are those of the
 * plain publish (one connection, sent in call order); only the way the PubAck is awaited differs.
 *
 * Failures are typed like the writer's: the stream's refusal is a PublishRefusedError (not
 * infrastructure unless its text says so, resolver-failures.ts), no PubAck within the timeout a
 * PublishTimeoutError ("timed out": infrastructure), no stream for the subject a 503 "no responders".
 */
import { JetStreamClientImpl } from '@nats-io/jetstream/internal';
import type { JetStreamClient } from '@nats-io/jetstream';
import { createInbox, type MsgHdrs, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export class PublishRefusedError extends Error {
  constructor(readonly subject: string, readonly code: number, description: string) {
    super(`publish to ${subject} refused: ${description}`);
    this.name = 'PublishRefusedError';
  }
}

export class PublishTimeoutError extends Error {
  constructor(readonly subject: string, timeoutMs: number) {
    super(`publish to ${subject} timed out after ${timeoutMs} ms (no PubAck)`);
    this.name = 'PublishTimeoutError';
  }
}

interface Waiting {
  subject: string;
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: number;
}

export class PipelinedPublisher {
  private readonly inbox: string;
  private subscription: Subscription | null = null;
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;
  private sweep: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly nc: NatsConnection, private readonly timeoutMs = 5000, inboxPrefix?: string) {
    this.inbox = createInbox(inboxPrefix);
  }

  /**
   * The publisher on `js`'s connection, or null when `js` is not this client's or its publish is not
   * the client's own (a wrapper that injects failures or counts): then use js.publish, so it is seen.
   */
  static of(js: JetStreamClient, timeoutMs?: number): PipelinedPublisher | null {
    if (!(js instanceof JetStreamClientImpl) || js.publish !== JetStreamClientImpl.prototype.publish) return null;
    return new PipelinedPublisher(js.nc, timeoutMs, js.nc.options.inboxPrefix);
  }

  /** Sends now; resolves once the stream stored it (or dropped it as a duplicate of its Nats-Msg-Id). */
  publish(subject: string, data: string, h: MsgHdrs): Promise<void> {
    this.subscription ??= this.nc.subscribe(`${this.inbox}.*`, { callback: (_error, msg) => this.answered(msg) });
    const token = String(this.next++);
    return new Promise<void>((resolve, reject) => {
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
      const status = msg.headers?.code ?? 0;
      waiting.reject(new PublishRefusedError(waiting.subject, status, status === 503 ? 'no responders' : `status ${status} ${msg.headers?.description ?? ''}`));
      return;
    }
    try {
      const ack = msg.json<{ error?: { code: number; description: string } }>();
      if (ack.error) waiting.reject(new PublishRefusedError(waiting.subject, ack.error.code, ack.error.description));
      else waiting.resolve();
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  private expire() {
    const now = Date.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.settle(token);
      waiting.reject(new PublishTimeoutError(waiting.subject, this.timeoutMs));
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
