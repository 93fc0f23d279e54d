/** Which journeys `onNewVersion: exit` ends: the running ones of another version of the rule, on this installation's task queue. */
import { describe, expect, it } from 'vitest';
import { ruleOf } from '../../test/support/unit-rules';
import { exitingRules, otherVersionsQuery } from './rule-change-exits';

describe('rule change exits', () => {
  it('only rules that say exit end older journeys (keep is the default)', () => {
    const rules = [ruleOf({ id: 'a', version: 3, onNewVersion: 'exit' }), ruleOf({ id: 'b', version: 2 }), ruleOf({ id: 'c', version: 1, onNewVersion: 'keep' })];
    expect(exitingRules(rules.map((rule) => ({ rule, file: `${rule.id}.json` })))).toEqual([{ id: 'a', version: 3 }]);
  });

  it('asks Temporal for running journeys of any other version (a rollback to v2 ends v3 journeys too), quoted', () => {
    expect(otherVersionsQuery("q'1", { id: 'a', version: 2 })).toBe("WorkflowType = 'journeyWorkflow' AND TaskQueue = 'q\\'1' AND ExecutionStatus = 'Running' AND RuleId = 'a' AND RuleVersion != 2");
  });
});
