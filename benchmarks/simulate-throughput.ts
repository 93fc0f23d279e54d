/**
 * Simulator throughput against the bare cost of reading its input, measured in one run on the same
 * events (issue 14: the simulator should run at broker speed):
 *  - baseline: the events as a JSONL file → read, JSON.parse, envelope validation (parseEnvelope), sort
 *              by timestamp: what `nudge simulate --events` must do before any rule runs;
 *  - simulate: `simulate()` over the parsed events with 50 rules (the example rules and tags in rules/
 *              plus generated ones): identity, state, matching, entry policy, the journey step machine
 *              with the real activities and recording connectors, virtual timers;
 *  - scaling:  the cost per event with 10 rules and with 1,000 rules over the same events (rules cost
 *              only when they can fire, so 100× the rules should cost little more per event).
 * Generated rules look like real ones: a trigger among ~20 event names, an equality on one of its
 * properties (page = one of 80 pages…), a count of those events in a window, often "no goal event yet",
 * an entry policy, a few steps. Events and rules come from seeded PRNGs: every run does the same work,
 * and the digest of the actions shows that an optimisation changed nothing observable.
 * Usage: npx tsx benchmarks/simulate-throughput.ts [--events 100000] [--users events/10] [--rules 50]
 *        [--scale-events min(events, 20000)]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvelope, type EventEnvelope } from '../engine/events/envelope';
import { simulate, type SimulationAction } from '../engine/simulate/simulator';
import { loadRuleSet } from '../rules/load-rule-set';
import type { LoadedRule } from '../rules/load-rules';
import { RuleSchema, type RuleInput } from '../rules/schema/rule';
import type { Step } from '../rules/schema/steps';
import { semanticProblems } from '../rules/semantic-checks';
import { arg, mulberry32, pick, zipfPicker } from './bench-support';

const EVENTS = arg('events', 100_000);
const USERS = arg('users', Math.max(1, Math.floor(EVENTS / 10)));
const RULES = arg('rules', 50);
const SCALE_EVENTS = arg('scale-events', Math.min(EVENTS, 20_000));
const START = Date.parse('2026-03-01T00:00:00Z');
const SPAN_MS = 30 * 86_400_000;
const example = loadRuleSet(['rules'], ['rules/tags']);

// ---- the event vocabulary ---------------------------------------------------------------------------

const series = (prefix: string, n: number, head: string[] = []) => [...head, ...Array.from({ length: n - head.length }, (_, i) => `${prefix}-${i + 1}`)];
const PLANS = ['free', 'team', 'premium', 'business'];
interface Kind { name: string; weight: number; property: string; values: string[]; goal: string | null }
const kind = (name: string, weight: number, property: string, values: string[], goal: string | null = 'order_completed'): Kind => ({ name, weight, property, values, goal });
/** Event names with their most telling property; `goal`: the event that ends a journey a rule on it starts. */
const KINDS: Kind[] = [
  kind('page_viewed', 30, 'page', series('page', 80, ['home', 'pricing', 'docs', 'features', 'checkout', 'plans', 'blog', 'customers'])),
  kind('product_viewed', 10, 'category', series('category', 40)),
  kind('product_added', 6, 'line', series('line', 30)),
  kind('wishlist_added', 2, 'line', series('line', 30)),
  kind('search_performed', 5, 'topic', series('topic', 50)),
  kind('checkout_started', 3, 'payment', ['card', 'paypal', 'invoice', 'wallet']),
  kind('cart_updated', 2, 'reason', ['removed', 'quantity', 'coupon']),
  kind('order_completed', 2, 'channel', ['web', 'app', 'store'], null),
  kind('signed_up', 1.5, 'source', series('source', 12, ['ads', 'organic', 'referral']), 'setup_completed'),
  kind('trial_started', 1, 'plan', PLANS, 'setup_completed'),
  kind('feature_used', 5, 'feature', series('feature', 40), 'setup_completed'),
  kind('setup_step_completed', 2, 'step', series('step', 12, ['connect_data', 'invite_team']), 'setup_completed'),
  kind('setup_completed', 0.5, 'plan', PLANS, null),
  kind('video_played', 4, 'video', series('video', 60), 'lesson_completed'),
  kind('course_started', 2, 'track', series('track', 30), 'lesson_completed'),
  kind('lesson_completed', 3, 'track', series('track', 30), null),
  kind('consultation_submitted', 2, 'procedure', series('procedure', 24), 'appointment_booked'),
  kind('call_logged', 1, 'outcome', ['reached', 'no_answer', 'voicemail'], 'appointment_booked'),
  kind('appointment_booked', 0.7, 'procedure', series('procedure', 24), null),
  kind('lead_status_changed', 0.5, 'status', ['contacted', 'lost', 'invalid'], 'appointment_booked'),
  kind('subscription_cancelled', 0.5, 'reason', ['price', 'features', 'support', 'other'], null),
];
const zipfOf = new Map(KINDS.map((k) => [k.name, zipfPicker(k.values)]));
const TRIGGERS = KINDS.filter((k) => k.goal !== null);

