/**
 * `nudge audience count <rule>` and `nudge audience launch <rule>`: a one-off (or, for a look at who
 * it would reach now, a scheduled) audience over every partition. Both run the same evaluation
 * (engine/audience/audience-run.ts); count sends nothing, launch sends each match an entry to their
 * partition, where the owning engine enters them (decide-audience.ts: the same conditions on the
 * state as it is then, the entry policy). With nothing changing in between, launch enters what count
 * counted. Launching again with the same --run-id enters nobody twice.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isOneOffTrigger, isScheduleTrigger } from '../rules/schema/trigger';
import type { Config } from '../platform/config';
import { createLogger } from '../platform/logger';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { USERS_BUCKET } from '../platform/nats/setup';
import { natsAudienceEntry, runAudience, type PartitionTally } from '../engine/audience/audience-run';
import { openEngineRules } from '../engine/rules-registry/engine-rules';

export interface AudienceCommandOptions {
  /** launch: the run's id (default: launch-<now, ISO>); entries are de-duplicated per run. */
  runId?: string;
  now?: number;
}

export async function runAudienceCommand(config: Config, mode: 'count' | 'launch', ruleId: string, options: AudienceCommandOptions = {}, out: (line: string) => void = console.log): Promise<number> {
  const nc = await connect(natsConnectOptions(config, `nudge-audience-${mode}`));
  try {
    const rules = await openEngineRules(config, nc, createLogger('nudge-audience', config.LOG_LEVEL), null);
    const { index } = rules.follower.current().value;
    const compiled = index.byId(ruleId);
    if (!compiled) {
      out(`no rule "${ruleId}" in the ${config.NUDGE_RULES_SOURCE === 'kv' ? 'deployed rule set' : `rule files (${config.NUDGE_RULES_DIR})`}`);
      return 2;
    }
    const { trigger } = compiled.rule;
    if (!isOneOffTrigger(trigger) && !(mode === 'count' && isScheduleTrigger(trigger))) {
      out(`rule "${ruleId}" has ${isScheduleTrigger(trigger) ? 'a schedule trigger: its owners run it on the schedule (count shows who it would reach now)' : 'an event or absence trigger: it has no audience'}`);
      return 2;
    }
    if (mode === 'launch' && !compiled.rule.enabled) {
      out(`rule "${ruleId}" is disabled: enable it before launching (the engines would enter nobody)`);
      return 2;
    }
    const at = options.now ?? Date.now();
    const runId = options.runId ?? `launch-${new Date(at).toISOString()}`;
    const js = jetstream(nc);
    const partitions = new Set(Array.from({ length: config.NUDGE_PARTITIONS }, (_, p) => p));
    let lastPrint = 0;
    const tallies = await runAudience(js, USERS_BUCKET, {
      compiled,
      tags: index.tags,
      partitions,
      partitionCount: config.NUDGE_PARTITIONS,
      runFor: () => ({ runId, at }),
      ...(mode === 'launch' ? { enter: natsAudienceEntry(js, config.NUDGE_PARTITIONS) } : {}),
      onProgress: (so) => {
        if (Date.now() - lastPrint < 1000) return;
        lastPrint = Date.now();
        out(`… ${progressLine(mode, [...so.values()])}`);
      },
    });
    for (const [partition, tally] of tallies) out(`partition ${partition}: ${tallyLine(mode, tally)}`);
    out(mode === 'count' ? `audience of ${ruleId}: ${sum([...tallies.values()], 'matched')} persons` : `${ruleId} run ${runId}: ${progressLine(mode, [...tallies.values()])} — the engines owning the partitions enter them (entry policy applies)`);
    return 0;
  } finally {
    await nc.close();
  }
}

const sum = (tallies: PartitionTally[], key: keyof PartitionTally) => tallies.reduce((total, tally) => total + tally[key], 0);
const tallyLine = (mode: 'count' | 'launch', tally: PartitionTally) => `${tally.scanned} scanned, ${tally.matched} matched${mode === 'launch' ? `, ${tally.sent} sent for entry` : ''}`;
const progressLine = (mode: 'count' | 'launch', tallies: PartitionTally[]) => tallyLine(mode, { scanned: sum(tallies, 'scanned'), matched: sum(tallies, 'matched'), sent: sum(tallies, 'sent') });
