/**
 * Fact paths ("$.properties.page", "$.items[0]") compiled to a property walk, giving exactly what
 * json-rules-engine gives for the path grammar the schema allows (rules/schema/conditions.ts): its almanac
 * applies a path only to an object (a primitive, null or undefined fact is returned as it is), then
 * jsonpath-plus (wrap: false) follows each step while the current value is truthy and has the step as an
 * *own* property — so a string answers "[0]" and ".length", an array ".length", a number nothing — and
 * returns the value where it arrives (an array as it is, not wrapped) or undefined when a step is missing.
 * Indexes stay strings ("[01]" is the key "01", which no array has), as in jsonpath-plus.
 */
import { ConditionCompileError } from './condition-compile-error';

/** The leaf path grammar of the schema; a wider grammar must be compiled here before the schema allows it. */
export const PROPERTY_PATH = /^\$(\.[A-Za-z_][\w-]*|\[\d+\])*$/;

/** A fact value → the value at the path. */
export type PathResolver = (factValue: unknown) => unknown;

const STEP = /\.([^.[]+)|\[(\d+)\]/g;

/**
 * `path` as json-rules-engine reads it: absent or "" means the fact itself (null is returned then).
 * `at`: where the path is in the tree, for the error.
 */
export function compilePath(path: unknown, at: (string | number)[]): PathResolver | null {
  if (!path) return null;
  if (typeof path !== 'string' || !PROPERTY_PATH.test(path)) {
    throw new ConditionCompileError(at, `the path ${JSON.stringify(path)} is not a property path such as "$.properties.page" or "$.items[0]"`);
  }
  const keys = [...path.matchAll(STEP)].map((m) => (m[1] ?? m[2])!);
  const [first, second] = keys;
  // The common one- and two-step paths get a walk without a loop.
  if (first === undefined) return (value) => value;
  if (second === undefined) return (value) => (isObject(value) ? (Object.hasOwn(value, first) ? value[first] : undefined) : value);
  if (keys.length === 2) {
    return (value) => {
      if (!isObject(value)) return value;
      const next = Object.hasOwn(value, first) ? value[first] : undefined;
      return next && Object.hasOwn(next as object, second) ? (next as Indexable)[second] : undefined;
    };
  }
  return (value) => {
    if (!isObject(value)) return value;
    let current: unknown = value;
    for (const key of keys) {
      // Object.hasOwn boxes a primitive: a string has own indexes and length, a number has none.
      if (!current || !Object.hasOwn(current as object, key)) return undefined;
      current = (current as Indexable)[key];
    }
    return current;
  };
}

type Indexable = Record<string, unknown>;

const isObject = (value: unknown): value is Indexable => value !== null && typeof value === 'object';
