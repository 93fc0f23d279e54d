/**
 * `nudge profile <id>`: reads the user's behavior state from NATS KV (never creating the bucket),
 * computes their tags with the tag files of NUDGE_TAGS_DIR, optionally confirms the running journeys
 * with Temporal (describe), and prints the profile as text or JSON. A read-only operator command.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { loadTags } from '../../rules/load-tags';
import { pathsOf, type Config } from '../config';
import { TagSet } from '../match/tags';
import { USERS_BUCKET } from '../nats/setup';
import type { UserState } from '../state/behavior-state';
import { stateKey } from '../state/state-store';
import { formatProfile, profileFrom, type UserProfile } from './user-profile';

export interface ProfileOptions {
  json?: boolean;
  /** Describe each running journey in Temporal (TEMPORAL_ADDRESS) and show its status. */
  temporal?: boolean;
}

/** The stored state of a user, or null when there is none (never seen, erased, or no users bucket yet). */
export async function readUserState(natsUrl: string, id: string): Promise<UserState | null> {
  const nc = await connect({ servers: natsUrl.split(','), name: 'nudge-profile' });
  try {
    const jsm = await jetstreamManager(nc);
    if (!(await jsm.streams.info(`KV_${USERS_BUCKET}`).catch(() => null))) return null;
    const entry = await (await new Kvm(nc).open(USERS_BUCKET)).get(stateKey(id));
    return entry && entry.operation === 'PUT' ? entry.json<UserState>() : null;
  } finally {
    await nc.close();
  }
}

/** Temporal's status of each journey (NOT_FOUND when Temporal does not know it). */
export async function journeyStatuses(config: Config, journeyIds: string[]): Promise<Map<string, string>> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: ${(error as Error).message}`, { cause: error });
  });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
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

export async function readProfile(config: Config, id: string, options: ProfileOptions = {}, tags = new TagSet(loadTags(pathsOf(config.NUDGE_TAGS_DIR)).map((t) => t.tag))): Promise<UserProfile | null> {
  const state = await readUserState(config.NATS_URL, id);
  if (!state) return null;
  const values = await tags.compute(state, Math.max(Date.now(), state.clock));
  const statuses = options.temporal ? await journeyStatuses(config, Object.values(state.journeys).map((m) => m.workflowId)) : undefined;
  return profileFrom(state, values, statuses);
}

export async function runProfile(config: Config, id: string, options: ProfileOptions = {}, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const profile = await readProfile(config, id, options);
  if (!profile) {
    out(options.json ? 'null\n' : `no profile for "${id}": nudge has no behavior state under this userId or anonymousId\n`);
    return 1;
  }
  out(options.json ? JSON.stringify(profile, null, 2) + '\n' : formatProfile(profile));
  return 0;
}
