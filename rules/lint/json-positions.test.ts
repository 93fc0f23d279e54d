/**
 * Positions: every problem in a rule file names the line and column (1-based) of the value it is
 * about, so an editor or CI annotation lands on it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateRuleFiles } from '../load-rules';
import { formatProblem } from '../rule-errors';
import { JsonSyntaxError, jsonPointer, parseJsonDocument } from './json-positions';

const syntaxErrorOf = (text: string): JsonSyntaxError => {
  try {
    parseJsonDocument(text);
  } catch (error) {
    return error as JsonSyntaxError;
  }
  throw new Error('expected a syntax error');
};

describe('parseJsonDocument', () => {
  const text = ['{', '  "steps": [', '    { "id": "a", "duration": "2 days" }', '  ],', '\t"a/b": { "~x": 1 }', '}'].join('\n');
  const document = parseJsonDocument(text);

  it.each<[(string | number)[], number, number]>([
    [[], 1, 1],
    [['steps'], 2, 12],
    [['steps', 0], 3, 5],
    [['steps', 0, 'duration'], 3, 30],
    [['a/b', '~x'], 5, 17], // a tab is one column; "/" and "~" in names are escaped in the pointer
  ])('the value at %j starts at %i:%i', (path, line, column) => {
    expect(document.positionOf(path)).toEqual({ line, column });
  });

  it('a path that is not in the file gets the position of its nearest parent that is', () => {
    expect(document.positionOf(['steps', 0, 'text'])).toEqual({ line: 3, column: 5 });
    expect(document.positionOf(['exitOn', 0, 'event'])).toEqual({ line: 1, column: 1 });
  });

  it('can point at a property name instead of its value', () => {
    expect(document.positionOf(['steps', 0, 'duration'], { key: true })).toEqual({ line: 3, column: 18 });
  });

  it('counts \\r\\n line ends as one line end', () => {
    expect(parseJsonDocument('{\r\n  "a": 1\r\n}').positionOf(['a'])).toEqual({ line: 2, column: 8 });
  });

  it('escapes JSON pointers as RFC 6901 says', () => {
    expect(jsonPointer(['steps', 2, 'a/b~c'])).toBe('/steps/2/a~1b~0c');
  });
});

describe('invalid JSON', () => {
  it.each<[string, string, number, number, RegExp]>([
    ['a missing value', '{\n  "id": "x",\n  "version": \n}', 4, 1, /Unexpected token/],
    ['a trailing comma', '{\n  "id": "x",\n}', 3, 1, /property name/],
    ['text that stops early', '{\n  "id": "x",\n  "steps": [\n', 3, 13, /end of JSON input/],
    ['text after the value', '{ "id": "x" }\n{}', 2, 1, /non-whitespace character/],
  ])('%s is reported where the parser stopped', (_name, text, line, column, message) => {
    const error = syntaxErrorOf(text);
    expect(error).toBeInstanceOf(JsonSyntaxError);
    expect(error.position).toEqual({ line, column });
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n'); // Node quotes the whole input for some mistakes; a problem is one line
  });

  it('empty text is reported at 1:1', () => {
    expect(syntaxErrorOf('').position).toEqual({ line: 1, column: 1 });
  });
});

describe('rule file problems carry line and column', () => {
  const ruleText = `{
  "id": "positions",
  "name": "Positions",
  "version": 1,
  "enabled": true,
  "trigger": { "event": "page_viewed" },
  "entry": { "policy": "once" },
  "steps": [
    { "id": "hello", "type": "email", "subject": "Hi", "text": "Hello" },
    { "id": "pause", "type": "wait", "duration": "2 days" },
    { "id": "tell", "type": "sms", "body": "x", "cc": "y" },
    { "id": "later", "type": "email", "subject": "Hi" }
  ]
}
`;
  const problemsOf = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-positions-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return validateRuleFiles([dir], dir).problems.map(formatProblem);
  };

  it('a bad duration, an unknown key and a missing key are each reported at their line and column', () => {
    expect(problemsOf({ 'positions.json': ruleText })).toEqual([
      'positions.json:10:50: $.steps[1].duration: a duration is a number and a unit: ms, s, m, h, d or w (e.g. "2d")',
      // an unknown key is shown at its name; a missing one at the object that lacks it
      'positions.json:11:49: $.steps[2]: Unrecognized key: "cc"',
      expect.stringMatching(/^positions\.json:12:5: \$\.steps\[3\]\.text: /),
    ]);
  });

  it('invalid JSON is reported at the line and column where parsing stopped', () => {
    expect(problemsOf({ 'broken.json': '{\n  "id": "broken",\n  "steps": [,]\n}\n' })).toEqual([
      expect.stringMatching(/^broken\.json:3:13: \$: not valid JSON: Unexpected token/),
    ]);
  });

  it('a duplicate rule id is reported at the second file\'s id', () => {
    const copy = ruleText.replace('"2 days"', '"2d"').replace(', "cc": "y"', '').replace('"subject": "Hi" }', '"subject": "Hi", "text": "x" }');
    expect(problemsOf({ 'a.json': copy, 'b.json': copy })).toEqual(['b.json:2:9: $.id: rule id "positions" is already defined in a.json']);
  });
});
