/**
 * The member id beside the person id in simulation output. A person is named after the id of their
 * first event, often a device (anonymousId); marketers search for the member id (userId) their CRM
 * knows. It is read from the live person's identifiers at the end of the run, so every row of the
 * person carries it, the ones from before the login too.
 */
import { followMerges, type VersionedState } from '../../platform/stores/state-store';
import type { SimulationAction } from './simulator';

export async function withMemberIds(actions: SimulationAction[], load: (userKey: string) => Promise<VersionedState>): Promise<SimulationAction[]> {
  const memberOf = new Map<string, string | undefined>();
  for (const person of new Set(actions.map((a) => a.userId))) memberOf.set(person, (await followMerges(person, load)).state.identifiers?.userId);
  return actions.map((action) => {
    const memberId = memberOf.get(action.userId);
    if (memberId === undefined || memberId === action.userId) return action;
    const { at, userId, ...rest } = action;
    return { at, userId, memberId, ...rest }; // beside the person id, where a reader looks for it
  });
}
