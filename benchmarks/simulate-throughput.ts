/**
 * Simulator throughput against the bare cost of reading its input, measured in one run on the same
 * events:
 *  - baseline: every event through JSON.stringify + JSON.parse + envelope validation (parseEnvelope),
 *              then a sort by timestamp: what `nudge simulate` must do before any rule runs;
 *  - simulate: `simulate()` over the same events (state, matching, entry policy, the journey step
 *              machine with the real activities and recording connectors, virtual timers).
 * Rules are generated (variations of the scenario rules: trigger events and pages, count windows, waits,
 * branches, waitForEvent, exits with and without conditions); events come from a seeded PRNG, so every
 * run with the same arguments does the same work.
 * Usage: npx tsx benchmarks/simulate-throughput.ts [--events 1000000] [--users 100000] [--rules 50]
 */
import type { EventEnvelope } from '../engine/events/envelope';
import { parseEnvelope } from '../engine/events/envelope';
import { simulate, type SimulationAction } from '../engine/simulate/simulator';
import type { LoadedRule } from '../rules/load-rules';
import type { TopLevelCondition } from '../rules/schema/conditions';
import { RuleSchema, type RuleInput } from '../rules/schema/rule';
import type { Step } from '../rules/schema/steps';
import { semanticProblems } from '../rules/semantic-checks';
import { arg } from './bench-support';

const EVENTS = arg('events', 1_000_000);
const USERS = arg('users', 100_000);
const RULES = arg('rules', 50);
/** What a full-size run may take on a 2-core machine before the output says it is too slow. */
const BUDGET_SECONDS = 360;
const START = Date.parse('2026-03-01T00:00:00Z');
const SPAN_MS = 30 * 86_400_000;

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ---- rules ------------------------------------------------------------------------------------------

const PAGES = ['pricing', 'product', 'surgery_detail', 'docs', 'checkout', 'plans', 'reviews', 'compare'];
/** Each rule of a kind watches its own product line, as a real rule set has one journey per line. */
const LINES = ['shoes', 'outdoor', 'kitchen', 'garden', 'toys', 'books', 'audio', 'beauty', 'sports', 'office', 'pets', 'baby'];
const PROCEDURES = ['rhinoplasty', 'eyelid', 'lipo', 'contouring', 'lifting', 'breast', 'dental', 'skin', 'hair', 'laser', 'botox', 'filler'];
const WINDOWS = ['1d', '3d', '7d', '14d'];
const WAITS = ['1h', '12h', '1d', '2d'];
const count = (event: string, within: string, operator: string, value: number, where?: Record<string, string>) =>
  ({ fact: 'count', params: { event, within, ...(where ? { where } : {}) }, operator, value }) as const;
const eventIs = (path: string, operator: string, value: unknown) => ({ fact: 'event', path, operator, value }) as const;
const traitIs = (path: string, operator: string, value: unknown) => ({ fact: 'traits', path, operator, value }) as const;
const email = (id: string, subject: string): Step => ({ id, type: 'email', subject, text: `Hi {{ traits.first_name | default: 'there' }}, code {{ coupon.code }} - ${subject}` });
const sms = (id: string, body: string): Step => ({ id, type: 'sms', body: `${body} {{ coupon.code }}` });
const webhook = (id: string, path: string): Step => ({ id, type: 'webhook', url: `http://127.0.0.1:4281/crm/${path}`, payload: { userId: '{{ user.id }}', rule: '{{ rule.id }}' } });
const all = (...leaves: unknown[]) => ({ all: leaves }) as TopLevelCondition;

