/**
 * What the worker reads from the rule set: the tag files (tags in templates and journey conditions are
 * the person's current facts, computed with the deployed tags) and the coupon pools. With
 * NUDGE_RULES_SOURCE=kv both follow the deployed revision like the engine's rules do; the rules
 * themselves the worker never reads — each journey carries its own rule in its input.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConnectorSet } from '../connectors/channels';
import { loadCouponPoolTexts } from '../connectors/coupon/pool/coupon-pool-files';
import { PoolCouponConnector } from '../connectors/coupon/pool/coupon-pool.connector';
import { loadRuleSet } from '../rules/load-rule-set';
import { loadTags } from '../rules/load-tags';
import type { Rule } from '../rules/schema/rule';
import { isOneOffTrigger, isScheduleTrigger } from '../rules/schema/trigger';
import { loadRuleSetSource } from '../rules/revision/rule-set-source';
import { InvalidRuleSetError } from '../rules/rule-errors';
import { pathsOf, type Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { TagSource } from '../engine/match/facts';
import { TagSet } from '../engine/match/tags';
import { RevisionFollower } from '../engine/rules-registry/revision-follower';
import { RevisionStore } from '../engine/rules-registry/revision-store';

interface WorkerRuleSet {
  tags: TagSet;
  /** The revision's coupon pools; null: the pool files the connector read at start (COUPON_POOLS_DIR). */
  pools: ReturnType<typeof loadCouponPoolTexts> | null;
  /** The rules' own throttles (audience rules), for the throttled send queues the worker serves (journey/send-queues.ts). */
  throttles: Pick<Rule, 'throttle'>[];
}

export interface WorkerRules {
  /** Always the tags of the revision running now. */
  tags: TagSource & { readonly names: readonly string[] };
  follower: RevisionFollower<WorkerRuleSet>;
  /** Hands the revision's coupon pools to the pool connector now and after every swap; follows until stop(). */
  start(connectors: ConnectorSet): { stop(): Promise<void> };
}

const fromFiles = (config: Config): WorkerRuleSet => ({
  tags: new TagSet(loadTags(pathsOf(config.NUDGE_TAGS_DIR)).map((t) => t.tag)),
  pools: null,
  throttles: throttlesOf(loadRuleSet(pathsOf(config.NUDGE_RULES_DIR), pathsOf(config.NUDGE_TAGS_DIR)).rules.map((loaded) => loaded.rule)),
});

/** The throttles of the rule set's audience rules (an event rule's throttle would never be used). */
const throttlesOf = (rules: Rule[]): Pick<Rule, 'throttle'>[] => rules.filter((rule) => rule.throttle && isAudienceTrigger(rule.trigger)).map((rule) => ({ throttle: rule.throttle }));
const isAudienceTrigger = (trigger: Rule['trigger']) => isScheduleTrigger(trigger) || isOneOffTrigger(trigger);

function build(source: Parameters<typeof loadRuleSetSource>[0]): WorkerRuleSet {
  const { tags, rules } = loadRuleSetSource(source);
  let pools;
  try {
    pools = loadCouponPoolTexts(source.coupons);
  } catch (error) {
    throw new InvalidRuleSetError([{ file: 'coupons', path: [], message: (error as Error).message }]);
  }
  return { tags: new TagSet(tags.map((t) => t.tag)), pools, throttles: throttlesOf(rules.map((loaded) => loaded.rule)) };
}

export async function openWorkerRules(config: Config, nc: NatsConnection, log: Logger): Promise<WorkerRules> {
  const follower = config.NUDGE_RULES_SOURCE === 'kv' ? await RevisionFollower.open(await RevisionStore.open(nc, config.NUDGE_REPLICAS), ({ source }) => build(source), () => fromFiles(config), log) : RevisionFollower.fixed(fromFiles(config), log);
  const tagsNow = () => follower.current().value.tags;
  return {
    follower,
    tags: {
      compute: (state, now, only) => tagsNow().compute(state, now, only),
      valuesAt: (state, now, only) => tagsNow().valuesAt(state, now, only),
      get names() {
        return tagsNow().names;
      },
    },
    start(connectors) {
      const usePools = ({ value }: { value: WorkerRuleSet }) => {
        if (value.pools && connectors.coupon instanceof PoolCouponConnector) connectors.coupon.usePools(value.pools);
      };
      usePools(follower.current());
      follower.onSwap(usePools);
      const following = new AbortController();
      const follow = follower.follow(following.signal);
      return {
        async stop() {
          following.abort();
          await follow;
        },
      };
    },
  };
}
