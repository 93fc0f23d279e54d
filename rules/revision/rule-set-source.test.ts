/** A deployed source is validated like files; a newer format is named as such; the content hash ignores where files were deployed from. */
import { describe, expect, it } from 'vitest';
import { InvalidRuleSetError } from '../rule-errors';
import { loadRuleSetSource, parseRuleSetSource, RULE_SET_FORMAT, sourceContentHash, UnreadableRevisionError, type RuleSetSource } from './rule-set-source';

const ruleText = (extra: Record<string, unknown> = {}) => JSON.stringify({ id: 'a', name: 'a', version: 1, enabled: true, trigger: { event: 'x' }, entry: { policy: 'once' }, steps: [{ id: 'w', type: 'wait', duration: '1h' }], ...extra }, null, 2);
const source = (rules: { file: string; text: string }[]): RuleSetSource => ({ format: RULE_SET_FORMAT, rules, tags: [], coupons: [] });

describe('rule set sources', () => {
  it('loads the rules of a valid source', () => {
    expect(loadRuleSetSource(source([{ file: 'rules/a.json', text: ruleText({ onNewVersion: 'exit' }) }])).rules.map(({ rule }) => [rule.id, rule.onNewVersion])).toEqual([['a', 'exit']]);
  });

  it('refuses a field this build does not know, naming the file, line, JSON path and reason', () => {
    const error = (() => {
      try {
        loadRuleSetSource(source([{ file: 'rules/a.json', text: ruleText({ futureField: 1 }) }]));
      } catch (e) {
        return e as InvalidRuleSetError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRuleSetError);
    expect(error!.message).toMatch(/rules\/a\.json:\d+:\d+: \$: Unrecognized key: "futureField"/);
  });

  it('refuses a rule reading a score, naming the file, line, params.model, the model and why (revisions carry no models)', () => {
    const conditions = { all: [{ fact: 'score', params: { model: 'convert-14d' }, operator: 'greaterThanInclusive', value: 0.7 }] };
    const text = ruleText({ id: 'likely-buyers', trigger: { event: 'page_viewed', conditions } });
    const at = text.split('\n').findIndex((l) => l.includes('"model"'));
    const column = text.split('\n')[at]!.indexOf('"convert-14d"') + 1;
    expect(() => loadRuleSetSource(source([{ file: 'rules/likely-buyers.json', text }]))).toThrow(InvalidRuleSetError);
    expect(() => loadRuleSetSource(source([{ file: 'rules/likely-buyers.json', text }]))).toThrow(
      `rules/likely-buyers.json:${at + 1}:${column}: $.trigger.conditions.all[0].params.model: reads model "convert-14d", but a deployed rule set (nudge rules deploy) carries no trained models yet: run the engines on the rule files (NUDGE_RULES_SOURCE=files) to use scores, or deploy without this rule`,
    );
  });

  it('names a newer source format instead of reporting schema errors', () => {
    expect(() => parseRuleSetSource(4, { format: RULE_SET_FORMAT + 1, whatever: true })).toThrow(UnreadableRevisionError);
    expect(() => parseRuleSetSource(4, { format: RULE_SET_FORMAT + 1 })).toThrow(/revision 4 cannot be loaded: it has source format 2 but this nudge reads format 1 and older/);
    expect(() => parseRuleSetSource(4, { format: 1, rules: 'no' })).toThrow(/revision 4 cannot be loaded: rules: /);
  });

  it('hashes content, not the directory it was deployed from', () => {
    const here = sourceContentHash(source([{ file: 'rules/a.json', text: ruleText() }]));
    expect(sourceContentHash(source([{ file: '/elsewhere/a.json', text: ruleText() }]))).toBe(here);
    expect(sourceContentHash(source([{ file: 'rules/a.json', text: ruleText({ version: 2 }) }]))).not.toBe(here);
  });
});
