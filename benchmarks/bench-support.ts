/** What every benchmark script shares: its numeric flags and a seeded random source. */
import { availableParallelism, loadavg } from 'node:os';
import type { EventOutcome } from '../engine/decide/decide';

/** `--name <positive integer>` from the command line, else the fallback. */
export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index > 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/**
 * mulberry32: seeded uniform [0, 1) in 32-bit integer arithmetic, so every run sees the same events.
 * (A float LCG like `(seed * 1103515245 + 12345) % 2 ** 31` loses bits above 2^53 and soon cycles,
 * which quietly shrinks the set of users a benchmark claims to spread over.)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One element of `list`, uniformly. */
export const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/**
 * A Zipf-like pick over `list` (weight 1/rank): a few values are common and most are rare, as with
 * real pages, products or courses. Built once per list (the cumulative weights), then O(log n) a pick.
 */
export function zipfPicker<T>(list: readonly T[]): (random: () => number) => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 1; rank <= list.length; rank++) cumulative.push((sum += 1 / rank));
  return (random) => {
    const target = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return list[lo]!;
  };
}

/** Rejects with a message naming `what` when `promise` has not settled within `seconds`: benchmarks end, even when stuck. */
export function withDeadline<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * A rate over the span from the first report to the last, counting only what was reported after the
 * first moment: a driver that reports in batches (the engine, after each commit) is not credited
 * with the work finished before the clock started.
 */
export class RateWindow {
  private first: number | null = null;
  private firstCount = 0;
  private last = 0;
  total = 0;

  record(count = 1, at = performance.now()): void {
    if (count <= 0) return;
    if (this.first === null) {
      this.first = at;
      this.firstCount = count;
    }
    this.last = at;
    this.total += count;
  }

  get seconds(): number {
    return this.first === null ? 0 : (this.last - this.first) / 1000;
  }

  /** Per second, or NaN with fewer than two reporting moments. */
  get rate(): number {
    return this.seconds > 0 ? (this.total - this.firstCount) / this.seconds : NaN;
  }
}

/** The p-th percentile (0–100, nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** "load average 1.23 1.10 0.98 on 2 cores": what else the machine was doing when the figures were taken. */
export function machineLoad(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`;
}

/**
 * Whether an engine outcome finishes one published event, counted as test/support/stack.ts counts:
 * a merge (hand-off or absorb) is not a published event, and a forwarded event is counted where it is
 * finally applied. Dead letters finish an event too.
 */
export const finishesPublishedEvent = (outcome: EventOutcome): boolean => outcome.kind !== 'merge' && !outcome.forwardedTo;
