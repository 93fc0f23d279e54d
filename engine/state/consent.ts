/**
 * Consent, the pure part: identify traits (`traits.consent`) and subscribed / unsubscribed events become
 * per channel and topic decisions with their time; `consentAllows` says whether a message may go out.
 */
import type { UserState } from './behavior-state';

/** One consent decision: granted or withdrawn, when, and by what (identify trait, one-click link, SMS STOP…). */
export interface ConsentRecord {
  granted: boolean;
  at: number;
  source: string;
}

const CHANNELS = ['email', 'sms'];

function setConsent(consent: Record<string, Record<string, ConsentRecord>>, channel: string, topic: string, record: ConsentRecord) {
  const current = consent[channel]?.[topic];
  if (current && current.at > record.at) return consent; // a later decision already stands
  return { ...consent, [channel]: { ...consent[channel], [topic]: record } };
}

/** `traits.consent` on identify: { email: false } (whole channel) or { email: { promotions: false } } (per topic). */
export function applyConsentTrait(consent: Record<string, Record<string, ConsentRecord>>, trait: unknown, at: number) {
  let next = consent;
  if (typeof trait !== 'object' || trait === null) return next;
  for (const [channel, value] of Object.entries(trait as Record<string, unknown>)) {
    if (typeof value === 'boolean') next = setConsent(next, channel, 'all', { granted: value, at, source: 'identify' });
    else if (typeof value === 'object' && value !== null) {
      for (const [topic, granted] of Object.entries(value)) {
        if (typeof granted === 'boolean') next = setConsent(next, channel, topic, { granted, at, source: 'identify' });
      }
    }
  }
  return next;
}

/** `unsubscribed` / `subscribed` track events: properties { channel: "email"|"sms"|"all", topic?, source? }. */
export function applyConsentEvent(consent: Record<string, Record<string, ConsentRecord>>, granted: boolean, properties: Record<string, unknown>, at: number) {
  const channel = typeof properties.channel === 'string' ? properties.channel : 'all';
  const topic = typeof properties.topic === 'string' && properties.topic ? properties.topic : 'all';
  const source = typeof properties.source === 'string' ? properties.source : granted ? 'subscribed' : 'unsubscribed';
  let next = consent;
  for (const c of channel === 'all' ? CHANNELS : [channel]) next = setConsent(next, c, topic, { granted, at, source });
  return next;
}

export type ConsentMode = 'opt-out' | 'opt-in';

/**
 * May a message go out? The latest decision about the message's topic or its whole channel wins (by
 * event time): a later grant of a topic lifts an earlier channel-wide opt-out for that topic, and a later
 * channel-wide opt-out overrides earlier topic grants. Transactional messages ignore consent, except a
 * channel-wide SMS opt-out that no later grant lifted (carriers enforce STOP). Without any decision,
 * opt-out mode allows and opt-in mode does not.
 */
export function consentAllows(state: UserState, channel: string, topic: string, transactional: boolean, mode: ConsentMode): boolean {
  const records = state.consent[channel] ?? {};
  if (transactional) return !(channel === 'sms' && records.all?.granted === false);
  const decisions = [records.all, topic === 'all' ? undefined : records[topic]].filter((r): r is ConsentRecord => r !== undefined);
  if (decisions.length === 0) return mode === 'opt-out';
  const latest = decisions.reduce((a, b) => (b.at >= a.at ? b : a));
  return latest.granted;
}