/** Five shapes of rule, each varied by k (page, threshold, windows, waits, entry policy). */
const TEMPLATES: ((k: number) => Omit<RuleInput, 'id' | 'name' | 'version' | 'enabled'>)[] = [
  (k) => { // page hesitation: n views of a page in a window, no order
    const page = PAGES[k % PAGES.length]!, within = WINDOWS[k % 4]!;
    return {
      trigger: { event: 'page_viewed', conditions: all(eventIs('$.properties.page', 'equal', page), count('page_viewed', within, 'greaterThanInclusive', 2 + (k % 3), { page }), count('order_completed', within, 'equal', 0)) },
      entry: { policy: 'oncePerWindow', window: '30d' },
      exitOn: [{ event: 'order_completed' }],
      steps: [{ id: 'coupon', type: 'coupon', prefix: `P${k}-` }, email('offer', `10% off ${page}`), { id: 'wait', type: 'wait', duration: WAITS[k % 4]! }, sms('reminder', 'Still valid:')],
    };
  },
  (k) => ({ // cart abandonment for one product line, with opt-in branch and checkout wait
    trigger: { event: 'product_added', conditions: all(eventIs('$.properties.line', 'equal', LINES[k % LINES.length]), count('order_completed', WINDOWS[k % 4]!, 'equal', 0)) },
    entry: { policy: 'oncePerWindow', window: '7d' },
    exitOn: [{ event: 'order_completed' }, { event: 'cart_updated', conditions: all(eventIs('$.properties.items', 'equal', 0)) }],
    steps: [
      { id: 'grace', type: 'wait', duration: WAITS[k % 4]! },
      { id: 'coupon', type: 'coupon', prefix: 'CART-' },
      { id: 'opt-in', type: 'branch', conditions: all(traitIs('$.sms_opt_in', 'equal', true)), then: [sms('push', 'Your cart:')], else: [email('mail', 'Your cart')] },
      { id: 'await-checkout', type: 'waitForEvent', event: 'checkout_started', timeout: '2d', onEvent: [{ id: 'help-wait', type: 'wait', duration: '1d' }, email('help', 'Need help?')], onTimeout: [email('last-chance', 'Last chance')] },
    ],
  }),
  (k) => ({ // stuck in setup: repeated setup views after sign-up, waitForEvent with conditions, plan branch
    trigger: { event: 'page_viewed', conditions: all(eventIs('$.properties.page', 'equal', `setup-${LINES[k % LINES.length]}`), count('page_viewed', WINDOWS[k % 4]!, 'greaterThanInclusive', 2, { page: `setup-${LINES[k % LINES.length]}` }), count('signed_up', '14d', 'greaterThanInclusive', 1)) },
    entry: { policy: 'once' },
    exitOn: [{ event: 'setup_completed' }],
    steps: [
      { id: 'let-them-try', type: 'wait', duration: WAITS[(k + 1) % 4]! },
      email('tips', 'Setup tips'),
      {
        id: 'await-data', type: 'waitForEvent', event: 'setup_step_completed', conditions: all(eventIs('$.properties.step', 'equal', 'connect_data')), timeout: '2d',
        onEvent: [email('almost', 'Almost there')],
        onTimeout: [{ id: 'team', type: 'branch', conditions: { any: [traitIs('$.plan', 'in', ['team', 'business'])] }, then: [webhook('csm', 'tasks')], else: [email('guide', 'Setup guide')] }],
      },
    ],
  }),
  (k) => ({ // course stalled: paid course, no lesson, escalation by plan
    trigger: { event: 'course_started', conditions: all(eventIs('$.properties.track', 'equal', LINES[k % LINES.length]), eventIs('$.properties.access', 'in', ['paid', 'subscription']), count('lesson_completed', WINDOWS[k % 4]!, 'equal', 0)) },
    entry: { policy: k % 2 ? 'everyTime' : 'oncePerWindow', ...(k % 2 ? {} : { window: '14d' }) } as RuleInput['entry'],
    exitOn: [{ event: 'lesson_completed' }, { event: 'refund_requested' }],
    steps: [
      { id: 'quiet-days', type: 'wait', duration: `${1 + (k % 3)}d` },
      email('plan', 'Your study plan'),
      { id: 'await-schedule', type: 'waitForEvent', event: 'study_plan_scheduled', timeout: '2d', onEvent: [], onTimeout: [{ id: 'premium', type: 'branch', conditions: all(traitIs('$.plan', 'equal', 'premium')), then: [webhook('tutor', 'tutor-callbacks'), sms('tutor-sms', 'Your tutor will call.')], else: [sms('nudge', 'Next lesson: 12 minutes.')] }] },
    ],
  }),
  (k) => ({ // high-intent lead: views + consultation, consent branch, in-journey count branch, callback wait
    trigger: { event: 'consultation_submitted', conditions: all(eventIs('$.properties.procedure', 'equal', PROCEDURES[k % PROCEDURES.length]), count('page_viewed', '14d', 'greaterThanInclusive', 2 + (k % 2), { page: 'surgery_detail' }), count('appointment_booked', '30d', 'equal', 0)) },
    entry: { policy: 'oncePerWindow', window: '30d' },
    exitOn: [{ event: 'appointment_booked' }, { event: 'lead_status_changed', conditions: { any: [eventIs('$.properties.status', 'equal', 'lost'), eventIs('$.properties.status', 'equal', 'invalid')] } }],
    steps: [
      { id: 'a-day', type: 'wait', duration: WAITS[(k + 2) % 4]! },
      { id: 'consent', type: 'branch', conditions: all(traitIs('$.marketing_consent', 'equal', true)), then: [sms('consult-sms', 'Book your consultation:')], else: [] },
      { id: 'hot', type: 'branch', conditions: all(count('page_viewed', '14d', 'greaterThanInclusive', 5, { page: 'surgery_detail' })), then: [webhook('hot-lead', 'leads')], else: [webhook('lead', 'leads')] },
      { id: 'await-call', type: 'waitForEvent', event: 'call_logged', conditions: all(eventIs('$.properties.outcome', 'equal', 'reached')), timeout: '2d', onEvent: [], onTimeout: [webhook('escalate', 'escalations')] },
    ],
  }),
];