// ---- rules ------------------------------------------------------------------------------------------

const count = (event: string, within: string, operator: string, value: number, where?: Record<string, string>) =>
  ({ fact: 'count', params: { event, within, ...(where ? { where } : {}) }, operator, value }) as const;
const email = (id: string, subject: string): Step => ({ id, type: 'email', subject: `{{ traits.first_name | default: 'Hi' }}, ${subject}`, text: `Hi {{ traits.first_name | default: 'there' }}, ${subject}. Code: {{ coupon.code }}` });
const sms = (id: string, body: string): Step => ({ id, type: 'sms', body: `${body} {{ coupon.code }} Reply STOP to opt out.` });
/** A few steps each, as the example rules have. */
const STEP_PLANS: ((value: string, goal: string) => Step[])[] = [
  (value) => [{ id: 'coupon', type: 'coupon', prefix: 'SAVE-' }, email('offer', `10% off ${value}`), { id: 'wait', type: 'wait', duration: '2d' }, sms('reminder', 'Still valid:')],
  (value) => [{ id: 'grace', type: 'wait', duration: '1h' }, email('nudge', `more about ${value}`)],
  (value, goal) => [email('first', `still interested in ${value}?`), { id: 'await-goal', type: 'waitForEvent', event: goal, timeout: '2d', onEvent: [], onTimeout: [sms('last-call', 'Last call:')] }],
  (value) => [
    { id: 'a-day', type: 'wait', duration: '1d' },
    { id: 'paid', type: 'branch', conditions: { any: [{ fact: 'traits', path: '$.plan', operator: 'in', value: ['team', 'business'] }] }, then: [{ id: 'crm', type: 'webhook', url: 'http://127.0.0.1:4281/crm/tasks', payload: { userId: '{{ user.id }}', interest: value } }], else: [email('tips', `tips for ${value}`)] },
  ],
  (value) => [sms('quick', `${value}:`)],
];
const ENTRIES: RuleInput['entry'][] = [{ policy: 'once' }, { policy: 'oncePerWindow', window: '7d' }, { policy: 'oncePerWindow', window: '30d' }, { policy: 'everyTime' }];

function generatedRule(i: number): LoadedRule {
  const r = mulberry32(1_000 + i);
  const trigger = pick(r, TRIGGERS);
  const value = zipfOf.get(trigger.name)!(r);
  const goal = trigger.goal!;
  const conditions = [
    { fact: 'event', path: `$.properties.${trigger.property}`, operator: 'equal', value },
    count(trigger.name, pick(r, ['1d', '3d', '7d', '14d']), 'greaterThanInclusive', 2 + Math.floor(r() * 2), { [trigger.property]: value }),
    ...(r() < 0.6 ? [count(goal, pick(r, ['7d', '30d']), 'equal', 0)] : []),
  ];
  const json = {
    id: `bench-${i}`, name: `${trigger.name} ${value}`, version: 1, enabled: true,
    trigger: { event: trigger.name, conditions: { all: conditions } },
    entry: pick(r, ENTRIES),
    exitOn: [{ event: goal }],
    steps: pick(r, STEP_PLANS)(value, goal),
  };
  const rule = RuleSchema.parse(json);
  const problems = semanticProblems(rule);
  if (problems.length) throw new Error(`generated rule bench-${i} is invalid: ${JSON.stringify(problems)}`);
  return { rule, file: `generated/bench-${i}.json` } as LoadedRule;
}

