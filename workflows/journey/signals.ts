/** Signals and queries of the journey workflow, shared by the workflow and the engine that signals it. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JourneyAction, JourneyEvent } from './machine';

/** An event the journey listens for (an exit event or the event a waitForEvent step waits for). */
export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');

/** The actions taken so far, for ops and for `explain`. */
export const journeyLogQuery = defineQuery<JourneyAction[]>('journeyLog');