function generateRules(n: number): LoadedRule[] {
  return Array.from({ length: n }, (_, i) => {
    const k = Math.floor(i / TEMPLATES.length);
    const json = { id: `bench-${i}`, name: `Benchmark rule ${i}`, version: 1, enabled: true, ...TEMPLATES[i % TEMPLATES.length]!(k) };
    const rule = RuleSchema.parse(json);
    const problems = semanticProblems(rule);
    if (problems.length) throw new Error(`generated rule bench-${i} is invalid: ${JSON.stringify(problems)}`);
    return { rule, file: `generated/bench-${i}.json` } as LoadedRule;
  });
}

// ---- events -----------------------------------------------------------------------------------------

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** Track events by weight; page views pick a page rules name (PAGES, setup pages) or one no rule names. */
const MIX: [number, string, (r: () => number) => Record<string, unknown>][] = [
  [50, 'page_viewed', (r) => ({ page: r() < 0.1 ? `setup-${pick(r, LINES)}` : pick(r, [...PAGES, 'home', 'blog', 'about', 'careers']) })],
  [9, 'product_added', (r) => ({ product: `sku-${Math.floor(r() * 500)}`, line: pick(r, LINES), price: Math.round(r() * 200) })],
  [4, 'checkout_started', () => ({ items: 1 })],
  [3, 'cart_updated', (r) => ({ items: Math.floor(r() * 3) })],
  [3, 'order_completed', (r) => ({ amount: Math.round(r() * 300) })],
  [2, 'signed_up', () => ({ source: 'ads' })],
  [2, 'setup_step_completed', (r) => ({ step: r() < 0.5 ? 'connect_data' : 'invite_team' })],
  [1, 'setup_completed', () => ({})],
  [3, 'course_started', (r) => ({ course_id: `c-${Math.floor(r() * 50)}`, track: pick(r, LINES), access: pick(r, ['paid', 'subscription', 'preview']) })],
  [5, 'lesson_completed', (r) => ({ lesson: Math.floor(r() * 20) })],
  [1, 'study_plan_scheduled', () => ({})],
  [4, 'consultation_submitted', (r) => ({ procedure: pick(r, PROCEDURES) })],
  [1, 'appointment_booked', () => ({})],
  [2, 'call_logged', (r) => ({ outcome: r() < 0.5 ? 'reached' : 'no_answer' })],
  [1, 'lead_status_changed', (r) => ({ status: pick(r, ['contacted', 'lost', 'invalid']) })],
  [1, 'refund_requested', () => ({})],
];
const IDENTIFY_WEIGHT = 3;
const PLANS = ['free', 'team', 'premium', 'business'];
const TOTAL_WEIGHT = MIX.reduce((sum, [w]) => sum + w, IDENTIFY_WEIGHT);

function generateEvents(n: number, users: number): EventEnvelope[] {
  const r = prng(42);
  const events: EventEnvelope[] = new Array(n);
  for (let i = 0; i < n; i++) {
    // Mostly in time order, with up to an hour of jitter so the input needs its sort.
    const at = START + Math.floor((i / n) * SPAN_MS) + Math.floor((r() - 0.5) * 3_600_000);
    const base = { userId: `u${Math.floor(r() * users)}`, timestamp: new Date(at).toISOString(), messageId: `m${i}`, context: {} };
    let roll = r() * TOTAL_WEIGHT;
    if (roll < IDENTIFY_WEIGHT) {
      events[i] = { type: 'identify', traits: { plan: pick(r, PLANS), sms_opt_in: r() < 0.5 }, ...base };
      continue;
    }
    roll -= IDENTIFY_WEIGHT;
    const [, name, properties] = MIX.find(([w]) => (roll -= w) < 0) ?? MIX[0]!;
    events[i] = { type: 'track', event: name, properties: properties(r), ...base };
  }
  return events;
}

