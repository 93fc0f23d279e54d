import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../events/envelope';
import { unsubscribeEvent, type Unsubscribe } from './unsubscribe-event';

const unsubscribe: Unsubscribe = { userId: 'alice', channel: 'email', topic: 'promotions', source: 'one-click', dedupeKey: 'link\nTOKEN' };
const now = new Date('2026-03-01T12:00:00.000Z');

describe('unsubscribeEvent', () => {
  it('is a valid Segment track event the engine accepts', () => {
    const event = unsubscribeEvent(unsubscribe, now);
    expect(parseEnvelope(event)).toEqual({ ok: true, event });
    expect(event).toMatchObject({
      type: 'track', event: 'unsubscribed', userId: 'alice', timestamp: '2026-03-01T12:00:00.000Z',
      properties: { channel: 'email', topic: 'promotions', source: 'one-click' },
    });
  });

  it('derives the messageId from the dedupe key only, so repeats are JetStream duplicates', () => {
    const first = unsubscribeEvent(unsubscribe, now);
    const later = unsubscribeEvent({ ...unsubscribe, source: 'landing-page' }, new Date(now.getTime() + 60_000));
    expect(later.messageId).toBe(first.messageId);
    expect(unsubscribeEvent({ ...unsubscribe, dedupeKey: 'link\nOTHER' }, now).messageId).not.toBe(first.messageId);
  });
});