/** The example rules first, then generated ones up to `n`. */
const rulesOf = (n: number): LoadedRule[] => [...example.rules, ...Array.from({ length: Math.max(0, n - example.rules.length) }, (_, i) => generatedRule(i))].slice(0, n);

// ---- events and profiles ----------------------------------------------------------------------------

const TOTAL_WEIGHT = KINDS.reduce((sum, k) => sum + k.weight, 0);
const IDENTIFY_SHARE = 0.03;

function generateEvents(n: number, users: number): EventEnvelope[] {
  const r = mulberry32(42);
  /** Each user keeps coming back to the same few things (half of their events), as people do. */
  const favourites = new Map<string, string>();
  const valueFor = (user: number, k: Kind) => {
    const zipf = zipfOf.get(k.name)!;
    if (r() < 0.5) return zipf(r);
    const key = `${user}/${k.name}`;
    let value = favourites.get(key);
    if (value === undefined) favourites.set(key, (value = zipf(r)));
    return value;
  };
  const events: EventEnvelope[] = new Array(n);
  for (let i = 0; i < n; i++) {
    // Mostly in time order, with up to an hour of jitter so the input needs its sort.
    const at = START + Math.floor((i / n) * SPAN_MS) + Math.floor((r() - 0.5) * 3_600_000);
    const user = Math.floor(r() * users);
    const base = { userId: `u${user}`, ...(r() < 0.3 ? { anonymousId: `d${user}` } : {}), timestamp: new Date(at).toISOString(), messageId: `m${i}`, context: {} };
    if (r() < IDENTIFY_SHARE) {
      events[i] = { type: 'identify', traits: { plan: pick(r, PLANS), sms_opt_in: r() < 0.5 }, ...base };
      continue;
    }
    let roll = r() * TOTAL_WEIGHT;
    const k = KINDS.find((candidate) => (roll -= candidate.weight) < 0) ?? KINDS[0]!;
    const value = valueFor(user, k);
    const properties: Record<string, unknown> = { [k.property]: value, ...(k.name === 'page_viewed' ? { path: `/${value}` } : {}), ...(k.name === 'product_added' ? { product: `sku-${Math.floor(r() * 500)}`, price: Math.round(r() * 200) } : {}) };
    events[i] = { type: 'track', event: k.name, properties, ...base };
  }
  return events;
}

