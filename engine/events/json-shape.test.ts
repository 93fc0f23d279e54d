import { describe, expect, it } from 'vitest';
import { jsonShapeProblem, MAX_JSON_DEPTH, MAX_OBJECT_KEYS } from './json-shape';

const bytes = (text: string) => Buffer.from(text);
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '[1]' + '}'.repeat(depth - 1);

describe('JSON shape limits', () => {
  it(`passes ${MAX_JSON_DEPTH} levels and refuses one more, before anything parses it`, () => {
    expect(jsonShapeProblem(bytes(nested(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(jsonShapeProblem(bytes(nested(MAX_JSON_DEPTH + 1)))).toMatch(/nested deeper than 64 levels/);
    // The poison message: 5,000 levels (about 30 KB) overflowed JSON.stringify's stack.
    expect(jsonShapeProblem(bytes('['.repeat(5000) + ']'.repeat(5000)))).toMatch(/deeper/);
  });

  it('counts keys per object, not across objects; arrays may be long', () => {
    const object = (keys: number) => `{${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(jsonShapeProblem(bytes(object(MAX_OBJECT_KEYS)))).toBeUndefined();
    expect(jsonShapeProblem(bytes(object(MAX_OBJECT_KEYS + 1)))).toMatch(/more than 1000 keys/);
    expect(jsonShapeProblem(bytes(`[${Array(5000).fill(object(3)).join(',')}]`))).toBeUndefined();
  });

  it('does not count brackets, commas or escaped quotes inside strings', () => {
    const tricky = JSON.stringify({ s: '[[[{{{"\\"' + '['.repeat(500) + ',,,'.repeat(2000) });
    expect(jsonShapeProblem(bytes(tricky))).toBeUndefined();
    expect(jsonShapeProblem(bytes(JSON.stringify({ s: 'a\\', t: [[1]] })))).toBeUndefined();
  });
});
