/**
 * Model files load like rule files: every problem names file:line:column, the JSON path and the reason.
 * A feature window cannot reach past the snapshot (leakage is refused when the file loads); a rule
 * reading a model that is not trained fails the rule set at its `params.model`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleJson } from '../test/support/unit-rules';
import { validateRuleSetFiles } from './load-rule-set';
import { validateModelFile } from './load-models';
import { formatProblem } from './rule-errors';

const EXAMPLE = new URL('models/convert-14d.json', import.meta.url).pathname;
const EXAMPLE_TRAINED = new URL('models/convert-14d.model.json', import.meta.url).pathname;

function modelFile(name: string, text: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nudge-models-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { dir, path };
}

describe('model files', () => {
  it('the example model file loads', () => {
    expect(validateModelFile(EXAMPLE).problems).toEqual([]);
  });

  it('refuses a feature window that reaches past the snapshot, at its line and column', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('"within": "7d" },', '"within": "+7d" },');
    const { dir, path } = modelFile('convert-14d.json', text);
    const problems = validateModelFile(path, dir).problems.map(formatProblem);
    const line = text.split('\n').findIndex((l) => l.includes('"+7d"')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('"+7d"') + 1;
    expect(problems).toEqual([`convert-14d.json:${line}:${column}: $.features[0].within: a feature window ends at the snapshot and reaches back from it: "+…" would read behavior after the snapshot, which is what the label is made of (leakage)`]);
  });

  it('refuses a window field the schema does not have (a window cannot be moved off the snapshot)', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('"within": "7d" },', '"within": "7d", "until": "1d" },');
    const { dir, path } = modelFile('convert-14d.json', text);
    const line = text.split('\n').findIndex((l) => l.includes('"until"')) + 1;
    expect(validateModelFile(path, dir).problems.map((p) => [p.path, p.line, p.message])).toEqual([[['features', 0], line, 'Unrecognized key: "until"']]);
  });

  it('the id is the file name, and a tag feature names a tag that exists', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('"kind": "trait", "trait": "plan", "categories": ["pro"]', '"kind": "tag", "tag": "no_such_tag"');
    const { dir, path } = modelFile('other.json', text);
    const problems = validateModelFile(path, dir, new Set(['visit_depth'])).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
    expect(problems).toEqual([expect.stringMatching(/^3:9: the id must be the file's name: "other"/), expect.stringMatching(/: no tag "no_such_tag" is defined \(tags: visit_depth\)$/)]);
  });
});

describe('rules reading scores', () => {
  const scoreRule = (model: string) => ruleJson({ id: 'likely-buyers', trigger: { event: 'page_viewed', conditions: { all: [{ fact: 'score', params: { model }, operator: 'greaterThanInclusive', value: 0.7 }] } } });

  function ruleSetWith(rule: unknown, trained: boolean): { dir: string; text: string } {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-score-rules-'));
    mkdirSync(join(dir, 'models'));
    const text = JSON.stringify(rule, null, 2);
    writeFileSync(join(dir, 'likely-buyers.json'), text);
    if (trained) writeFileSync(join(dir, 'models', 'convert-14d.model.json'), readFileSync(EXAMPLE_TRAINED, 'utf8'));
    return { dir, text };
  }

  it('a rule reading a trained model loads, with the model', () => {
    const { dir } = ruleSetWith(scoreRule('convert-14d'), true);
    const set = validateRuleSetFiles([dir], [], dir);
    expect(set.problems).toEqual([]);
    expect(set.models?.map((m) => m.model.id)).toEqual(['convert-14d']);
  });

  it('a rule reading an unknown model fails validation at file:line:column of params.model', () => {
    const { dir, text } = ruleSetWith(scoreRule('churn-30d'), true);
    const line = text.split('\n').findIndex((l) => l.includes('"churn-30d"')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('"churn-30d"') + 1;
    expect(validateRuleSetFiles([dir], [], dir).problems.map(formatProblem)).toEqual([
      `likely-buyers.json:${line}:${column}: $.trigger.conditions.all[0].params.model: unknown model "churn-30d": no trained model churn-30d.model.json in the models directory (trained: convert-14d); run "nudge train rules/models/churn-30d.json"`,
    ]);
  });
});
