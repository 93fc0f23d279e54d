/**
 * Condition evaluation throughput: json-rules-engine (the reference evaluator) against the compiled
 * conditions the engine runs (issue 14, item 3), on every condition tree of the example rules and tags
 * in rules/ (triggers, exits, branches, tag conditions), over seeded users' states. Prints evaluations
 * per second for each tree and in all — reference `evaluate`, compiled `evaluateSync` (every leaf, as
 * decisions report them) and compiled `matches` (short-circuit) — with the ratios, and checks that both
 * evaluators gave the same answer on every context. A print, not a timed test.
 * Usage: npx tsx benchmarks/conditions-throughput.ts [--users 500] [--ms 300] [--rounds 3]
 */
import { ConditionEvaluator } from '../engine/match/evaluate-conditions';
import type { EvaluationContext } from '../engine/match/facts';
import { ReferenceConditionEvaluator } from '../engine/match/reference-evaluator';
import { TagSet } from '../engine/match/tags';
import type { EventEnvelope } from '../engine/events/envelope';
import { applyEvent, emptyState, type UserState } from '../engine/state/behavior-state';
import { buildCounterPlan } from '../engine/state/counter-plan';
import { loadRuleSet } from '../rules/load-rule-set';
import type { TopLevelCondition } from '../rules/schema/conditions';
import { conditionTreesOfRule } from '../rules/schema/rule';
import { conditionTreesOfTag } from '../rules/schema/tags';
import { arg, mulberry32 } from './bench-support';

const USERS = arg('users', 500);
const BUDGET_MS = arg('ms', 300);
// Each rate is the best of a few rounds, interleaved, so a busy machine skews the ratios less.
const ROUNDS = arg('rounds', 3);
const START = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;

const { rules, tags } = loadRuleSet(['rules'], ['rules/tags']);
const tagSet = new TagSet(tags.map((t) => t.tag));
const plan = buildCounterPlan(rules.map((r) => r.rule), [...tagSet.tags]);
const trees: [string, TopLevelCondition][] = [
  ...rules.flatMap(({ rule }) => conditionTreesOfRule(rule).map(([tree, path]): [string, TopLevelCondition] => [`${rule.id} ${path.join('.')}`, tree])),
  ...tags.flatMap(({ tag }) => conditionTreesOfTag(tag).map(([tree, path]): [string, TopLevelCondition] => [`tag ${tag.name} ${path.join('.')}`, tree])),
];

/** Users who browse (pricing often), add to cart, sometimes order, over a few days; evaluated at their last event. */
function contexts(): EvaluationContext[] {
  const random = mulberry32(14);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: USERS }, (_, u) => {
    let at = START;
    const events: EventEnvelope[] = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) => {
      at += Math.floor(random() * 6 * HOUR);
      const name = pick(['page_viewed', 'page_viewed', 'page_viewed', 'product_added', 'order_completed', 'signed_up', 'checkout_started']);
      const properties = name === 'page_viewed' ? { page: pick(['pricing', 'docs', 'home']), path: pick(['/pricing', '/docs', '/']) } : {};
      return { type: 'track', event: name, userId: `u${u}`, messageId: `u${u}-${i}`, timestamp: new Date(at).toISOString(), properties, context: {} };
    });
    const state = events.reduce<UserState>((s, e, i) => applyEvent(s, e, i + 1, plan), { ...emptyState(`u${u}`), traits: { plan: pick(['free', 'team']) } });
    const last = events.at(-1)!;
    return { event: last as unknown as Record<string, unknown>, traits: state.traits, state, now: state.clock, before: at, tags: tagSet };
  });
}

/** Evaluations per second of an async evaluator over the contexts, for at least the budget (after a warm-up pass). */
async function rate(ctxs: EvaluationContext[], run: (ctx: EvaluationContext) => Promise<unknown>): Promise<number> {
  for (const ctx of ctxs) await run(ctx);
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < BUDGET_MS) {
    for (const ctx of ctxs) await run(ctx);
    done += ctxs.length;
  }
  return done / ((performance.now() - started) / 1000);
}

/** The same for a synchronous one: no await per evaluation, as its callers will run it. */
function syncRate(ctxs: EvaluationContext[], run: (ctx: EvaluationContext) => unknown): number {
  let sink = 0;
  for (const ctx of ctxs) if (run(ctx)) sink++;
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < BUDGET_MS) {
    for (const ctx of ctxs) if (run(ctx)) sink++;
    done += ctxs.length;
  }
  if (sink < 0) console.log(sink); // keeps the results observable
  return done / ((performance.now() - started) / 1000);
}

async function main() {
  const ctxs = contexts();
  const rows: string[][] = [];
  const totals = { reference: 0, explain: 0, matches: 0 };
  let disagreements = 0;
  for (const [name, tree] of trees) {
    const reference = new ReferenceConditionEvaluator(tree);
    const compiled = new ConditionEvaluator(tree);
    for (const ctx of ctxs) if ((await reference.evaluate(ctx)).passed !== compiled.matches(ctx)) disagreements++;
    let [r, e, m] = [0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      r = Math.max(r, await rate(ctxs, (ctx) => reference.evaluate(ctx)));
      e = Math.max(e, syncRate(ctxs, (ctx) => compiled.evaluateSync(ctx).passed));
      m = Math.max(m, syncRate(ctxs, (ctx) => compiled.matches(ctx)));
    }
    // Totals as time per evaluation of every tree once: 1 / Σ(1 / rate).
    totals.reference += 1 / r;
    totals.explain += 1 / e;
    totals.matches += 1 / m;
    rows.push([name, fmt(r), fmt(e), fmt(m), `${(e / r).toFixed(0)}×`, `${(m / r).toFixed(0)}×`]);
  }
  const all = [1 / totals.reference, 1 / totals.explain, 1 / totals.matches];
  rows.push([`all ${trees.length} trees, each once`, ...all.map(fmt), `${(all[1]! / all[0]!).toFixed(0)}×`, `${(all[2]! / all[0]!).toFixed(0)}×`]);
  const header = ['tree', 'json-rules-engine/s', 'compiled explain/s', 'compiled matches/s', 'explain ratio', 'matches ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(`${USERS} users, ${trees.length} condition trees from rules/, node ${process.version}`);
  console.log([line(header), ...rows.map(line)].join('\n'));
  console.log(disagreements === 0 ? 'the evaluators agreed on every context' : `DISAGREEMENTS: ${disagreements}`);
  if (disagreements) process.exitCode = 1;
}

const fmt = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US');

await main();
