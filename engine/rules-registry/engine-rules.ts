/**
 * The engine's rule set: read once from the files (NUDGE_RULES_SOURCE=files) or followed in NATS KV
 * (kv). For each revision the RuleIndex (trigger lookup, compiled conditions, listen-lists) and the
 * ownership fingerprint are built before the swap, so a swap is one reference assignment the partition
 * loops pick up at their next batch.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { loadRuleSet, type RuleSet } from '../../rules/load-rule-set';
import { loadRuleSetSource } from '../../rules/revision/rule-set-source';
import { pathsOf, type Config } from '../../platform/config';
import type { Logger } from '../../platform/logger';
import { RuleIndex } from '../match/rule-index';
import { ruleSetFingerprint } from '../ownership/fingerprint';
import { RevisionFollower } from './revision-follower';
import { RevisionStore } from './revision-store';
import { exitingRules, RuleChangeExits, type SweepContext } from './rule-change-exits';

export interface EngineRuleSet extends RuleSet {
  index: RuleIndex;
  /** What engines compare before sharing partitions (ownership/fingerprint.ts). */
  fingerprint: string;
}

export function buildEngineRuleSet({ rules, tags, models }: RuleSet, partitions: number): EngineRuleSet {
  return { rules, tags, ...(models ? { models } : {}), index: new RuleIndex(rules, tags, models?.map((m) => m.model)), fingerprint: ruleSetFingerprint(rules, tags, partitions, models) };
}

/** The local rule files as the engine loads them (throws InvalidRuleSetError). */
export const engineRulesFromFiles = (config: Config): EngineRuleSet =>
  buildEngineRuleSet(loadRuleSet(pathsOf(config.NUDGE_RULES_DIR), pathsOf(config.NUDGE_TAGS_DIR)), config.NUDGE_PARTITIONS);

/**
 * The rule set the engine runs. `fromFiles` was loaded before connecting (files mode fails fast on an
 * invalid file); in kv mode the files are read only while nothing was deployed.
 */
export async function openEngineRules(config: Config, nc: NatsConnection, log: Logger, fromFiles: EngineRuleSet | null): Promise<EngineRules> {
  if (config.NUDGE_RULES_SOURCE === 'files') return { follower: RevisionFollower.fixed(fromFiles ?? engineRulesFromFiles(config), log), stillDeployed: async () => true, followsDeployedRules: false };
  const store = await RevisionStore.open(nc, config.NUDGE_REPLICAS);
  const follower = await RevisionFollower.open(store, ({ source }) => buildEngineRuleSet(loadRuleSetSource(source), config.NUDGE_PARTITIONS), () => fromFiles ?? engineRulesFromFiles(config), log);
  return { follower, stillDeployed: async (revision) => ((await store.currentPointer())?.revision ?? null) === revision, followsDeployedRules: true };
}

export interface EngineRules {
  follower: RevisionFollower<EngineRuleSet>;
  /** Whether `revision` is what `current` names now (rule files: always). */
  stillDeployed(revision: number | null): Promise<boolean>;
  followsDeployedRules: boolean;
}

/**
 * What follows a swap: ownership advertises the new fingerprint (so engines see each other converge),
 * and journeys of changed `onNewVersion: exit` rules are swept (rule-change-exits.ts). Returns stop().
 */
export function startRuleLifecycle(rules: EngineRules, ownership: { ruleSetChanged(fingerprint: string, revision: number | null): void }, sweep: Omit<SweepContext, 'stillDeployed'>, sweepEveryMs = 15_000): { stop(): Promise<void> } {
  const exits = new RuleChangeExits({ ...sweep, stillDeployed: (revision) => rules.stillDeployed(revision) }, () => ({ rules: exitingRules(rules.follower.current().value.rules), revision: rules.follower.current().revision }), sweepEveryMs);
  rules.follower.onSwap((next) => {
    ownership.ruleSetChanged(next.value.fingerprint, next.revision);
    exits.sweepSoon();
  });
  exits.start();
  const following = new AbortController();
  const follow = rules.follower.follow(following.signal);
  return {
    async stop() {
      following.abort();
      await follow;
      await exits.stop();
    },
  };
}

/** `nudge_rules_revision`, `nudge_rules_refused_revision` and `nudge_rules_swaps_total`. */
export function registerRuleSetMetrics<T>(registry: Registry, follower: RevisionFollower<T>): void {
  new Gauge({
    name: 'nudge_rules_revision',
    help: 'The deployed rule set revision this process runs (0: the local rule files)',
    registers: [registry],
    collect() {
      this.set(follower.current().revision ?? 0);
    },
  });
  new Gauge({
    name: 'nudge_rules_refused_revision',
    help: 'A deployed rule set revision this process could not load and is not running (0: none)',
    registers: [registry],
    collect() {
      this.set(follower.refused?.revision ?? 0);
    },
  });
  const swaps = new Counter({ name: 'nudge_rules_swaps_total', help: 'Rule set revisions swapped in without a restart', registers: [registry] });
  follower.onSwap(() => swaps.inc());
}

/** The /healthz reason while a deployed revision is refused: this process runs older rules than the fleet should. */
export const refusalReason = <T>(follower: RevisionFollower<T>): string | null => {
  const refused = follower.refused;
  if (!refused) return null;
  const running = follower.current().revision;
  return `rule set revision ${refused.revision} refused (still running ${running === null ? 'the rule files' : `revision ${running}`}): ${refused.reason}`;
};
