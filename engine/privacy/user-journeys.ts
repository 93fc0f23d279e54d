/**
 * The user's journeys in Temporal. They are found by the visibility query `UserId = "<id>"` and by
 * describing candidate ids (the state's journey markers and entries, journey ids found in the send
 * ledger and coupon assignments), because visibility lags behind a journey that has just started.
 * Every execution is confirmed by its UserId search attribute before anything is done to it.
 */
import { isGrpcServiceError, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { RuleIdAttribute, UserIdAttribute } from '../../platform/temporal/journey-starter';
import { personRef } from '../match/person-ref';
import type { PrivacyContext } from './privacy-context';

export const ERASE_TERMINATE_REASON = 'erased by nudge erase';

export interface JourneyExecution {
  workflowId: string;
  runId: string;
  ruleId: string | null;
  /** Temporal's status name: RUNNING, COMPLETED, TERMINATED, … */
  status: string;
  startTime: string;
  closeTime: string | null;
}

export interface FoundJourneys {
  journeys: JourneyExecution[];
  /** Candidate ids that exist in Temporal but belong to another user (an id that merely starts like this user's). */
  foreign: Set<string>;
}

export async function findUserJourneys(ctx: PrivacyContext, userKey: string, candidates: Iterable<string>): Promise<FoundJourneys> {
  const runs = new Map<string, { workflowId: string; runId?: string }>();
  // Journeys carry the person's ref (person-ref.ts); those started before refs existed, the plain key.
  const names = [...new Set([personRef(userKey), userKey])];
  for await (const info of ctx.temporal.workflow.list({ query: names.map((name) => `UserId = ${quote(name)}`).join(' OR ') })) {
    runs.set(`${info.workflowId}\n${info.runId}`, { workflowId: info.workflowId, runId: info.runId });
  }
  const listed = new Set([...runs.values()].map((r) => r.workflowId));
  for (const workflowId of candidates) if (!listed.has(workflowId)) runs.set(`${workflowId}\n`, { workflowId });

  const journeys = new Map<string, JourneyExecution>();
  const foreign = new Set<string>();
  for (const { workflowId, runId } of runs.values()) {
    const description = await describe(ctx, workflowId, runId);
    if (!description) continue; // deleted (visibility lags) or never started
    if (!names.includes(description.typedSearchAttributes.get(UserIdAttribute) ?? '')) {
      foreign.add(workflowId);
      continue;
    }
    journeys.set(`${workflowId}\n${description.runId}`, {
      workflowId,
      runId: description.runId,
      ruleId: description.typedSearchAttributes.get(RuleIdAttribute) ?? null,
      status: description.status.name,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
    });
  }
  return { journeys: [...journeys.values()].sort((a, b) => a.startTime.localeCompare(b.startTime)), foreign };
}

/** Terminates a running journey; false when it had already ended. */
export async function terminateJourney(ctx: PrivacyContext, journey: JourneyExecution): Promise<boolean> {
  try {
    await ctx.temporal.workflow.getHandle(journey.workflowId, journey.runId).terminate(ERASE_TERMINATE_REASON);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/**
 * Asks Temporal to delete the execution: history, inputs, memo and visibility record. A running one is
 * terminated by Temporal first and disappears at once; a closed one is deleted by a background task,
 * which for a recently closed execution can take about a minute. Null when accepted, else why not.
 */
export async function requestDeletion(ctx: PrivacyContext, journey: JourneyExecution): Promise<string | null> {
  try {
    await ctx.temporal.workflowService.deleteWorkflowExecution({
      namespace: ctx.namespace,
      workflowExecution: { workflowId: journey.workflowId, runId: journey.runId },
    });
    return null;
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === 5 /* NOT_FOUND */) return null;
    return `Temporal refused to delete it: ${(error as Error).message}`;
  }
}

/** Waits until Temporal no longer knows the executions; returns those still there when time runs out. */
export async function waitUntilDeleted(ctx: PrivacyContext, journeys: JourneyExecution[], timeoutMs: number): Promise<JourneyExecution[]> {
  let remaining = journeys;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const present = await Promise.all(remaining.map(async (j) => ((await describe(ctx, j.workflowId, j.runId)) ? j : null)));
    remaining = present.filter((j): j is JourneyExecution => j !== null);
    if (remaining.length === 0 || Date.now() >= deadline) return remaining;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The execution's status now, or null when Temporal no longer knows it. */
export async function statusOf(ctx: PrivacyContext, journey: JourneyExecution): Promise<string | null> {
  return (await describe(ctx, journey.workflowId, journey.runId))?.status.name ?? null;
}

async function describe(ctx: PrivacyContext, workflowId: string, runId?: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await ctx.temporal.workflow.getHandle(workflowId, runId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** A string literal of Temporal's visibility query language. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
