/**
 * Starts journey workflows and signals running ones. Workflow ids are deterministic and reuse of an id
 * is rejected, so starting a journey for an event that was already handled is a no-op, never a second
 * journey. Failures reaching Temporal are TemporalUnavailableError, so the engine retries the event.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { personRef } from '../../engine/match/person-ref';
import { JOURNEY_WORKFLOW_TYPE, type JourneyInput } from '../../workflows/journey/journey-input';
import type { JourneyEvent } from '../../workflows/journey/machine';
import { journeyEventSignal, journeyMergedSignal, type MergedNotice } from '../../workflows/journey/signals';

export const RuleIdAttribute = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const UserIdAttribute = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
export const RuleVersionAttribute = defineSearchAttributeKey('RuleVersion', SearchAttributeType.INT);
/** The person id and every id their events carried: `PersonIds = "<member id or device id>"` finds their journeys. */
export const PersonIdsAttribute = defineSearchAttributeKey('PersonIds', SearchAttributeType.KEYWORD_LIST);


export class TemporalUnavailableError extends Error {
  constructor(action: string, cause: unknown) {
    super(`could not ${action}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'TemporalUnavailableError';
  }
}

/** Temporal refused a start for a reason a retry cannot fix (an invalid argument, e.g. an input over the size limit). */
export class JourneyRejectedError extends Error {
  constructor(journeyId: string, cause: unknown) {
    super(`Temporal refused to start journey ${journeyId}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'JourneyRejectedError';
  }
}

/** gRPC INVALID_ARGUMENT: the request itself is wrong, so sending it again gives the same answer. */
const isInvalidArgument = (error: unknown) => (error as { code?: number })?.code === 3 || (error as { cause?: { code?: number } })?.cause?.code === 3;

export interface JourneyStarter {
  start(input: JourneyInput): Promise<'started' | 'already_started'>;
  /** false when the journey is no longer running. */
  signal(workflowId: string, event: JourneyEvent): Promise<boolean>;
  /** Only for journey markers written before journeys announced their end (legacy-markers.ts). */
  isRunning(workflowId: string): Promise<boolean>;
  /**
   * Identity stitching: the journey's person was merged and another journey of the same rule is kept,
   * so this one ends with reason `merged`. false when the journey is no longer running.
   */
  exitMerged(workflowId: string, notice: MergedNotice): Promise<boolean>;
}

export class TemporalJourneyStarter implements JourneyStarter {
  constructor(private readonly client: Client, private readonly taskQueue: string) {}

  async start(input: JourneyInput): Promise<'started' | 'already_started'> {
    // Search attributes, memo and summary are not encrypted by the payload codec: people appear by ref
    // (an opaque id as is, an email or phone as a hash; engine/match/person-ref.ts).
    const user = personRef(input.userId);
    const ids = [...new Set([input.userId, ...(input.personIds ?? [])].map(personRef))];
    try {
      await this.client.workflow.start(JOURNEY_WORKFLOW_TYPE, {
        workflowId: input.journeyId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: RuleIdAttribute, value: input.rule.id },
          { key: UserIdAttribute, value: user },
          { key: RuleVersionAttribute, value: input.rule.version },
          { key: PersonIdsAttribute, value: ids },
        ],
        memo: {
          rule: `${input.rule.name} (${input.rule.id} v${input.rule.version})`,
          user: input.personIds?.length ? `${user} (ids: ${ids.join(', ')})` : user,
          trigger: `${input.trigger.event} at ${input.trigger.timestamp} (message ${input.trigger.messageId})`,
          ...(input.assignment ? { assignment: input.assignment === 'control' ? `control (${input.rule.holdout}% holdout: sent nothing)` : 'treatment' } : {}),
        },
        staticSummary: `${input.rule.id} v${input.rule.version} for ${user}`,
      });
      return 'started';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
      if (isInvalidArgument(error)) throw new JourneyRejectedError(input.journeyId, error);
      throw new TemporalUnavailableError(`start journey ${input.journeyId}`, error);
    }
  }

  async signal(workflowId: string, event: JourneyEvent): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(journeyEventSignal, event);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw new TemporalUnavailableError(`signal journey ${workflowId}`, error);
    }
  }

  async exitMerged(workflowId: string, notice: MergedNotice): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(journeyMergedSignal, notice);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false; // finished (or never started): nothing to end
      throw new TemporalUnavailableError(`signal merge to journey ${workflowId}`, error);
    }
  }

  async isRunning(workflowId: string): Promise<boolean> {
    try {
      const description = await this.client.workflow.getHandle(workflowId).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw new TemporalUnavailableError(`describe journey ${workflowId}`, error);
    }
  }
}
