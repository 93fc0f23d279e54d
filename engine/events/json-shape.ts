/**
 * Limits on the shape of an event's JSON, checked on the raw bytes before anything recursive runs
 * (JSON.parse, JSON.stringify for a size check or a publish, a schema walk). A message nested 5,000
 * levels deep is about 30 KB, well inside the size limits, yet overflows the stack of whatever
 * recurses over it: refused here, it is a 400 at the collector and a dead letter on the streams, never a
 * crash or an answer the tracker retries forever.
 *
 * The scan is one pass over the bytes, no allocation but a small stack. It judges only nesting and key
 * counts: anything else that is not JSON is left to JSON.parse, which names the error.
 */

/** Deepest nesting of objects and arrays in one message (Segment's own SDKs send a handful). */
export const MAX_JSON_DEPTH = 64;
/** Most keys in one object (a `properties` or `traits` map with more is a bug or an attack). */
export const MAX_OBJECT_KEYS = 1000;

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export interface JsonShapeLimits {
  maxDepth: number;
  maxObjectKeys: number;
}

/**
 * Why the JSON in `bytes` is too deep or has an object with too many keys, or undefined. `maxDepth`
 * counts containers: `{"a":[1]}` is 2 deep. Strings are skipped (their escapes included), so brackets
 * and commas inside them do not count.
 */
export function jsonShapeProblem(bytes: Uint8Array, limits: JsonShapeLimits = { maxDepth: MAX_JSON_DEPTH, maxObjectKeys: MAX_OBJECT_KEYS }): string | undefined {
  // Per open container: is it an object, and how many members it has (0 until its first one).
  const isObject: boolean[] = [];
  const members: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (isSpace(c)) continue;
    const top = members.length - 1;
    if (top >= 0 && members[top] === 0 && c !== CLOSE_OBJECT && c !== CLOSE_ARRAY) members[top] = 1;
    if (c === QUOTE) {
      for (i++; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (members.length >= limits.maxDepth) return `JSON nested deeper than ${limits.maxDepth} levels (objects and arrays)`;
      isObject.push(c === OPEN_OBJECT);
      members.push(0);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      isObject.pop();
      members.pop();
    } else if (c === COMMA && top >= 0) {
      members[top]!++;
      if (isObject[top] && members[top]! > limits.maxObjectKeys) return `a JSON object has more than ${limits.maxObjectKeys} keys`;
    }
  }
  return undefined;
}
