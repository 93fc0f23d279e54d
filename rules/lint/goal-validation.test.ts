/**
 * A rule's goal in `nudge validate`: a goal event nothing sends (no catalog entry, no rule's trigger)
 * and a window that is not above zero are errors — a conversion could never be recorded — each with
 * file, line and column; a known goal event is fine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleJson } from '../../test/support/unit-rules';
import { formatProblem } from '../rule-errors';
import { validateRuleSet } from './validate-rule-set';

function validate(goal: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-goal-'));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ events: { page_viewed: {}, order_completed: {} }, traits: {} }));
  writeFileSync(join(dir, 'r.json'), JSON.stringify({ ...ruleJson({ exitOn: [{ event: 'order_completed' }] }), goal }, null, 2));
  return validateRuleSet([dir], dir);
}

describe('goal validation', () => {
  it('a known goal event and a positive window: no error, no warning about the goal', () => {
    const report = validate({ event: 'order_completed', within: '7d' });
    expect(report.errors).toEqual([]);
    expect(report.warnings.filter((w) => w.path[0] === 'goal')).toEqual([]);
    expect(report.rules[0]!.rule.goal).toEqual({ event: 'order_completed', within: '7d' });
  });

  it('a goal event nobody emits is an error at its position', () => {
    const report = validate({ event: 'order_complete', within: '7d' });
    expect(report.errors.map(formatProblem)).toEqual([expect.stringMatching(/^r\.json:\d+:\d+: (error: )?\$\.goal\.event: event "order_complete" is not in the catalog/)]);
    expect(report.errors[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });

  it('a window of zero is an error at its position', () => {
    const report = validate({ event: 'order_completed', within: '0d' });
    expect(report.errors.map(formatProblem)).toEqual([expect.stringMatching(/^r\.json:\d+:\d+: (error: )?\$\.goal\.within: the duration must be greater than zero/)]);
  });
});
