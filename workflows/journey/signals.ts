/** Signals and queries of the journey workflow, shared by the workflow and the engine that signals it. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JourneyAction, JourneyEvent, MergedNotice, RuleChangedNotice } from './machine';

export type { MergedNotice, RuleChangedNotice } from './machine';

/** An event the journey listens for (an exit event or the event a waitForEvent step waits for). */
export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');

/**
 * The journey's person was merged into another who also runs this rule, and the other journey is kept:
 * this one ends with reason `merged` (after a send that is already in flight finishes).
 */
export const journeyMergedSignal = defineSignal<[MergedNotice]>('journeyMerged');

/**
 * A new version of the journey's rule was deployed and says `onNewVersion: exit`: the journey ends with
 * reason `rule_changed` (after a send that is already in flight finishes).
 */
export const journeyRuleChangedSignal = defineSignal<[RuleChangedNotice]>('journeyRuleChanged');

/** The actions taken so far, for ops and for `explain`. */
export const journeyLogQuery = defineQuery<JourneyAction[]>('journeyLog');
