/**
 * Messages published straight to a partition (not through the resolver): whatever they hold, the
 * partition reader names them invalid (a dead letter) instead of throwing or handing the engine a value
 * that overflows the stack later (the decision, the state write, a journey's input).
 */
import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { CONTROL_HEADER, partitionOf } from '../events/subjects';
import { readPartitionMessage } from './partition-messages';

const PARTITIONS = 4;
const message = (text: string, control?: string): JsMsg => {
  const data = new TextEncoder().encode(text);
  const h = headers();
  if (control) h.set(CONTROL_HEADER, control);
  return { seq: 1, data, headers: control ? h : undefined, json: () => JSON.parse(new TextDecoder().decode(data)) as unknown } as unknown as JsMsg;
};
const event = (fields: Record<string, unknown>) => JSON.stringify({ type: 'track', event: 'e', messageId: 'm', timestamp: '2026-01-01T00:00:00Z', userId: 'ann', ...fields });

describe('readPartitionMessage with hostile messages', () => {
  const home = partitionOf('ann', PARTITIONS);

  it('a 5,000-level event is invalid by its depth, before it is parsed', () => {
    const deep = event({}).replace('"userId"', `"properties":${'['.repeat(5000)}${']'.repeat(5000)},"userId"`);
    expect(readPartitionMessage(message(deep), home, PARTITIONS)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^invalid event: JSON nested deeper than 64/) });
    const deepControl = `{"from":"a","into":"b","state":${'{"x":'.repeat(200)}1${'}'.repeat(200)}}`;
    expect(readPartitionMessage(message(deepControl, 'absorb'), home, PARTITIONS)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/^invalid absorb control message: JSON nested deeper/) });
  });

  it('identifiers the collector refuses are invalid here too (one definition)', () => {
    for (const [fields, reason] of [[{ userId: 'ann\uD800' }, /lone surrogate/], [{ messageId: 'm\r\n' }, /control character/], [{ userId: '  ' }, /whitespace only/]] as const) {
      expect(readPartitionMessage(message(event(fields)), home, PARTITIONS)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(reason) });
    }
    expect(readPartitionMessage(message(event({})), home, PARTITIONS)).toMatchObject({ kind: 'event', person: 'ann' });
  });
});
