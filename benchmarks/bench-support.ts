/** What every benchmark script shares: its numeric flags and a seeded random source. */

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
