/** onRuleChanged: a deployed version with `onNewVersion: exit` ends the journey with reason rule_changed, whatever it was doing. */
import { describe, expect, it } from 'vitest';
import { contextFor } from '../../test/support/unit-journey-driver';
import { DAY, HOUR, t0 } from '../../test/support/unit-journey-fixtures';
import { email, sms, wait } from '../../test/support/unit-rules';
import { onPerformed, onRuleChanged, onTimer, startJourney } from './machine';

describe('onRuleChanged', () => {
  it('ends a waiting journey with rule_changed and the new version; the timer firing later sends nothing', () => {
    const ctx = contextFor({ steps: [email('mail'), wait('pause', '1d'), sms('text')] });
    let t = startJourney(ctx, t0);
    t = onPerformed(ctx, t.state, { status: 'done', details: {} }, t0);
    const ended = onRuleChanged(ctx, t.state, { ruleVersion: 2, revision: 7 }, t0 + HOUR);
    expect(ended.command).toEqual({ kind: 'finish', reason: 'rule_changed', stepId: null });
    expect(ended.log).toEqual([{ at: t0 + HOUR, step: null, action: 'exit', reason: 'rule_changed', ruleVersion: 2, revision: 7 }]);
    const late = onTimer(ctx, ended.state, t0 + DAY);
    expect(late.log).toEqual([]);
    expect(late.command).toMatchObject({ kind: 'finish', reason: 'rule_changed' });
  });

  it('is ignored by a journey that already ended', () => {
    const ctx = contextFor({ steps: [email('mail')] });
    const done = onPerformed(ctx, startJourney(ctx, t0).state, { status: 'done', details: {} }, t0);
    expect(done.command).toMatchObject({ kind: 'finish', reason: 'completed' });
    const after = onRuleChanged(ctx, done.state, { ruleVersion: 2, revision: null }, t0 + HOUR);
    expect(after.log).toEqual([]);
    expect(after.command).toMatchObject({ kind: 'finish', reason: 'completed' });
  });
});
