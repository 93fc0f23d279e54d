/**
 * Lints on the shape of a journey: how users enter and leave it, steps that can never run, waits that
 * may never end, and SMS sent without regard to the hour.
 */
import type { Rule } from '../schema/rule';
import type { Step } from '../schema/steps';
import { nestedStepLists, walkSteps } from '../schema/step-tree';
import type { Lint } from './lint';
import { assertNever } from '../../shared/assert-never';

export function journeyLints(rule: Rule): Lint[] {
  const lints: Lint[] = [];
  const late = rule.exitOn.length === 0 ? firstUnwatchedLateMessage(rule.steps) : null;
  if (late) {
    lints.push({
      code: 'no-exit-event',
      path: ['exitOn'],
      message: `no exit event: nothing ends the journey early, so a user who converts (e.g. orders) still gets "${late.step}" after "${late.after}"; add exitOn`,
    });
  }
  if (rule.entry.policy === 'everyTime') {
    lints.push({
      code: 'unbounded-reentry',
      path: ['entry', 'policy'],
      message: '"everyTime": a user enters again after every journey ends, with no limit on how often; "oncePerWindow" caps it',
    });
  }
  for (const [step, path] of walkSteps(rule.steps)) {
    // `quietHours.sms: false` is the author saying "at any hour" on purpose (alerts, codes): no warning.
    if (step.type === 'sms' && rule.quietHours?.sms === undefined && !step.transactional) {
      lints.push({
        code: 'sms-without-quiet-hours',
        path,
        message: `SMS step "${step.id}" has no quiet hours in this rule: unless NUDGE_QUIET_HOURS sets them, it can arrive at night (quietHours.sms: false says that is intended)`,
      });
    }
    if (step.type === 'waitForEvent' && step.timeout === undefined) {
      lints.push({
        code: 'wait-for-event-without-timeout',
        path,
        message: `waits for "${step.event}" without a timeout: the journey stays open until the event or an exit event comes, which may be never; onTimeout never runs`,
      });
    }
  }
  lints.push(...unreachableSteps(rule.steps));
  return lints;
}

/**
 * The first message (email, SMS, webhook) that can go out after time passed with nothing watching for
 * a conversion — after a wait, a waitUntil, or past a waitForEvent — with the step that let time pass;
 * null when there is none, so an exit event would stop nothing. What a waitForEvent runs in onEvent or
 * onTimeout is the journey's reaction to the event or to its absence, so a waitForEvent can be the
 * journey's natural end; only what comes after it, or after a later wait inside it, is late.
 */
function firstUnwatchedLateMessage(steps: Step[]): { step: string; after: string } | null {
  let found: { step: string; after: string } | null = null;
  /** Walks a list with the step time passed at (null: none yet); returns it for what follows the list. */
  const visit = (list: Step[], after: string | null): string | null => {
    for (const step of list) {
      if (found) break;
      switch (step.type) {
        case 'wait':
        case 'waitUntil':
          after = step.id;
          break;
        case 'email':
        case 'sms':
        case 'webhook':
          if (after) found = { step: step.id, after };
          break;
        case 'waitForEvent':
          visit(step.onEvent, null);
          visit(step.onTimeout, null);
          after = step.id;
          break;
        case 'branch': {
          const [then, otherwise] = [visit(step.then, after), visit(step.else, after)];
          after = then ?? otherwise;
          break;
        }
        case 'split':
          after = step.variants.map((variant) => visit(variant.steps, after)).find((id) => id !== null) ?? null;
          break;
        case 'exit':
          return null; // nothing after it runs (unreachable-step reports what is there)
        case 'coupon':
          break;
        default:
          return assertNever(step, 'step type in the no-exit-event lint');
      }
    }
    return after;
  };
  visit(steps, null);
  return found;
}

/**
 * Steps no run of the journey reaches: after an exit step, after a branching step all of whose paths
 * exit, in the onTimeout of a waitForEvent without a timeout, and everything nested in those.
 */
function unreachableSteps(steps: Step[]): Lint[] {
  const lints: Lint[] = [];
  /** Reports list[from..] and everything nested in those steps. */
  const report = (list: Step[], path: (string | number)[], reason: string, from = 0) => {
    for (const [i, step] of list.entries()) {
      if (i < from) continue;
      lints.push({ code: 'unreachable-step', path: [...path, i], message: `step "${step.id}" never runs: ${reason}` });
      const inside = `it is inside "${step.id}", which never runs`;
      for (const nested of nestedStepLists(step)) report(nested.steps, [...path, i, ...nested.path], inside);
    }
  };
  /** Walks a list that is reached; returns whether the journey can go on past its end. */
  const visit = (list: Step[], path: (string | number)[]): boolean => {
    for (const [i, step] of list.entries()) {
      const here = [...path, i];
      let goesOn: boolean;
      switch (step.type) {
        case 'exit':
          goesOn = false;
          break;
        case 'branch':
          goesOn = [visit(step.then, [...here, 'then']), visit(step.else, [...here, 'else'])].some(Boolean);
          break;
        case 'split':
          goesOn = step.variants.map((v, vi) => visit(v.steps, [...here, 'variants', vi, 'steps'])).some(Boolean);
          break;
        case 'waitForEvent': {
          const afterEvent = visit(step.onEvent, [...here, 'onEvent']);
          if (step.timeout === undefined) report(step.onTimeout, [...here, 'onTimeout'], `"${step.id}" has no timeout, so its onTimeout steps never run`);
          goesOn = (step.timeout !== undefined && visit(step.onTimeout, [...here, 'onTimeout'])) || afterEvent;
          break;
        }
        case 'coupon': case 'email': case 'sms': case 'webhook': case 'wait': case 'waitUntil':
          goesOn = true;
          break;
        default:
          return assertNever(step, 'step type in the unreachable-step lint');
      }
      if (!goesOn) {
        const reason = step.type === 'exit' ? `it comes after the exit step "${step.id}"` : `every path through "${step.id}" ends the journey`;
        report(list, path, reason, i + 1);
        return false;
      }
    }
    return true;
  };
  visit(steps, ['steps']);
  return lints;
}
