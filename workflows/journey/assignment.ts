/**
 * Deterministic assignment of users to groups (holdout control, split variants): a hash of rule, user
 * and purpose, so the same user always lands in the same group, in the engine, the workflow and the
 * simulator alike. Pure; safe in workflow code.
 */
/** FNV-1a followed by MurmurHash3's finaliser: FNV alone leaves low bits that depend on low input bits only. */
export function groupHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** True for the `percent` of users in the rule's control group. */
export function inHoldout(ruleId: string, userId: string, percent: number): boolean {
  if (percent <= 0) return false;
  return groupHash(`${ruleId}\u0000${userId}\u0000holdout`) % 10_000 < Math.round(percent * 100);
}

/** Index of the variant a user goes down, by weight. */
export function pickVariant(ruleId: string, userId: string, stepId: string, weights: number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let point = groupHash(`${ruleId}\u0000${userId}\u0000${stepId}`) % total;
  for (const [i, weight] of weights.entries()) {
    if (point < weight) return i;
    point -= weight;
  }
  return weights.length - 1;
}
