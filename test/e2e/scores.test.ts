/**
 * A rule reading a trained model's score on the real engine (NATS, identity resolver, partitions,
 * Temporal, SMTP): `score ≥ 0.7` starts a journey for exactly the people the convert-14d model gives at
 * least 0.7 at one of their page views, and the email shows the score the trigger saw
 * (`{{ scores["convert-14d"] }}`). The expected people are worked out twice on the same events, never
 * written down: by the simulator (the engine's decide code on a virtual clock) and by replaying each
 * person's events through the behavior state and the model's formula (probabilityOf over the feature
 * columns), independently of the rule machinery. The fixture's model is a symlink to the example
 * artifact (rules/models/convert-14d.model.json), loaded from `<rules dir>/models` as in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBehavior } from '../../dev/predict/generate-behavior';
import type { EventEnvelope } from '../../engine/events/envelope';
import { compileFeatures, probabilityOf } from '../../engine/match/model-scores';
import { RuleIndex } from '../../engine/match/rule-index';
import { simulate } from '../../engine/simulate/simulator';
import { applyEvent, emptyState } from '../../engine/state/behavior-state';
import { loadRuleSet, type RuleSet } from '../../rules/load-rule-set';
import type { TrainedModel } from '../../rules/schema/trained-model';
import { eventually } from '../support/poll';
import { startStack, type Stack } from '../support/stack';

const RULES = 'test/fixtures/scores';
const RULE_ID = 'likely-buyers';
const DAY = 86_400_000;

let stack: Stack;
let ruleSet: RuleSet;
let model: TrainedModel;
let events: EventEnvelope[];

beforeAll(async () => {
  ruleSet = loadRuleSet([RULES]);
  model = ruleSet.models!.find((m) => m.model.id === 'convert-14d')!.model;
  // Three weeks of generated behavior ending yesterday (30 people, seed 6: some reach 0.7, most do not);
  // identify events gain an email address so the journey's email has a recipient.
  const start = new Date(Math.floor(Date.now() / DAY) * DAY - 22 * DAY).toISOString();
  events = generateBehavior({ people: 30, days: 21, seed: 6, start })
    .map((e) => (e.type === 'identify' ? { ...e, traits: { ...e.traits, email: `${e.userId}@example.com` } } : e))
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  stack = await startStack({ rules: RULES });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** The people whose score, right after one of their page views, is ≥ 0.7: the formula over the state. */
function peopleReaching(threshold: number): Set<string> {
  const plan = new RuleIndex(ruleSet.rules, ruleSet.tags, [model]).plan;
  const features = compileFeatures(model.features);
  const reached = new Set<string>();
  const states = new Map<string, ReturnType<typeof emptyState>>();
  const seqs = new Map<string, number>();
  for (const event of events) {
    const person = event.userId!;
    const seq = (seqs.get(person) ?? 0) + 1;
    seqs.set(person, seq);
    const state = applyEvent(states.get(person) ?? emptyState(person), event, seq, plan);
    states.set(person, state);
    if (event.type === 'track' && event.event === 'page_viewed' && probabilityOf(model, features.row(state, state.clock)) >= threshold) reached.add(person);
  }
  return reached;
}

describe('the score fact on the real engine', () => {
  it('score ≥ 0.7 starts journeys for exactly the people whose score reached 0.7, and the email shows it', async () => {
    const simulated = await simulate({ rules: ruleSet.rules, tags: ruleSet.tags, models: [model], events, env: {} });
    const simulatedEntries = new Set(simulated.filter((a) => a.action === 'enter').map((a) => a.userId));
    const expected = peopleReaching(0.7);
    const people = new Set(events.map((e) => e.userId!));
    // Both kinds of people, so a score read as undefined (nobody enters) or as 1 (everybody) fails.
    expect(expected.size).toBeGreaterThan(2);
    expect(expected.size).toBeLessThan(people.size - 10);
    expect([...simulatedEntries].sort()).toEqual([...expected].sort());

    for (const event of events) await stack.publish(event);
    await stack.settle(60_000);
    expect(stack.deadLetters).toEqual([]);

    const started = new Set(stack.outcomes.flatMap((o) => o.decisions.filter((d) => d.ruleId === RULE_ID && d.outcome === 'started').map(() => o.userKey)));
    expect([...started].sort()).toEqual([...expected].sort());

    // The subject renders the score at entry; the simulator renders it from the same journey input.
    const subjects = (list: { to: string; subject: string }[]) => Object.fromEntries(list.map((m) => [m.to, m.subject]));
    const simulatedEmails = subjects(simulated.filter((a) => a.action === 'email').map((a) => ({ to: a.to!, subject: a.subject! })));
    expect(Object.keys(simulatedEmails)).toHaveLength(expected.size);
    const sent = await eventually(() => {
      const messages = stack.smtp.messages();
      return messages.length >= expected.size ? messages : undefined;
    }, 30_000, `${expected.size} emails`);
    expect(subjects(sent.map((m) => ({ to: m.to, subject: m.subject })))).toEqual(simulatedEmails);
    expect(Object.values(simulatedEmails).every((s) => /^Likely buyer: (7\d|8\d|9\d|100)%$/.test(s))).toBe(true);
  }, 90_000);
});
