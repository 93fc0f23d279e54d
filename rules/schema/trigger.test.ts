/**
 * The trigger kinds: an event (as before), an event's absence, a schedule, a one-off launch. Told apart
 * by their key; each is accepted, mistakes point at the file position, and only an event trigger is
 * ever matched by an arriving event.
 */
import { describe, expect, it } from 'vitest';
import { RuleIndex } from '../../engine/match/rule-index';
import { eventAt, ruleJson, ruleOf, sinceLast, traitAt } from '../../test/support/unit-rules';
import { parseRuleText } from '../load-rules';
import { formatProblem } from '../rule-errors';
import { journeyDiagram } from '../graph/journey-diagram';
import { describeTrigger, isAbsenceTrigger, isEventTrigger, isOneOffTrigger, isScheduleTrigger, journeyEventNameOf, triggerEventOf, triggerKind } from './trigger';

const absence = { absence: { event: 'page_viewed', for: '7d' } };
const trialAbsence = { absence: { event: 'order_completed', for: '3d', after: { event: 'trial_will_end' } }, conditions: { all: [traitAt('$.plan', 'equal', 'trial')] } };
const schedule = { schedule: { cron: '0 9 * * 1' } };
const oneOff = { oneOff: {}, conditions: { all: [sinceLast('page_viewed', 'lessThan', 3600)] } };

const problemsOf = (json: unknown) => parseRuleText(JSON.stringify(json, null, 2), 'r.json').problems.map(formatProblem);

describe('trigger kinds', () => {
  it.each([
    ['event', { event: 'page_viewed' }, 'page_viewed'],
    ['absence', absence, undefined],
    ['absence', trialAbsence, undefined],
    ['schedule', schedule, undefined],
    ['oneOff', oneOff, undefined],
  ])('a %s trigger parses, is told apart by its key, and names an event only if it is an event trigger', (kind, trigger, event) => {
    const rule = ruleOf({ trigger });
    expect(triggerKind(rule.trigger)).toBe(kind);
    expect([isEventTrigger, isAbsenceTrigger, isScheduleTrigger, isOneOffTrigger].filter((is) => is(rule.trigger))).toHaveLength(1);
    expect(triggerEventOf(rule.trigger)).toBe(event);
  });

  it('an absence trigger hands its journey the event that started the wait', () => {
    expect(journeyEventNameOf(ruleOf({ trigger: absence }).trigger)).toBe('page_viewed');
    expect(journeyEventNameOf(ruleOf({ trigger: trialAbsence }).trigger)).toBe('trial_will_end');
    expect(journeyEventNameOf(ruleOf({ trigger: schedule }).trigger)).toBeUndefined();
    expect(describeTrigger(ruleOf({ trigger: trialAbsence }).trigger)).toBe('no order_completed for 3d after trial_will_end');
  });

  it('only event triggers are indexed for arriving events', () => {
    const index = new RuleIndex([
      { rule: ruleOf({ id: 'on-visit' }), file: 'a.json' },
      { rule: ruleOf({ id: 'win-back', trigger: absence }), file: 'b.json' },
      { rule: ruleOf({ id: 'weekly', trigger: schedule }), file: 'c.json' },
      { rule: ruleOf({ id: 'spring', trigger: oneOff }), file: 'd.json' },
    ]);
    expect(index.candidates('page_viewed').map((r) => r.rule.id)).toEqual(['on-visit']);
    expect(index.byId('win-back')).toBeDefined();
  });

  it('graph shows what fires the rule', () => {
    expect(journeyDiagram(ruleOf({ trigger: absence })).nodes[0]!.lines[0]).toBe('on no page_viewed for 7d since the last one');
  });
});

describe('trigger mistakes point at the file', () => {
  it('an "event" fact in the conditions of an absence or audience trigger is an error at its line and column', () => {
    expect(problemsOf(ruleJson({ trigger: { ...absence, conditions: { all: [eventAt('$.properties.page', 'equal', '/pricing')] } } }))).toEqual([
      expect.stringMatching(/^r\.json:\d+:\d+: \$\.trigger\.conditions\.all\[0\]\.fact: an absence trigger's conditions are evaluated without an event.*trigger\.absence\.conditions/),
    ]);
    expect(problemsOf(ruleJson({ trigger: { ...schedule, conditions: { any: [eventAt('$.name', 'equal', 'x')] } } }))).toEqual([
      expect.stringMatching(/\$\.trigger\.conditions\.any\[0\]\.fact: a schedule trigger's conditions/),
    ]);
  });

  it('the watched event\'s own conditions may read the event', () => {
    expect(problemsOf(ruleJson({ trigger: { absence: { event: 'page_viewed', for: '7d', conditions: { all: [eventAt('$.properties.page', 'equal', '/pricing')] } } } }))).toEqual([]);
  });

  it.each([
    ['an absence without a duration', { absence: { event: 'page_viewed' } }, /\$\.trigger\.absence(\.for)?: .*/],
    ['a bad duration', { absence: { event: 'page_viewed', for: 'soon' } }, /\$\.trigger\.absence\.for: a duration is/],
    ['a cron with 4 fields', { schedule: { cron: '0 9 * *' } }, /\$\.trigger\.schedule\.cron: a cron expression has 5 fields/],
    ['an unknown key beside event', { event: 'a', when: 'now' }, /\$\.trigger: Unrecognized key: "when"/],
  ])('%s is reported where it is', (_, trigger, message) => {
    const problems = problemsOf(ruleJson({ trigger: trigger as never }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^r\.json:\d+:\d+: /);
    expect(problems[0]).toMatch(message);
  });
});
