/**
 * `onNewVersion: exit`: journeys of another version of such a rule are ended with reason
 * `rule_changed`. Which journeys must end is a function of the deployed rule set and of what Temporal
 * runs (found by the RuleId / RuleVersion search attributes), never of a one-off event, so it is not
 * done once "on swap" but reconciled: right after every swap and then every `intervalMs`. A crash in the
 * middle of a swap or of a sweep leaves nothing undone for good — the next sweep (this engine restarted,
 * or any other engine) finds the same journeys still running and signals them. Journeys that an engine
 * still on the old revision starts during a roll-out, and journeys visibility did not list yet, are
 * caught by a later sweep. An engine sweeps only while its revision is the deployed one, so an engine
 * lagging behind never ends journeys of the new version. Signals are idempotent (the journey keeps the
 * first notice), so several engines sweeping at once is harmless.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LoadedRule } from '../../rules/load-rules';
import { JOURNEY_WORKFLOW_TYPE } from '../../workflows/journey/journey-input';
import { journeyRuleChangedSignal } from '../../workflows/journey/signals';
import type { Logger } from '../../platform/logger';

export interface ExitingRule {
  id: string;
  version: number;
}

/** The rules whose deployed version ends running journeys of other versions. */
export function exitingRules(rules: LoadedRule[]): ExitingRule[] {
  return rules.filter(({ rule }) => rule.onNewVersion === 'exit').map(({ rule }) => ({ id: rule.id, version: rule.version }));
}

const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The visibility query for running journeys of `rule` in another version, on this installation's task queue. */
export function otherVersionsQuery(taskQueue: string, rule: ExitingRule): string {
  return `WorkflowType = ${quoted(JOURNEY_WORKFLOW_TYPE)} AND TaskQueue = ${quoted(taskQueue)} AND ExecutionStatus = 'Running' AND RuleId = ${quoted(rule.id)} AND RuleVersion != ${rule.version}`;
}

export interface SweepContext {
  client: Client;
  taskQueue: string;
  log: Logger;
  /** Whether the revision this engine runs is still the deployed one (always true with rule files). */
  stillDeployed: (revision: number | null) => Promise<boolean>;
}

/** Signals every running journey of another version of an exiting rule; returns how many were signalled. */
export async function sweepOtherVersions(ctx: SweepContext, rules: ExitingRule[], revision: number | null): Promise<number> {
  if (!rules.length || !(await ctx.stillDeployed(revision))) return 0;
  let signalled = 0;
  for (const rule of rules) {
    for await (const journey of ctx.client.workflow.list({ query: otherVersionsQuery(ctx.taskQueue, rule) })) {
      try {
        await ctx.client.workflow.getHandle(journey.workflowId, journey.runId).signal(journeyRuleChangedSignal, { ruleVersion: rule.version, revision });
        signalled++;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error; // ended meanwhile: nothing to do
      }
    }
  }
  if (signalled) ctx.log.info({ revision, signalled, rules: rules.map((r) => `${r.id}@${r.version}`) }, 'ended running journeys of other rule versions (onNewVersion: exit)');
  return signalled;
}

/** Sweeps now, after every swap, and every `intervalMs`, until stopped. */
export class RuleChangeExits {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: SweepContext, private readonly active: () => { rules: ExitingRule[]; revision: number | null }, private readonly intervalMs: number) {}

  start(): void {
    this.sweepSoon();
    this.timer = setInterval(() => this.sweepSoon(), this.intervalMs);
    this.timer.unref();
  }

  /** Queues a sweep after the one in progress (a swap while sweeping sweeps again with the new rules). */
  sweepSoon(): void {
    this.running = this.running.then(async () => {
      const { rules, revision } = this.active();
      await sweepOtherVersions(this.ctx, rules, revision).catch((error) => this.ctx.log.warn({ err: (error as Error).message }, 'sweep for journeys of changed rules failed; retrying at the next one'));
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