function generateProfiles(users: number): { userId: string; traits: Record<string, unknown> }[] {
  const r = mulberry32(7);
  return Array.from({ length: users }, (_, u) => ({
    userId: `u${u}`,
    traits: {
      email: `u${u}@example.com`,
      ...(r() < 0.8 ? { phone: `+1415555${String(u % 10_000).padStart(4, '0')}` } : {}),
      first_name: `User${u}`,
      plan: pick(r, PLANS),
      ...(r() < 0.2 ? { timezone: pick(r, ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo']) } : {}),
    },
  }));
}

// ---- measurement ------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (since: number) => (performance.now() - since) / 1000;

/** Wall time and this process's CPU time: on a shared machine the CPU figure is the steadier one. */
function stopwatch() {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: seconds(wall), cpu: (used.user + used.system) / 1e6 };
  };
}
type Timing = ReturnType<ReturnType<typeof stopwatch>>;

/** What `nudge simulate --events` does before any rule runs: read, parse, validate, sort. */
function readInput(file: string): EventEnvelope[] {
  const parsed: { event: EventEnvelope; at: number; i: number }[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    const result = parseEnvelope(JSON.parse(lines[i]!));
    if (!result.ok) throw new Error(`line ${i + 1} is invalid: ${result.reason}`);
    parsed.push({ event: result.event, at: Date.parse(result.event.timestamp), i });
  }
  parsed.sort((a, b) => a.at - b.at || a.i - b.i);
  return parsed.map((p) => p.event);
}

/**
 * One timed run. No hooks: `nudge simulate` passes none, and with an onEvent hook the engine also
 * records every condition's value for `nudge explain`, which is not what is measured here.
 */
async function timedSimulation(label: string, rules: LoadedRule[], events: EventEnvelope[], profiles: ReturnType<typeof generateProfiles>) {
  process.stderr.write(`  ${label}: ${fmt(events.length)} events…\n`);
  const stop = stopwatch();
  const actions: SimulationAction[] = await simulate({ rules, tags: example.tags, events, profiles });
  const time = stop();
  process.stderr.write(`  ${label}: done in ${time.wall.toFixed(1)} s\n`);
  return { time, actions };
}

const tally = (map: Map<string, number>) => [...map].sort().map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
const digestOf = (actions: SimulationAction[]) => createHash('sha256').update(actions.map((a) => JSON.stringify(a)).join('\n')).digest('hex').slice(0, 16);

async function main() {
  console.log(`nudge simulate benchmark: ${fmt(EVENTS)} events, ${fmt(USERS)} users, ${RULES} rules (${example.rules.length} examples + generated), ${example.tags.length} tags`);
  const t0 = performance.now();
  const events = generateEvents(EVENTS, USERS);
  const profiles = generateProfiles(USERS);
  const dir = mkdtempSync(join(tmpdir(), 'nudge-bench-'));
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const rules = rulesOf(RULES);
  console.log(`generated in ${seconds(t0).toFixed(1)} s (not measured)`);

  const stop = stopwatch();
  const input = readInput(file);
  const baseline = stop();
  rmSync(dir, { recursive: true, force: true });

  const main = await timedSimulation(`simulate ${RULES} rules`, rules, input, profiles);
  const scaleInput = input.slice(0, SCALE_EVENTS);
  const few = await timedSimulation('10 rules', rulesOf(10), scaleInput, profiles);
  const many = await timedSimulation('1,000 rules', rulesOf(1000), scaleInput, profiles);

  const byAction = new Map<string, number>();
  for (const a of main.actions) byAction.set(a.action, (byAction.get(a.action) ?? 0) + 1);
  console.log('');
  console.log(`journeys entered: ${fmt(byAction.get('enter') ?? 0)}; actions: ${fmt(main.actions.length)} (${tally(byAction)}); digest ${digestOf(main.actions)}`);
  console.log(`peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024)} MiB; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
  console.log('');
  console.log('                                              events   wall s  events/s (wall)   cpu s  events/s (cpu)  µs/event (cpu)');
  const row = (label: string, n: number, t: Timing) =>
    console.log(`${label.padEnd(42)} ${fmt(n).padStart(9)} ${t.wall.toFixed(2).padStart(8)} ${fmt(n / t.wall).padStart(16)} ${t.cpu.toFixed(2).padStart(7)} ${fmt(n / t.cpu).padStart(15)} ${fmt((t.cpu / n) * 1e6, 1).padStart(15)}`);
  row('baseline (read JSONL+validate+sort)', EVENTS, baseline);
  row(`simulate (${RULES} rules)`, EVENTS, main.time);
  // Rates: simulate / baseline = baseline time / simulate time, for the same events.
  console.log(`simulate / baseline ratio: ${(baseline.wall / main.time.wall).toFixed(3)} wall, ${(baseline.cpu / main.time.cpu).toFixed(3)} cpu (goal ≥ 0.5)`);
  console.log('');
  row('simulate (10 rules)', SCALE_EVENTS, few.time);
  row('simulate (1,000 rules)', SCALE_EVENTS, many.time);
  const entered = (run: { actions: SimulationAction[] }) => fmt(run.actions.filter((a) => a.action === 'enter').length);
  console.log(`journeys entered: 10 rules ${entered(few)}, 1,000 rules ${entered(many)}`);
  console.log(`per-event cost 1,000 rules / 10 rules: ${(many.time.wall / few.time.wall).toFixed(2)} wall, ${(many.time.cpu / few.time.cpu).toFixed(2)} cpu (goal ≤ 2)`);
}

await main();
