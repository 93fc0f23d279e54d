/**
 * A fingerprint of what decides an engine's behaviour: the rule set, the tag set, the trained models
 * (a `score` leaf's outcome is theirs) and the partition count. Engines share partitions only when theirs are equal — two engines applying different rules to
 * one stream would make a person's journeys depend on which engine happened to own their partition.
 */
import { createHash } from 'node:crypto';
import type { LoadedRule } from '../../rules/load-rules';
import type { LoadedTag } from '../../rules/load-tags';
import type { LoadedTrainedModel } from '../../rules/load-models';

export function ruleSetFingerprint(rules: LoadedRule[], tags: LoadedTag[], partitions: number, models: LoadedTrainedModel[] = []): string {
  const canonical = JSON.stringify({
    partitions,
    rules: rules.map((r) => r.rule).sort((a, b) => a.id.localeCompare(b.id)),
    tags: tags.map((t) => t.tag).sort((a, b) => a.name.localeCompare(b.name)),
    // Only when there are models, so engines without any keep the fingerprint they had.
    ...(models.length ? { models: models.map((m) => m.model).sort((a, b) => a.id.localeCompare(b.id)) } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex');
}
