/** Times, conditions and step lists the journey machine specifications share. */
import type { TopLevelCondition } from '../../rules/schema/conditions';
import type { ExitEvent } from '../../rules/schema/rule';
import type { Step } from '../../rules/schema/steps';
import type { JourneyAction } from '../../workflows/journey/machine';
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
