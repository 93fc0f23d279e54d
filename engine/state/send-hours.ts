/**
 * When a person pays attention: two hour-of-day histograms in their state, for `waitUntil` "best"
 * (workflows/journey/best-time.ts). `engaged` counts what they did with our messages (the engagement
 * events email_opened, email_clicked, sms_clicked), `active` every other behavior event (track, page,
 * screen). Pure; states are never changed in place.
 *
 * Hours are UTC hours of the day (0-23), not local ones: the histogram does not depend on a time zone
 * trait that may arrive after the events or change, nor on a rule's zone (each rule may name another).
 * A bucket's start is one absolute moment, so sending at it is right in every zone, half-hour ones too;
 * the price is that a DST change moves a person's local habit by one UTC hour, which the decay below
 * learns within a few weeks.
 *
 * Decayed, not windowed: each event weighs 1 when it happens and half as much every HALF_LIFE_MS after,
 * so recent habits win and the state stays at most 2 × 24 numbers with no timestamps kept (a window
 * would need per-day buckets or event times to forget the old ones). Weights are stored relative to
 * `at`, the newest event counted; a weight that decays below MIN_WEIGHT is dropped, so an hour not seen
 * for ~5 months leaves the map. Adding events commutes (a late event is decayed to `at`), so a replay or
 * a merge in another order gives the same histogram up to rounding.
 */

/** Hour of day (UTC, "0"-"23") → decayed event count; hours with no weight are absent. */
export type HourWeights = Record<string, number>;

export interface SendHours {
  /** Time (ms) of the newest event counted: every weight is as of then. 0 when none. */
  at: number;
  engaged: HourWeights;
  active: HourWeights;
}

/** The learned hour: the UTC hour of the day to send at, and which histogram decided it. */
export interface LearnedSendHour {
  hourUtc: number;
  source: 'engagement' | 'activity';
}

export const ENGAGEMENT_EVENTS: ReadonlySet<string> = new Set(['email_opened', 'email_clicked', 'sms_clicked']);
export const HALF_LIFE_MS = 14 * 24 * 3_600_000;
const MIN_WEIGHT = 0.001;
const HOUR_MS = 3_600_000;

export function emptySendHours(): SendHours {
  return { at: 0, engaged: {}, active: {} };
}

export function utcHourOf(ms: number): number {
  return ((Math.floor(ms / HOUR_MS) % 24) + 24) % 24;
}

const decayFactor = (elapsedMs: number) => Math.pow(2, -elapsedMs / HALF_LIFE_MS);
// Three decimals keep a stored state small; the relative error stays far below what tells hours apart.
const rounded = (weight: number) => Math.round(weight * 1000) / 1000;

/** The weights as of a later moment (factor < 1); hours that fade below MIN_WEIGHT are dropped. */
function decayed(weights: HourWeights, factor: number): HourWeights {
  if (factor === 1) return weights;
  const next: HourWeights = {};
  // By index, not for…in: hour keys are array indices, which for…in enumerates without a cache (it
  // runs twice per event); indices enumerate in ascending order either way, so the result is the same.
  for (let hour = 0; hour < 24; hour++) {
    const before = weights[hour];
    if (before === undefined) continue;
    const weight = rounded(before * factor);
    if (weight >= MIN_WEIGHT) next[hour] = weight;
  }
  return next;
}

function added(weights: HourWeights, hour: number, weight: number): HourWeights {
  if (weight < MIN_WEIGHT) return weights;
  return { ...weights, [hour]: rounded((weights[hour] ?? 0) + weight) };
}

/** Counts one behavior event named `name` at `atMs`. */
export function recordSendHour(hours: SendHours, name: string, atMs: number): SendHours {
  const kind = ENGAGEMENT_EVENTS.has(name) ? 'engaged' : 'active';
  const hour = utcHourOf(atMs);
  if (atMs < hours.at) return { ...hours, [kind]: added(hours[kind], hour, decayFactor(hours.at - atMs)) };
  const factor = decayFactor(atMs - hours.at);
  const engaged = decayed(hours.engaged, factor);
  const active = decayed(hours.active, factor);
  return kind === 'engaged' ? { at: atMs, engaged: added(engaged, hour, 1), active } : { at: atMs, engaged, active: added(active, hour, 1) };
}

/** One person's histograms from two halves (identity stitching): both decayed to the newer `at`, then added. */
export function mergeSendHours(a: SendHours, b: SendHours): SendHours {
  const at = Math.max(a.at, b.at);
  const sum = (x: HourWeights, y: HourWeights) => {
    let result = x;
    for (const hour in y) result = added(result, Number(hour), y[hour]!);
    return result;
  };
  const [da, db] = [decayFactor(at - a.at), decayFactor(at - b.at)];
  return { at, engaged: sum(decayed(a.engaged, da), decayed(b.engaged, db)), active: sum(decayed(a.active, da), decayed(b.active, db)) };
}

/**
 * The hour to send at: the heaviest engagement hour when the person ever engaged (what they do with
 * messages says more than when they browse), else the heaviest activity hour; null with no history
 * (the step's fallback time applies). Ties go to the earlier hour, so the answer is deterministic.
 */
export function learnedSendHour(hours: SendHours): LearnedSendHour | null {
  const engaged = heaviestHour(hours.engaged);
  if (engaged !== null) return { hourUtc: engaged, source: 'engagement' };
  const active = heaviestHour(hours.active);
  return active === null ? null : { hourUtc: active, source: 'activity' };
}

function heaviestHour(weights: HourWeights): number | null {
  let best: number | null = null;
  let bestWeight = 0;
  for (let hour = 0; hour < 24; hour++) {
    const weight = weights[hour] ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [hour, weight];
  }
  return best;
}

/** Histograms seeded from event timestamps (upgrading a state written before they existed). */
export function sendHoursFromTimes(times: Iterable<number>): SendHours {
  const sorted = [...times].sort((x, y) => x - y);
  let hours = emptySendHours();
  for (const t of sorted) hours = recordSendHour(hours, '', t);
  return hours;
}
