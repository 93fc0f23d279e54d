import { describe, expect, it } from 'vitest';
import { anonymousRecordOf, ledgerKey, parseLedgerKey, type LedgerRecord } from '../../workflows/activities/send-ledger';

describe('send ledger records under erase', () => {
  it('parseLedgerKey inverts ledgerKey and ignores anonymous and index keys', () => {
    const journeyId = 'journey/pricing-hesitation/user/with.dots/msg-1';
    expect(parseLedgerKey(ledgerKey(journeyId, 'coupon-email'))).toEqual({ journeyId, stepId: 'coupon-email' });
    expect(parseLedgerKey('anon.3f2a')).toBeNull();
    expect(parseLedgerKey('provider.SM123')).toBeNull();
  });

  it('an anonymous record keeps what counts need and nothing that identifies the user', () => {
    const record: LedgerRecord = {
      status: 'sent',
      channel: 'email',
      journeyId: 'journey/pricing-hesitation/alice/msg-1',
      stepId: 'coupon-email',
      at: '2026-03-04T05:06:07.089Z',
      to: 'alice@example.com',
      providerMessageId: '<abc@smtp>',
      details: { to: 'alice@example.com', subject: 'Alice, 10% off', body: 'Use SAVE10-XYZ' },
    };
    const anonymous = anonymousRecordOf(record, 'pricing-hesitation');
    expect(anonymous).toEqual({ anonymous: true, status: 'sent', channel: 'email', ruleId: 'pricing-hesitation', stepId: 'coupon-email', date: '2026-03-04' });
    expect(JSON.stringify(anonymous)).not.toMatch(/alice|SAVE10|abc@smtp/);
  });
});
