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
