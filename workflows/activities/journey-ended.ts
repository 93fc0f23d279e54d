/**
 * The journey's last activity: it tells the person's partition that the journey ended, so the engine
 * drops the person's journey marker and the person may enter the rule again. This replaces asking
 * Temporal "does it still run?" on every trigger. Retried until it gets through (NATS may be down);
 * the notice is de-duplicated by the workflow id, so a retry after a lost reply is harmless.
 */
export interface JourneyEndedNotice {
  /** The person the journey was started for (its input's userId). */
  person: string;
  ruleId: string;
  workflowId: string;
}

export function createJourneyEndedActivities(announce: (notice: JourneyEndedNotice) => Promise<void>) {
  return {
    async announceJourneyEnded(notice: JourneyEndedNotice): Promise<void> {
      await announce(notice);
    },
  };
}

export type JourneyEndedActivities = ReturnType<typeof createJourneyEndedActivities>;
