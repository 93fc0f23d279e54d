/**
 * The send activity with the worker's tracker (engine/inbound/tracking-links.ts): a rule with
 * `tracking` gets its links rewritten to signed redirects that verify back to the message; every email
 * carries its signed X-Nudge-Ref and every SMS its delivery ref; without the tracker nothing changes.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorSet, EmailMessage, SmsMessage } from '../../connectors/channels';
import { recordingConnectors } from '../../engine/simulate/recording-connectors';
import { emptyState } from '../../engine/state/behavior-state';
import { messageTracking, verifyClickToken, verifyMessageRef, verifyOpenToken } from '../../engine/inbound/tracking-links';
import { createActivities, type ActivityDeps, type PerformStepInput } from './create-activities';
import { MemoryCapStore } from './frequency-caps';
import { MESSAGE_REF_HEADER } from './link-tracking';
import { MemorySendLedger } from './send-ledger';

const SECRET = 'tracked-sends-secret-0123456789';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

function capturing(): { connectors: ConnectorSet; emails: EmailMessage[]; sms: SmsMessage[] } {
  const base = recordingConnectors({});
  const emails: EmailMessage[] = [];
  const sms: SmsMessage[] = [];
  return {
    emails,
    sms,
    connectors: { ...base, email: { ...base.email, send: (m) => (emails.push(m), base.email.send(m)) }, sms: { ...base.sms, send: (m) => (sms.push(m), base.sms.send(m)) } },
  };
}

const input = (step: PerformStepInput['step'], tracking?: PerformStepInput['tracking']): PerformStepInput => ({
  journeyId: 'journey/promo/ann/m1',
  userId: 'ann',
  rule: { id: 'promo', version: 2 },
  step,
  trigger: { messageId: 'm1', event: 'cart_abandoned', timestamp: new Date(T0).toISOString(), properties: { sku: 'A1' } },
  traits: {},
  coupon: null,
  ...(tracking ? { tracking } : {}),
});

async function send(step: PerformStepInput['step'], tracking: PerformStepInput['tracking'] | undefined, withTracker = true) {
  const captured = capturing();
  const deps: ActivityDeps = {
    connectors: captured.connectors,
    ledger: new MemorySendLedger(),
    loadUserState: async () => ({ ...emptyState('ann'), clock: T0, traits: { email: 'ann@example.com', phone: '+14155550100' } }),
    clock: () => T0,
    caps: new MemoryCapStore(),
    consentMode: 'opt-out',
    unsubscribeHeaders: () => ({ 'List-Unsubscribe': '<https://hooks.test/u/T>' }),
    ...(withTracker ? { tracking: messageTracking({ baseUrl: 'https://hooks.test', secret: SECRET }) } : {}),
  };
  expect((await createActivities(deps).performStep(input(step, tracking))).status).toBe('done');
  return captured;
}

const email: PerformStepInput['step'] = {
  id: 'mail', type: 'email', subject: 'Cart',
  text: 'Back to https://shop.test/cart?sku={{ event.properties.sku }} or mail mailto:help@shop.test',
  html: '<html><body><a href="https://shop.test/cart?sku={{ event.properties.sku }}&amp;utm=x">Cart</a> <a href="https://hooks.test/u/T">unsubscribe</a></body></html>',
};
const tokenAfter = (marker: string, text: string) => new RegExp(`https://hooks\\.test/${marker}/([A-Za-z0-9_.-]+)`).exec(text)?.[1];

describe('tracked sends', () => {
  it('an email of a rule with tracking: signed click links, the pixel, X-Nudge-Ref and List-Unsubscribe', async () => {
    const [sent] = (await send(email, { clicks: true, opens: true })).emails;
    const message = { ruleId: 'promo', ruleVersion: 2, journeyId: 'journey/promo/ann/m1', stepId: 'mail', userId: 'ann', channel: 'email' };
    expect(verifyClickToken(tokenAfter('c', sent!.text)!, SECRET)).toEqual({ ...message, linkIndex: 0, url: 'https://shop.test/cart?sku=A1' });
    expect(sent!.text).toContain(' or mail mailto:help@shop.test');
    expect(verifyClickToken(tokenAfter('c', sent!.html!)!, SECRET)).toEqual({ ...message, linkIndex: 0, url: 'https://shop.test/cart?sku=A1&utm=x' });
    expect(sent!.html).toContain('<a href="https://hooks.test/u/T">unsubscribe</a>');
    expect(verifyOpenToken(tokenAfter('o', sent!.html!)!, SECRET)).toEqual(message);
    expect(verifyMessageRef(sent!.headers![MESSAGE_REF_HEADER]!, SECRET)).toEqual(message);
    expect(sent!.headers!['List-Unsubscribe']).toBe('<https://hooks.test/u/T>');
  });

  it('a rule without tracking keeps its links; the message ref still goes (bounce reports need it)', async () => {
    const [sent] = (await send(email, undefined)).emails;
    expect(sent!.text).toBe('Back to https://shop.test/cart?sku=A1 or mail mailto:help@shop.test');
    expect(sent!.html).not.toContain('/o/');
    expect(sent!.headers![MESSAGE_REF_HEADER]).toBeDefined();
  });

  it('an SMS: a tracked link and the delivery ref for the status callback', async () => {
    const [sms] = (await send({ id: 'text', type: 'sms', body: 'Your cart: https://shop.test/c' }, { clicks: true, opens: false })).sms;
    expect(verifyClickToken(tokenAfter('c', sms!.body)!, SECRET)).toMatchObject({ channel: 'sms', stepId: 'text', url: 'https://shop.test/c' });
    expect(verifyMessageRef(sms!.deliveryRef!, SECRET)).toMatchObject({ channel: 'sms', journeyId: 'journey/promo/ann/m1', userId: 'ann' });
  });

  it('without a tracker (the simulator) messages go out exactly as rendered', async () => {
    const [sent] = (await send(email, { clicks: true, opens: true }, false)).emails;
    expect(sent!.text).toBe('Back to https://shop.test/cart?sku=A1 or mail mailto:help@shop.test');
    expect(sent!.headers).toEqual({ 'List-Unsubscribe': '<https://hooks.test/u/T>' });
  });
});
