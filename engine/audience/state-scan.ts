/**
 * Reads every person's current state from the state bucket in one pass: an ordered consumer on the
 * bucket's stream that delivers the last message of each key (JetStream's last_per_subject), in pages
 * handed to the caller — no KV get per person. Deleted keys (`nudge erase`) are skipped. States written
 * while the pass runs (the entries it causes are written by the partitions meanwhile) come after the
 * snapshot: a key already read is not handed out again, so every person is read at most once per pass,
 * and the pass ends at the first state written after it began (so it ends under a steady write load).
 * A person whose state changes before the pass reaches them is read at their newer state, or, if that
 * lands after the end, not in this pass.
 */
import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { UserState } from '../state/behavior-state';
import { upgradeState } from '../state/state-version';

export interface ScanOptions {
  /** Most states per page handed to `onPage`. */
  pageSize?: number;
  stop?: AbortSignal;
}

/** The person a state key names (state-store.ts: `u.<base64url(person)>`, `u._` for the empty id). */
export const personOfKey = (key: string): string => (key === 'u._' ? '' : Buffer.from(key.slice(2), 'base64url').toString('utf8'));

/** Raw pages of the bucket's last values, undecoded: what the scan costs before any state is read (the benchmark's baseline). */
export async function scanStateMessages(js: JetStreamClient, bucket: string, onPage: (msgs: JsMsg[]) => Promise<void> | void, options: ScanOptions = {}): Promise<number> {
  const stream = `KV_${bucket}`;
  const subject = `$KV.${bucket}.u.>`;
  const consumer = await js.consumers.get(stream, { filter_subjects: [subject], deliver_policy: DeliverPolicy.LastPerSubject });
  if ((await consumer.info()).num_pending === 0) return 0;
  // Where the stream ended when the pass began: the pass ends at the first state written after that.
  const snapshotEnd = (await (await js.jetstreamManager()).streams.info(stream)).state.last_seq;
  const pageSize = options.pageSize ?? 1000;
  const messages = await consumer.consume({ max_messages: Math.max(pageSize, 256) });
  const close = () => void messages.close().catch(() => undefined);
  options.stop?.addEventListener('abort', close, { once: true });
  let page: JsMsg[] = [];
  let read = 0;
  // Keys read so far: the consumer goes on past the snapshot with states written since.
  const seen = new Set<string>();
  try {
    for await (const msg of messages) {
      const last = msg.info.pending === 0 || msg.seq >= snapshotEnd;
      if (!seen.has(msg.subject)) {
        seen.add(msg.subject);
        page.push(msg);
        read++;
      }
      if (page.length >= pageSize || last) {
        const full = page;
        page = [];
        await onPage(full);
      }
      if (last) break;
    }
  } finally {
    options.stop?.removeEventListener('abort', close);
    close();
  }
  if (options.stop?.aborted) throw new Error('state scan stopped');
  return read;
}

/** Every live state (deleted keys skipped), decoded through upgradeState like every other read, page by page. */
export async function scanStates(js: JetStreamClient, bucket: string, onPage: (states: UserState[]) => Promise<void> | void, options: ScanOptions = {}): Promise<number> {
  const prefix = `$KV.${bucket}.`;
  return scanStateMessages(js, bucket, async (msgs) => {
    const states: UserState[] = [];
    for (const msg of msgs) {
      const operation = msg.headers?.get('KV-Operation');
      if (operation === 'DEL' || operation === 'PURGE') continue;
      states.push(upgradeState(msg.json<unknown>(), personOfKey(msg.subject.slice(prefix.length))));
    }
    await onPage(states);
  }, options);
}
