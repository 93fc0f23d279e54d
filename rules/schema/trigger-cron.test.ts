/** A schedule's cron is checked when the rule loads, by the parser the engine runs it with (croner), at its position. */
import { describe, expect, it } from 'vitest';
import { validateRuleSetSources } from '../load-rule-set';

const ruleWithCron = (cron: string) => JSON.stringify({
  id: 'weekly', name: 'Weekly', version: 1, enabled: true,
  trigger: { schedule: { cron } },
  entry: { policy: 'once' },
  steps: [{ id: 'hi', type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
}, null, 2);

describe('schedule cron validation', () => {
  it('accepts a standard 5-field cron', () => {
    expect(validateRuleSetSources([{ file: 'weekly.json', text: ruleWithCron('0 9 * * 1') }], []).problems).toEqual([]);
  });

  it.each([
    ['0 25 * * 1', 'Invalid value for hour: 25'],
    ['0 9 * * MON-XYZ', 'invalid cron "0 9 * * MON-XYZ"'],
  ])('refuses %s at trigger.schedule.cron with file:line:column', (cron, message) => {
    const { problems } = validateRuleSetSources([{ file: 'weekly.json', text: ruleWithCron(cron) }], []);
    expect(problems).toEqual([expect.objectContaining({ file: 'weekly.json', path: ['trigger', 'schedule', 'cron'], message: expect.stringContaining(message), line: 8, column: 15 })]);
  });
});
