/** What a lint reports: a JSON path in the rule file, the lint's code and a reason with a suggestion. */
import type { Catalog } from '../schema/catalog';

export type LintCode =
  | 'no-exit-event'
  | 'unbounded-reentry'
  | 'sms-without-quiet-hours'
  | 'unreachable-step'
  | 'wait-for-event-without-timeout'
  | 'unknown-template-variable'
  | 'unknown-event'
  /** The goal's event is unknown: an error in `nudge validate` (conversions could never be recorded). */
  | 'unknown-goal-event';

export interface Lint {
  code: LintCode;
  path: (string | number)[];
  message: string;
}

/** What a rule is linted against: the rest of the rule set and the catalog, when there is one. */
export interface LintContext {
  /** Trigger events of the enabled rules of the set. */
  triggerEvents: ReadonlySet<string>;
  catalog?: Catalog;
  /** Names of the tags defined by the tag files; absent: not checked. */
  tags?: ReadonlySet<string>;
}
