/**
 * `nudge profile <id>`: finds the person in the identity graph by any id (person id or identifier),
 * reads their graph record and behavior state from NATS KV (never creating a bucket), computes their tags
 * with the tag files of NUDGE_TAGS_DIR, optionally confirms the running journeys with Temporal
 * (describe), and prints the profile as text or JSON. A read-only operator command. When the graph does
 * not know the id (or there is no graph yet), the id is read as the state key, as before the graph.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { natsConnectOptions } from '../../platform/nats/connect-options';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { WorkflowNotFoundError } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { loadTags } from '../../rules/load-tags';
import { identifierTypesOf, pathsOf, type Config } from '../../platform/config';
import { resolveAnyIdentifier } from '../identity/identity-lookup';
import { IDENTITY_BUCKET, KvIdentityStore } from '../identity/identity-store';
import { TagSet } from '../match/tags';
import { ScoreSet } from '../match/model-scores';
import { defaultModelPaths, loadTrainedModels } from '../../rules/load-models';
import { USERS_BUCKET } from '../../platform/nats/setup';
import { emptyState, type UserState } from '../state/behavior-state';
import { stateKey } from '../../platform/stores/state-store';
import { formatProfile, identityFrom, profileFrom, type ProfileIdentity, type UserProfile } from './user-profile';

export interface ProfileOptions {
  json?: boolean;
  /** Describe each running journey in Temporal (TEMPORAL_ADDRESS) and show its status. */
  temporal?: boolean;
}

/** What NATS holds about the person the id names: their graph record (if the graph knows them) and behavior state; both null when never seen, erased, or no buckets yet. */
export interface StoredPerson {
  identity: ProfileIdentity | null;
  state: UserState | null;
}

export async function readStoredPerson(config: Config, id: string): Promise<StoredPerson> {
  const nc = await connect(natsConnectOptions(config, 'nudge-profile'));
  try {
    const jsm = await jetstreamManager(nc);
    const exists = async (bucket: string) => Boolean(await jsm.streams.info(`KV_${bucket}`).catch(() => null));
    let identity: ProfileIdentity | null = null;
    let stateId = id;
    if (await exists(IDENTITY_BUCKET)) {
      const store = new KvIdentityStore(await new Kvm(nc).open(IDENTITY_BUCKET));
      const lookup = await resolveAnyIdentifier(store, identifierTypesOf(config), id);
      const person = lookup && (await store.getPerson(lookup.personId));
      if (person) identity = identityFrom(person.value, lookup);
      stateId = lookup?.personId ?? id;
    }
    let state: UserState | null = null;
    if (await exists(USERS_BUCKET)) {
      const entry = await (await new Kvm(nc).open(USERS_BUCKET)).get(stateKey(stateId));
      state = entry && entry.operation === 'PUT' ? entry.json<UserState>() : null;
    }
    return { identity, state };
  } finally {
    await nc.close();
  }
}

/** Temporal's status of each journey (NOT_FOUND when Temporal does not know it). */
export async function journeyStatuses(config: Config, journeyIds: string[]): Promise<Map<string, string>> {
  const { connection, client } = await connectTemporalClient(config);
  try {
    const statuses = new Map<string, string>();
    for (const id of journeyIds) {
      try {
        statuses.set(id, (await client.workflow.getHandle(id).describe()).status.name);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        statuses.set(id, 'NOT_FOUND');
      }
    }
    return statuses;
  } finally {
    await connection.close();
  }
}

/** The trained models beside the rule files (NUDGE_RULES_DIR/models), scoring with `tags`. */
export const scoreSetOf = (config: Config, tags: TagSet): ScoreSet => new ScoreSet(loadTrainedModels(defaultModelPaths(pathsOf(config.NUDGE_RULES_DIR)), process.cwd(), new Set(tags.names)), tags);

export async function readProfile(config: Config, id: string, options: ProfileOptions = {}, tags = new TagSet(loadTags(pathsOf(config.NUDGE_TAGS_DIR)).map((t) => t.tag)), scores = scoreSetOf(config, tags)): Promise<UserProfile | null> {
  const { identity, state: stored } = await readStoredPerson(config, id);
  if (!identity && !stored) return null;
  // A person the graph knows but whose events have not been applied yet is shown with an empty state.
  const state = stored ?? emptyState(identity!.personId);
  const now = Math.max(Date.now(), state.clock);
  const values = await tags.compute(state, now);
  const statuses = options.temporal ? await journeyStatuses(config, Object.values(state.journeys).map((m) => m.workflowId)) : undefined;
  return profileFrom(state, values, statuses, identity, scores.scoresAt(state, now));
}

export async function runProfile(config: Config, id: string, options: ProfileOptions = {}, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const profile = await readProfile(config, id, options);
  if (!profile) {
    out(options.json ? 'null\n' : `no profile for "${id}": nudge has no behavior state under this userId or anonymousId, and no person in the identity graph has this id or identifier\n`);
    return 1;
  }
  out(options.json ? JSON.stringify(profile, null, 2) + '\n' : formatProfile(profile));
  return 0;
}
