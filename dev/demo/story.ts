/**
 * The demo's sample event stream: a handful of users whose behavior exercises the example rules, with
 * timestamps relative to now (sliding windows use event time) and what each user should end up with.
 * The events are Segment messages: the demo sends them to the collector as a tracker would, which
 * records the write key's source ("demo") in their context.
 */
import type { EventEnvelope } from '../../engine/events/envelope';

const DAY = 86_400_000;
/** Hana's phone browser: the device id her first (anonymous) visits carry, and so her person id. */
export const HANA_PHONE = 'hana-phone';

export interface StoryUser {
  id: string;
  story: string;
  /** The person id the engine keeps them under, when it is not `id` (a person first seen anonymously). */
  person?: string;
  expect: { emails: number; sms: number; webhooks: number };
}

export const USERS: StoryUser[] = [
  { id: 'alice', story: 'views pricing 3 times in 3 days, no order', expect: { emails: 1, sms: 1, webhooks: 0 } },
  { id: 'bob', story: 'views pricing 3 times, then orders during the 2-day wait (a conversion)', expect: { emails: 1, sms: 0, webhooks: 0 } },
  { id: 'carol', story: 'views pricing only twice', expect: { emails: 0, sms: 0, webhooks: 0 } },
  { id: 'dave', story: 'views pricing 3 times, but never 3 within 7 days', expect: { emails: 0, sms: 0, webhooks: 0 } },
  { id: 'erin', story: 'adds trail shoes to the cart and never checks out', expect: { emails: 1, sms: 0, webhooks: 1 } },
  { id: 'frank', story: 'adds a jacket to the cart and checks out within the hour', expect: { emails: 0, sms: 0, webhooks: 0 } },
  { id: 'grace', story: 'signs up; tips wait for 09:30 in New York', expect: { emails: 0, sms: 0, webhooks: 0 } },
  {
    id: 'hana',
    story: 'pricing twice on her phone (anonymous), logs in, once on the laptop; orders after the SMS',
    person: HANA_PHONE,
    expect: { emails: 1, sms: 1, webhooks: 0 },
  },
];

/** The story's goal events (the flagship's goal is an order within 7 days of entry), sent after entry. */
export interface StoryOrders {
  /** Bob's, during his 2-day wait: it converts and ends his journey before the SMS. */
  bobOrder: EventEnvelope;
  /** Hana's, after her SMS: the SMS's conversion. */
  hanaOrder: EventEnvelope;
}

export function storyEvents(now: number, runTag: string): { first: EventEnvelope[]; invalid: unknown } & StoryOrders {
  let n = 0;
  const id = (user: string) => `demo-${runTag}-${user}-${++n}`;
  const at = (offsetMs: number) => new Date(now + offsetMs).toISOString();
  const identify = (user: string, traits: Record<string, unknown>): EventEnvelope => ({ type: 'identify', userId: user, traits, timestamp: at(-30 * DAY), messageId: id(user), context: {} });
  const track = (user: string, event: string, offsetMs: number, properties: Record<string, unknown> = {}): EventEnvelope => ({ type: 'track', userId: user, event, properties, timestamp: at(offsetMs), messageId: id(user), context: {} });
  const pricing = (user: string, offsetMs: number) => track(user, 'page_viewed', offsetMs, { page: 'pricing' });
  const person = (user: string, phone: string, extra: Record<string, unknown> = {}) =>
    identify(user, { email: `${user}@example.com`, phone, first_name: user[0]!.toUpperCase() + user.slice(1), ...extra });

  // One person on two devices: the identity resolver links the phone's anonymous visits to the login,
  // and the laptop's visit to the same member id, so the third view is hers and the flagship fires once.
  const anonymousPricing = (device: string, offsetMs: number): EventEnvelope => ({ type: 'track', anonymousId: device, event: 'page_viewed', properties: { page: 'pricing' }, timestamp: at(offsetMs), messageId: id(device), context: {} });
  const hanaLogin: EventEnvelope = { ...person('hana', '+14155550108'), anonymousId: HANA_PHONE, timestamp: at(-DAY) };
  const hanaLaptop: EventEnvelope = { ...pricing('hana', -8_000), anonymousId: 'hana-laptop' };

  const first: EventEnvelope[] = [
    person('alice', '+14155550101'), pricing('alice', -3 * DAY), pricing('alice', -1 * DAY), pricing('alice', -10_000),
    person('bob', '+14155550102'), pricing('bob', -2 * DAY), pricing('bob', -DAY / 2), pricing('bob', -5_000),
    person('carol', '+14155550103'), pricing('carol', -2 * DAY), pricing('carol', -3_600_000),
    person('dave', '+14155550104'), pricing('dave', -20 * DAY), pricing('dave', -12 * DAY), pricing('dave', -3_600_000),
    person('erin', '+14155550105'), track('erin', 'product_added', -2_000, { product: 'Trail shoes', price: 129 }),
    person('frank', '+14155550106'), track('frank', 'product_added', -2_000, { product: 'Rain jacket', price: 89 }), track('frank', 'checkout_started', -1_000),
    person('grace', '+14155550107', { company: 'Acme', plan: 'team', timezone: 'America/New_York' }), track('grace', 'signed_up', -1_000),
    anonymousPricing(HANA_PHONE, -2 * DAY), anonymousPricing(HANA_PHONE, -1.5 * DAY), hanaLogin, hanaLaptop,
  ];
  const invalid = { type: 'track', userId: 'mallory', properties: { page: 'pricing' }, messageId: id('mallory'), timestamp: 'yesterday' };
  return { first, invalid, bobOrder: track('bob', 'order_completed', 0, { amount: 49 }), hanaOrder: track('hana', 'order_completed', 0, { amount: 49 }) };
}
