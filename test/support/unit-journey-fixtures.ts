/** Times, conditions and step lists the journey machine specifications share, and the specification itself. */
import { expect } from 'vitest';
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { ExitEvent } from '../../rules/schema/rule';
import type { Step } from '../../rules/schema/steps';
import type { ExitReason, JourneyAction } from '../../workflows/journey/machine';
import { runJourney, type DriverInput, type JourneySetup } from './unit-journey-driver';
import { email, eventAt, sms, traitAt, waitForEvent, webhook } from './unit-rules';

export const START = '2025-05-01T12:00:00.000Z';
export const t0 = Date.parse(START);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const at = (text: string) => Date.parse(text);

export const PAID: TopLevelCondition = { any: [traitAt('$.plan', 'in', ['team', 'business'])] };
export const BIG_ORDER: TopLevelCondition = { all: [eventAt('$.properties.total', 'greaterThan', 100)] };
export const ORDER_EXITS: ExitEvent[] = [{ event: 'order_completed' }];

export const completed = (when: number): JourneyAction => ({ at: when, step: null, action: 'exit', reason: 'completed' });

export const checkoutWait = (conditions?: TopLevelCondition, onEvent: Step[] = [sms('thanks')]) =>
  [waitForEvent('await-checkout', 'checkout_started', '1h', onEvent, [email('nudge')], conditions), webhook('crm')];

/** A journey as a specification: a rule's steps and the inputs it gets, with the log it writes and how it ends. */
export interface JourneySpec extends Partial<JourneySetup> {
  name: string;
  steps: Step[];
  inputs: DriverInput[];
  log: JourneyAction[];
  reason: ExitReason | 'running';
  /** The commands asked for, when the case is about them. */
  asked?: string[];
  /** The coupon code the journey holds at the end (default: none). */
  coupon?: string;
}

/** Plays the specification on the driver (from START unless it says otherwise) and checks all it states. */
export function expectJourney(spec: JourneySpec): void {
  const run = runJourney({ start: START, ...spec }, spec.inputs);
  expect(run.log).toEqual(spec.log);
  expect(run.reason).toBe(spec.reason);
  if (spec.asked) expect(run.asked).toEqual(spec.asked);
  expect(run.coupon).toBe(spec.coupon ?? null);
}
