/**
 * `nudge rules deploy | history | rollback`: the rule set as versioned revisions in NATS KV
 * (engine/rules-registry/). Deploy runs `nudge validate`'s checks first and publishes nothing when they
 * find an error; engines and workers started with NUDGE_RULES_SOURCE=kv pick the new revision up
 * between batches, without a restart.
 */
import { join } from 'node:path';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadCouponPoolTexts } from '../connectors/coupon/pool/coupon-pool-files';
import type { Config } from '../platform/config';
import { deployRuleSet, rollbackTo, type DeployResult } from '../engine/rules-registry/deploy';
import { RevisionStore } from '../engine/rules-registry/revision-store';
import { validateRuleSet } from '../rules/lint/validate-rule-set';
import { defaultTagPaths } from '../rules/load-rule-set';
import { readRuleSetSource } from '../rules/revision/rule-set-source';
import { formatProblem, InvalidRuleSetError } from '../rules/rule-errors';

type Out = (line: string) => void;

export interface DeployOptions {
  tags?: string;
  coupons?: string;
  message?: string;
}

export async function runRulesDeploy(config: Config, paths: string[], options: DeployOptions = {}, out: Out = console.log): Promise<number> {
  const rulePaths = paths.length ? paths : ['rules'];
  const tagPaths = options.tags === undefined ? defaultTagPaths(rulePaths) : options.tags.split(',');
  const report = validateRuleSet(rulePaths, process.cwd(), tagPaths);
  for (const problem of [...report.errors, ...report.warnings]) out(formatProblem(problem));
  if (report.errors.length) {
    out(`${report.errors.length} error${report.errors.length === 1 ? '' : 's'}: the rule set is invalid; nothing was deployed`);
    return 1;
  }
  const couponDirs = options.coupons === undefined ? [join(rulePaths[0]!, 'coupons')] : options.coupons.split(',');
  let source;
  try {
    source = readRuleSetSource(rulePaths, tagPaths, couponDirs);
    // The worker hands codes out of these; a bad pool must stop the deploy, not a journey later.
    loadCouponPoolTexts(source.coupons);
  } catch (error) {
    out(error instanceof InvalidRuleSetError ? error.message : `nothing was deployed: ${(error as Error).message}`);
    return 1;
  }
  return withStore(config, async (store) => report_(await deployRuleSet(store, source, options.message ? { message: options.message } : {}), out));
}

export async function runRulesHistory(config: Config, options: { limit?: number } = {}, out: Out = console.log): Promise<number> {
  return withStore(config, async (store) => {
    const [history, pointer] = await Promise.all([store.history(), store.currentPointer()]);
    if (!history.length) {
      out('no rule set revision was deployed (engines read the rule files: NUDGE_RULES_SOURCE=files, or kv before the first deploy)');
      return 0;
    }
    for (const m of history.slice(-(options.limit ?? 20))) {
      const mark = m.revision === pointer?.revision ? '*' : ' ';
      const rules = m.rules.map((r) => `${r.id}@${r.version}${r.enabled ? '' : '(off)'}`).join(' ');
      const why = [m.rollbackOf !== undefined ? `rollback of ${m.rollbackOf}` : '', m.message && m.rollbackOf === undefined ? m.message : ''].filter(Boolean).join('; ');
      out(`${mark} ${String(m.revision).padStart(4)}  ${m.deployedAt}  ${m.deployedBy}  ${m.contentHash.slice(0, 12)}  ${rules}${m.tags.length ? `  tags: ${m.tags.join(' ')}` : ''}${why ? `  (${why})` : ''}`);
    }
    out(pointer ? `* current: revision ${pointer.revision}` : 'no revision is current');
    return 0;
  });
}

export async function runRulesRollback(config: Config, revision: number, options: { message?: string } = {}, out: Out = console.log): Promise<number> {
  if (!Number.isInteger(revision) || revision < 1) {
    out(`the revision must be a positive integer (see \`nudge rules history\`)`);
    return 1;
  }
  return withStore(config, async (store) => report_(await rollbackTo(store, revision, options), out));
}

function report_(result: DeployResult, out: Out): number {
  if (result.status === 'unchanged') out(`unchanged: revision ${result.revision} already has this content; nothing was deployed`);
  else out(`deployed revision ${result.manifest.revision}${result.previous !== null ? ` (was ${result.previous})` : ''}: ${result.manifest.rules.map((r) => `${r.id}@${r.version}`).join(' ')} — ${result.manifest.bytes} bytes in ${result.manifest.chunks} chunk(s)`);
  return 0;
}

async function withStore(config: Config, run: (store: RevisionStore) => Promise<number>): Promise<number> {
  const nc: NatsConnection = await connect(natsConnectOptions(config, 'nudge-rules'));
  try {
    return await run(await RevisionStore.open(nc, config.NUDGE_REPLICAS));
  } catch (error) {
    // Refusals (an invalid revision to roll back to, a racing deploy) are answers, not crashes.
    if (error instanceof Error && ['InvalidRuleSetError', 'UnreadableRevisionError', 'UnknownRevisionError', 'DeployConflictError'].includes(error.name)) {
      console.error(`nudge: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await nc.close();
  }
}
