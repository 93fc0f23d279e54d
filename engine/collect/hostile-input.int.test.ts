/**
 * The hostile-input findings, one by one, on the real collector, NATS and resolver: each was a
 * 5xx (a retry loop for every tracker), a crash, or a 200 followed by a dead letter. Now a refusal is
 * a 4xx naming what and where with nothing of the request stored, and a message published straight to
 * the raw stream is a dead letter while the events behind it go through.
 */
import { describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { eventually } from '../../test/support/poll';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, RAW_STREAM, RAW_SUBJECT } from '../events/subjects';
import { publishJsonLines } from '../../platform/nats/publisher';
import { post, readStream, useHostileHarness } from './hostile-input.harness';

const h = useHostileHarness();
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const track = (id: string, fields: Record<string, unknown> = {}) => ({ type: 'track', event: 'e', userId: `user-${id}`, messageId: `msg-${id}`, ...fields });
const rawCount = async () => (await h.jsm.streams.info(RAW_STREAM)).state.messages;
/** True once the event is on a partition; undefined until then (what `eventually` waits through). */
const onPartitions = async (messageId: string) => (await readStream(h, EVENTS_STREAM)).some((m) => new TextDecoder().decode(m.data).includes(`"messageId":"${messageId}"`)) || undefined;

describe('hostile input at the collector', () => {
  it('a message nested 5,000 levels deep is a 400 with the reason, on /v1/track and in /v1/batch', async () => {
    const before = await rawCount();
    const deep = `{"userId":"u-deep","event":"e","properties":${nested(5000)}}`;
    expect(await post(h, '/v1/track', deep)).toMatchObject({ status: 400, text: expect.stringMatching(/nested deeper than 64 levels/) });
    const batch = `{"batch":[${JSON.stringify(track('ok-1'))},{"type":"track","userId":"u","event":"e","properties":${nested(4500)}}]}`;
    expect(await post(h, '/v1/batch', batch)).toMatchObject({ status: 400, text: expect.stringMatching(/nested deeper/) });
    const wide = `{"userId":"u","event":"e","properties":{${Array.from({ length: 1001 }, (_, i) => `"k${i}":1`).join(',')}}}`;
    expect(await post(h, '/v1/track', wide)).toMatchObject({ status: 400, text: expect.stringMatching(/more than 1000 keys/) });
    expect(await rawCount()).toBe(before);
  });

  it('refuses identifiers that cannot be stored or routed with 400, and nothing of the batch is stored', async () => {
    const before = await rawCount();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ messageId: 'm-crlf\r\nX: y' }, /batch\[1\]\.messageId: an identifier contains the control character U\+000D/],
      [{ userId: 'user-\uD83D' }, /batch\[1\]\.userId: an identifier contains a lone surrogate/],
      [{ userId: '   ' }, /batch\[1\]\.userId: an identifier is whitespace only/],
      [{ anonymousId: 'x'.repeat(201), userId: undefined }, /batch\[1\]\.anonymousId: an identifier is longer than 200 characters/],
    ];
    for (const [fields, reason] of cases) {
      const answer = await post(h, '/v1/batch', JSON.stringify({ batch: [track('first'), track('second', fields), track('third')] }));
      expect(answer).toMatchObject({ status: 400, text: expect.stringMatching(reason) });
    }
    expect(await rawCount()).toBe(before);
  });

  it('a userId over 200 UTF-16 units but within 200 code points is accepted and reaches its partition (not dead-lettered later)', async () => {
    const userId = '😀'.repeat(150) + 'x'.repeat(40);
    expect(await post(h, '/v1/track', JSON.stringify(track('emoji', { userId })))).toMatchObject({ status: 200 });
    await eventually(() => onPartitions('msg-emoji'), 10_000, 'the emoji user\'s event on a partition');
    expect(h.deadLetterReasons.filter((r) => r.includes('emoji'))).toEqual([]);
  });
});

describe('hostile messages published straight to the raw stream', () => {
  it('are dead letters, never a crash or a retry loop, and the event behind them goes through', async () => {
    const enc = (text: string) => new TextEncoder().encode(text);
    const poison = [
      enc(`{"type":"track","event":"e","userId":"u","messageId":"p-deep","timestamp":"2026-01-01T00:00:00Z","properties":${nested(5000)}}`),
      enc(JSON.stringify({ ...track('p-surrogate'), userId: 'u-\uDC00', timestamp: '2026-01-01T00:00:00Z' })),
      enc(JSON.stringify({ ...track('p-space'), userId: ' ', timestamp: '2026-01-01T00:00:00Z' })),
      enc('{"type":"track",'),
      new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    ];
    const reasonsBefore = h.deadLetterReasons.length;
    for (const data of poison) await h.js.publish(RAW_SUBJECT, data);
    // A header the resolver would trust for a person, with a control character in the body's id.
    const hdr = headers();
    hdr.set('Nudge-Person', 'p-1');
    await h.js.publish(RAW_SUBJECT, enc(JSON.stringify({ ...track('p-ctl'), messageId: 'bad\u0007id', timestamp: '2026-01-01T00:00:00Z' })), { headers: hdr });
    await h.js.publish(RAW_SUBJECT, enc(JSON.stringify({ ...track('after-poison'), timestamp: '2026-01-01T00:00:00Z' })));

    await eventually(() => onPartitions('msg-after-poison'), 10_000, 'the valid event behind the poison');
    // The resolver reports its dead letters once their batch is committed, which may be after the event is on its partition.
    const reasons = await eventually(() => (h.deadLetterReasons.length >= reasonsBefore + poison.length + 1 ? h.deadLetterReasons.slice(reasonsBefore) : undefined), 10_000, 'the dead letters reported');
    expect(reasons).toHaveLength(poison.length + 1);
    expect(reasons[0]).toMatch(/^invalid event: JSON nested deeper/);
    expect(reasons[1]).toMatch(/userId: an identifier contains a lone surrogate/);
    expect(reasons[2]).toMatch(/userId: an identifier is whitespace only/);
    expect(reasons[5]).toMatch(/messageId: an identifier contains the control character U\+0007/);
    const letters = await eventually(async () => {
      const all = await readStream(h, DEAD_LETTER_STREAM);
      return all.length >= reasonsBefore + poison.length + 1 ? all : undefined;
    }, 10_000, 'the dead letters stored');
    expect(letters.at(-1)!.header('Nudge-Reason')).toMatch(/U\+0007/);
  });
});

describe('nudge publish (publishJsonLines)', () => {
  it('reports a line whose messageId has CR/LF and goes on with the file', async () => {
    const huge = JSON.stringify(track('pub-huge', { properties: { blob: 'x'.repeat(2 * 1024 * 1024) } }));
    const lines = [JSON.stringify(track('pub-1')), JSON.stringify(track('pub-2', { messageId: 'a\r\nb' })), nested(5000), huge, JSON.stringify(track('pub-3'))];
    const result = await publishJsonLines(h.js, lines);
    expect(result.published).toBe(2);
    expect(result.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(result.problems[0]!.reason).toMatch(/messageId: an identifier contains the control character U\+000D/);
    expect(result.problems[1]!.reason).toMatch(/nested deeper/);
    expect(result.problems[2]!.reason).toMatch(/^cannot be stored: /);
  });
});