function generateProfiles(users: number): { userId: string; traits: Record<string, unknown> }[] {
  const r = prng(7);
  return Array.from({ length: users }, (_, u) => ({
    userId: `u${u}`,
    traits: {
      email: `u${u}@example.com`,
      ...(r() < 0.8 ? { phone: `+1415555${String(u % 10_000).padStart(4, '0')}` } : {}),
      first_name: `User${u}`,
      plan: pick(r, PLANS),
      sms_opt_in: r() < 0.5,
      marketing_consent: r() < 0.7,
    },
  }));
}

// ---- measurement ------------------------------------------------------------------------------------

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rate = (n: number, seconds: number) => Math.round(n / seconds).toLocaleString('en-US');

function readInput(events: EventEnvelope[]): EventEnvelope[] {
  const parsed: { event: EventEnvelope; at: number; i: number }[] = [];
  for (const [i, event] of events.entries()) {
    const result = parseEnvelope(JSON.parse(JSON.stringify(event)));
    if (!result.ok) throw new Error(`generated event ${i} is invalid: ${result.reason}`);
    parsed.push({ event: result.event, at: Date.parse(result.event.timestamp), i });
  }
  parsed.sort((a, b) => a.at - b.at || a.i - b.i);
  return parsed.map((p) => p.event);
}

async function main() {
  console.log(`nudge simulate benchmark: ${EVENTS.toLocaleString('en-US')} events, ${USERS.toLocaleString('en-US')} users, ${RULES} rules`);
  let t0 = performance.now();
  const rules = generateRules(RULES);
  const events = generateEvents(EVENTS, USERS);
  const profiles = generateProfiles(USERS);
  console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`);

  t0 = performance.now();
  const input = readInput(events);
  const baselineSeconds = (performance.now() - t0) / 1000;
  console.log(`baseline done in ${baselineSeconds.toFixed(1)} s`);

  let seen = 0;
  let warned = false;
  const step = Math.max(1, Math.floor(EVENTS / 10));
  const outcomes = new Map<string, number>();
  t0 = performance.now();
  const actions: SimulationAction[] = await simulate({ rules, events: input, profiles }, {
    onEvent: (_event, outcome) => {
      for (const d of outcome.decisions) outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1);
      if (++seen % step !== 0) return;
      const elapsed = (performance.now() - t0) / 1000;
      const projected = (elapsed / seen) * EVENTS;
      process.stderr.write(`  simulate: ${seen.toLocaleString('en-US')} events in ${elapsed.toFixed(1)} s (projected total ${projected.toFixed(0)} s)\n`);
      if (!warned && projected > BUDGET_SECONDS * 1.2) {
        warned = true;
        process.stderr.write(`  note: this run will take over ${BUDGET_SECONDS / 60} minutes; --events 200000 gives a quicker figure\n`);
      }
    },
  });
  const simulateSeconds = (performance.now() - t0) / 1000;

  const byAction = new Map<string, number>();
  for (const a of actions) byAction.set(a.action, (byAction.get(a.action) ?? 0) + 1);
  const baselineRate = EVENTS / baselineSeconds;
  const simulateRate = EVENTS / simulateSeconds;
  console.log('');
  console.log('                                         events   seconds      events/s');
  console.log(`baseline (stringify+parse+validate+sort) ${String(EVENTS).padStart(9)} ${baselineSeconds.toFixed(1).padStart(9)} ${rate(EVENTS, baselineSeconds).padStart(13)}`);
  console.log(`simulate (${String(RULES).padStart(3)} rules)                     ${String(EVENTS).padStart(9)} ${simulateSeconds.toFixed(1).padStart(9)} ${rate(EVENTS, simulateSeconds).padStart(13)}`);
  console.log('');
  console.log(`simulate / baseline ratio: ${(simulateRate / baselineRate).toFixed(3)} (the simulator is ${(baselineRate / simulateRate).toFixed(1)}x slower than reading its input)`);
  console.log(`journeys entered: ${(byAction.get('enter') ?? 0).toLocaleString('en-US')}; actions produced: ${actions.length.toLocaleString('en-US')} (${[...byAction].sort().map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')})`);
  console.log(`trigger decisions: ${[...outcomes].sort().map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);
  console.log(`peak RSS: ${mib(process.resourceUsage().maxRSS * 1024)}`);
  if (simulateSeconds > BUDGET_SECONDS) {
    console.log(`NOTE: simulate took ${(simulateSeconds / 60).toFixed(1)} minutes, more than the ~${BUDGET_SECONDS / 60}-minute budget for this size; use --events 200000 for a quick run.`);
  }
}

await main();
