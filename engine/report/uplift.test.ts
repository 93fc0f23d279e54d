/**
 * The intervals checked by another route: each Wilson bound found by bisection as a root of
 * (p̂ − p)² = z²·p(1 − p)/n (the score test's definition, not the closed form), and Newcombe's
 * difference interval in the form of his paper (δ = z·√(l₁(1−l₁)/n₁ + u₂(1−u₂)/n₂)), not the
 * "distance to the bounds" form the code uses; plus the published value of Newcombe (1998), example (a).
 */
import { describe, expect, it } from 'vitest';
import { MIN_PER_GROUP, uplift, wilsonInterval, Z_95 } from './uplift';

/** The Wilson bound on one side of p̂, by bisection of the score equation. */
function scoreBound(x: number, n: number, side: 'low' | 'high'): number {
  const p0 = x / n;
  const f = (p: number) => (p0 - p) ** 2 - (Z_95 ** 2 * p * (1 - p)) / n;
  let [a, b] = side === 'low' ? [0, p0] : [p0, 1];
  if (side === 'low' && x === 0) return 0;
  if (side === 'high' && x === n) return 1;
  // f > 0 at the far end (outside the interval), < 0 at p̂ (inside).
  for (let i = 0; i < 200; i++) {
    const mid = (a + b) / 2;
    const outside = f(mid) > 0;
    if (side === 'low') [a, b] = outside ? [mid, b] : [a, mid];
    else [a, b] = outside ? [a, mid] : [mid, b];
  }
  return (a + b) / 2;
}

function newcombeByPaper(x1: number, n1: number, x2: number, n2: number) {
  const [l1, u1, l2, u2] = [scoreBound(x1, n1, 'low'), scoreBound(x1, n1, 'high'), scoreBound(x2, n2, 'low'), scoreBound(x2, n2, 'high')];
  const d = x1 / n1 - x2 / n2;
  return { low: d - Z_95 * Math.sqrt((l1 * (1 - l1)) / n1 + (u2 * (1 - u2)) / n2), high: d + Z_95 * Math.sqrt((u1 * (1 - u1)) / n1 + (l2 * (1 - l2)) / n2) };
}

describe('wilsonInterval', () => {
  it.each([[0, 10], [3, 10], [10, 10], [48, 80], [1, 1000]])('%i of %i equals the roots of the score equation', (x, n) => {
    const interval = wilsonInterval(x, n);
    expect(interval.rate).toBeCloseTo(x / n, 12);
    expect(interval.low).toBeCloseTo(scoreBound(x, n, 'low'), 9);
    expect(interval.high).toBeCloseTo(scoreBound(x, n, 'high'), 9);
  });
  it('has no rate and no interval for no persons; refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual({ x: 0, n: 0, rate: null, low: null, high: null });
    expect(() => wilsonInterval(5, 3)).toThrow(/0 ≤ x ≤ n, got x=5, n=3/);
  });
});

describe('uplift (Newcombe hybrid score interval)', () => {
  it('a known 2×2 table: 56/70 treatment vs 48/80 control is Newcombe\'s example (a), 0.0524 to 0.3339', () => {
    const result = uplift({ x: 56, n: 70 }, { x: 48, n: 80 });
    expect(result.difference).toBeCloseTo(0.2, 12);
    expect(result.low).toBeCloseTo(0.0524, 4);
    expect(result.high).toBeCloseTo(0.3339, 4);
    const paper = newcombeByPaper(56, 70, 48, 80);
    expect(result.low).toBeCloseTo(paper.low, 9);
    expect(result.high).toBeCloseTo(paper.high, 9);
    expect(result.verdict).toBe('uplift');
    expect(result.summary).toMatch(/^Uplift: treatment converts \+20\.0 pt \(95% CI \+5\.2 pt to \+33\.4 pt\)/);
  });

  it('a control with 0 conversions: the interval is finite and its control side ends at 0', () => {
    const result = uplift({ x: 12, n: 200 }, { x: 0, n: 100 });
    const paper = newcombeByPaper(12, 200, 0, 100);
    expect(result.control).toMatchObject({ rate: 0, low: 0 });
    expect(result.low).toBeCloseTo(paper.low, 9);
    expect(result.high).toBeCloseTo(paper.high, 9);
    expect(result.high).toBeLessThanOrEqual(1);
    expect(result.verdict).toBe(paper.low > 0 ? 'uplift' : 'inconclusive');
  });

  it('a tiny sample is "too small to tell", even when its interval excludes 0', () => {
    const result = uplift({ x: 9, n: 10 }, { x: 3, n: 10 });
    const paper = newcombeByPaper(9, 10, 3, 10);
    expect(result.low).toBeCloseTo(paper.low, 9);
    expect(result.low).toBeGreaterThan(0);
    expect(result.verdict).toBe('too_small');
    expect(result.summary).toContain(`at least ${MIN_PER_GROUP} in each group`);
  });

  it('an interval spanning 0 is inconclusive; a lower treatment rate is a loss; no control is said so', () => {
    expect(uplift({ x: 50, n: 500 }, { x: 45, n: 500 }).verdict).toBe('inconclusive');
    expect(uplift({ x: 10, n: 500 }, { x: 60, n: 500 }).verdict).toBe('loss');
    expect(uplift({ x: 10, n: 500 }, { x: 0, n: 0 })).toMatchObject({ verdict: 'no_control', difference: null });
  });
});
