/**
 * Generated behavior with a known signal, for training tests, the benchmark and the example model:
 * each person has an intent; visits show pricing and docs pages more the higher it is; each day a person
 * orders with a probability that rises with their pricing and docs views of the last 7 days (the signal
 * a model must find). `noise: true` keeps the same volume of pages and orders but draws every order
 * independently of behavior — nothing to find. Deterministic for a seed (mulberry32), so the example
 * model regenerates byte for byte.
 */
import type { EventEnvelope } from '../../engine/events/envelope';

export interface GenerateOptions {
  people: number;
  days: number;
  seed?: number;
  noise?: boolean;
  start?: string;
}

const DAY = 86_400_000;
const PAGES = ['home', 'blog', 'pricing', 'docs'] as const;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Generated events in time order per person (the trainer sorts them anyway). */
export function generateBehavior(options: GenerateOptions): EventEnvelope[] {
  const random = mulberry32(options.seed ?? 1);
  const start = Date.parse(options.start ?? '2026-01-01T00:00:00Z');
  const events: EventEnvelope[] = [];
  for (let p = 0; p < options.people; p++) {
    const userId = `user-${p}`;
    const intent = random();
    const plan = random() < 0.3 ? 'pro' : 'free';
    let n = 0;
    const emit = (at: number, event: string, properties: Record<string, unknown>) =>
      events.push({ type: 'track', event, properties, userId, messageId: `${userId}-${n++}`, timestamp: new Date(at).toISOString(), context: {} } as EventEnvelope);
    events.push({ type: 'identify', userId, traits: { plan }, messageId: `${userId}-${n++}`, timestamp: new Date(start).toISOString(), context: {} } as EventEnvelope);
    const interesting: number[] = []; // times of pricing and docs views, for the hazard
    for (let day = 0; day < options.days; day++) {
      const dayStart = start + day * DAY;
      if (random() < 0.35) {
        const views = 1 + Math.floor(random() * 4);
        for (let v = 0; v < views; v++) {
          const at = dayStart + Math.floor(random() * DAY);
          const r = random();
          const page = r < intent * 0.45 ? 'pricing' : r < intent * 0.8 ? 'docs' : PAGES[Math.floor(random() * 2)]!;
          if (page === 'pricing' || page === 'docs') interesting.push(at);
          emit(at, 'page_viewed', { page });
        }
      }
      const recent = interesting.filter((t) => t > dayStart + DAY - 7 * DAY && t < dayStart + DAY).length;
      const hazard = options.noise ? 0.016 : sigmoid(-8 + 1.1 * Math.min(recent, 12));
      if (random() < hazard) emit(dayStart + DAY - 1 - Math.floor(random() * 3_600_000), 'order_completed', { total: 40 });
    }
  }
  return events;
}
