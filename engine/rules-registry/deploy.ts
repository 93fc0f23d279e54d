/**
 * Deploy and rollback: a rule set source becomes the next revision only after it loads with this
 * build's validation (the same as `nudge validate` and as an engine receiving it); identical content
 * is not published twice. A rollback republishes an old revision's content as a new revision, so the
 * history stays append-only and every engine moves forward to it like to any other deploy.
 */
import { hostname, userInfo } from 'node:os';
import type { LoadedRule } from '../../rules/load-rules';
import type { LoadedTag } from '../../rules/load-tags';
import { loadRuleSetSource, sourceContentHash, type RuleSetSource } from '../../rules/revision/rule-set-source';
import type { RevisionManifest, RevisionStore } from './revision-store';

export type DeployResult =
  | { status: 'published'; manifest: RevisionManifest; previous: number | null }
  | { status: 'unchanged'; revision: number };

/** Who deployed, for the history: user@host. */
export function deployer(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

export const summaryOf = (rules: LoadedRule[], tags: LoadedTag[]) => ({
  rules: rules.map(({ rule }) => ({ id: rule.id, version: rule.version, enabled: rule.enabled })),
  tags: tags.map(({ tag }) => tag.name),
});

/** Publishes `source` unless `current` already has the same content. Throws InvalidRuleSetError before publishing anything. */
export async function deployRuleSet(store: RevisionStore, source: RuleSetSource, options: { message?: string; rollbackOf?: number; by?: string } = {}): Promise<DeployResult> {
  const { rules, tags } = loadRuleSetSource(source);
  const contentHash = sourceContentHash(source);
  const expected = await store.currentPointer();
  const current = expected ? await store.manifest(expected.revision) : null;
  if (current && current.contentHash === contentHash && options.rollbackOf === undefined) return { status: 'unchanged', revision: current.revision };
  const manifest = await store.publish(
    source,
    {
      contentHash,
      deployedBy: options.by ?? deployer(),
      ...(options.message ? { message: options.message } : {}),
      ...(options.rollbackOf !== undefined ? { rollbackOf: options.rollbackOf } : {}),
      ...summaryOf(rules, tags),
    },
    expected,
  );
  return { status: 'published', manifest, previous: expected?.revision ?? null };
}

export class UnknownRevisionError extends Error {
  constructor(readonly revision: number) {
    super(`there is no rule set revision ${revision} (see \`nudge rules history\`)`);
    this.name = 'UnknownRevisionError';
  }
}

/** Publishes revision `revision`'s content as a new revision. Refused (nothing published) if this build cannot load it. */
export async function rollbackTo(store: RevisionStore, revision: number, options: { message?: string; by?: string } = {}): Promise<DeployResult> {
  const old = await store.read(revision);
  if (!old) throw new UnknownRevisionError(revision);
  return deployRuleSet(store, old.source, { rollbackOf: revision, message: options.message ?? `rollback to revision ${revision}`, ...(options.by ? { by: options.by } : {}) });
}
