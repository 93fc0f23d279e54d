import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../events/envelope';
import { engagementEvent, type Engagement } from './engagement-events';

const click: Engagement = {
  event: 'email_clicked',
  message: { ruleId: 'promo', ruleVersion: 2, journeyId: 'journey/promo/alice/m1', stepId: 'mail', userId: 'alice', channel: 'email' },
  details: { url: 'https://shop.test/', linkIndex: 0 },
  dedupeKey: 'TOKEN',
};
const now = new Date('2026-03-01T12:00:00.000Z');

describe('engagementEvent', () => {
  it('is a valid Segment track event about the message\'s person, carrying the message', () => {
    const event = engagementEvent(click, now);
    expect(parseEnvelope(event)).toEqual({ ok: true, event });
    expect(event).toMatchObject({
      type: 'track', event: 'email_clicked', userId: 'alice', timestamp: '2026-03-01T12:00:00.000Z',
      properties: { ruleId: 'promo', ruleVersion: 2, journeyId: 'journey/promo/alice/m1', stepId: 'mail', channel: 'email', url: 'https://shop.test/', linkIndex: 0 },
    });
  });

  it('derives the messageId from the event name and dedupe key only', () => {
    const first = engagementEvent(click, now);
    expect(engagementEvent(click, new Date(now.getTime() + 60_000)).messageId).toBe(first.messageId);
    expect(engagementEvent({ ...click, dedupeKey: 'OTHER' }, now).messageId).not.toBe(first.messageId);
    expect(engagementEvent({ ...click, event: 'sms_clicked' }, now).messageId).not.toBe(first.messageId);
  });
});
