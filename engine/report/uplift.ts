/**
 * Conversion rates and the uplift of treatment over control, with 95% confidence intervals.
 *
 * A rate's interval is Wilson's score interval (it stays inside [0, 1] and is sensible at 0 or n
 * conversions, where the textbook Wald interval collapses to a point). The uplift (difference of two
 * independent proportions, treatment − control) uses Newcombe's hybrid score interval (Newcombe 1998,
 * method 10), built from the two Wilson intervals: good coverage for small samples and for rates at 0.
 *
 * The verdict says plainly what a marketer may conclude: with fewer than MIN_PER_GROUP persons in
 * either group the sample is too small to tell; an interval that contains 0 cannot tell the difference
 * from chance; only an interval wholly above (below) 0 is an uplift (a loss).
 */

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;
/** Below this many persons in either group the report says "too small to tell", whatever the interval. */
export const MIN_PER_GROUP = 30;

export interface RateInterval {
  /** Conversions. */
  x: number;
  /** Persons. */
  n: number;
  /** x / n; null when n = 0. */
  rate: number | null;
  /** Wilson 95% interval; null when n = 0. */
  low: number | null;
  high: number | null;
}

export type UpliftVerdict = 'no_control' | 'no_treatment' | 'too_small' | 'inconclusive' | 'uplift' | 'loss';

export interface Uplift {
  treatment: RateInterval;
  control: RateInterval;
  /** Treatment rate − control rate (absolute, in rate units); null without both groups. */
  difference: number | null;
  /** Newcombe hybrid score 95% interval of the difference. */
  low: number | null;
  high: number | null;
  verdict: UpliftVerdict;
  /** The verdict in one plain sentence. */
  summary: string;
}

/** Wilson score interval for x successes out of n. */
export function wilsonInterval(x: number, n: number, z = Z_95): RateInterval {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n) throw new RangeError(`wilsonInterval: need integers 0 ≤ x ≤ n, got x=${x}, n=${n}`);
  if (n === 0) return { x, n, rate: null, low: null, high: null };
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At x = 0 (x = n) the bound is exactly 0 (1); clamp the rounding error.
  return { x, n, rate: p, low: x === 0 ? 0 : Math.max(0, centre - half), high: x === n ? 1 : Math.min(1, centre + half) };
}

/** Percentage points with a sign: +3.2 pt. */
const percent = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)} pt`;

/** Uplift of treatment over control: difference, Newcombe's interval and the verdict. */
export function uplift(treatment: { x: number; n: number }, control: { x: number; n: number }, z = Z_95): Uplift {
  const t = wilsonInterval(treatment.x, treatment.n, z);
  const c = wilsonInterval(control.x, control.n, z);
  if (c.n === 0 || t.n === 0) {
    const verdict = c.n === 0 ? 'no_control' : 'no_treatment';
    const summary = c.n === 0 ? 'No control group: add a holdout to the rule to measure uplift.' : 'No treatment persons yet.';
    return { treatment: t, control: c, difference: null, low: null, high: null, verdict, summary };
  }
  const [p1, l1, u1, p2, l2, u2] = [t.rate!, t.low!, t.high!, c.rate!, c.low!, c.high!];
  const difference = p1 - p2;
  const low = difference - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const high = difference + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  const range = `${percent(difference)} (95% CI ${percent(low)} to ${percent(high)})`;
  let verdict: UpliftVerdict;
  let summary: string;
  if (t.n < MIN_PER_GROUP || c.n < MIN_PER_GROUP) {
    verdict = 'too_small';
    summary = `Too small to tell: ${t.n} treatment and ${c.n} control persons; at least ${MIN_PER_GROUP} in each group are needed. Difference so far ${range}.`;
  } else if (low <= 0 && high >= 0) {
    verdict = 'inconclusive';
    summary = `Cannot tell yet: the difference ${range} includes 0.`;
  } else {
    verdict = low > 0 ? 'uplift' : 'loss';
    summary = `${verdict === 'uplift' ? 'Uplift' : 'Loss'}: treatment converts ${range} ${verdict === 'uplift' ? 'more' : 'less'} than control.`;
  }
  return { treatment: t, control: c, difference, low, high, verdict, summary };
}
