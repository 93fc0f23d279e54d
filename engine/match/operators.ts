/**
 * The comparison operators, with json-rules-engine 7.3.1's semantics to the letter
 * (dist/engine-default-operators.js): each is its validator on the fact value, then its comparison.
 * - the numeric ones accept a fact value only if `parseFloat` reads a number from it (so "12abc", [5]
 *   and "Infinity" pass, null / true / "" / {} do not), then compare with JavaScript's < and >;
 * - `contains` / `doesNotContain` accept only an array fact value (a string never contains anything);
 * - `in` / `notIn` call the condition value's indexOf: an array is searched by ===, a string for the
 *   fact value as a substring, and anything else throws, as it does in json-rules-engine;
 * - `notEqual` is nudge's: a missing value (null / undefined) fails it, as it fails every comparison.
 * The arguments are `any` because these are JavaScript's own operators on untyped JSON.
 */
import { VALUE_OPERATORS } from '../../rules/schema/conditions';

export type OperatorName = (typeof VALUE_OPERATORS)[number];

/** (fact value, condition value) → passed. */
export type Comparison = (factValue: any, value: any) => boolean;

/** json-rules-engine's numberValidator, `Number.parseFloat(v).toString() !== 'NaN'`, without the string. */
export const isNumeric = (factValue: any): boolean => (typeof factValue === 'number' ? factValue === factValue : !Number.isNaN(Number.parseFloat(factValue)));

const isPresent = (factValue: unknown) => factValue !== null && factValue !== undefined;

export const OPERATORS: Readonly<Record<OperatorName, Comparison>> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => isPresent(a) && a !== b,
  in: (a, b) => b.indexOf(a) > -1,
  notIn: (a, b) => b.indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
  lessThan: (a, b) => isNumeric(a) && a < b,
  lessThanInclusive: (a, b) => isNumeric(a) && a <= b,
  greaterThan: (a, b) => isNumeric(a) && a > b,
  greaterThanInclusive: (a, b) => isNumeric(a) && a >= b,
};

export const isOperatorName = (name: unknown): name is OperatorName => typeof name === 'string' && Object.hasOwn(OPERATORS, name);
