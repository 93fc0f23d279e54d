/**
 * Journey markers from before journeys announced their end (`endNotice: false`: states upgraded from v1,
 * engine/state/state-version.ts): Temporal is asked once,
 * when the state is loaded, whether each still runs. A running one will announce its end (the workflow
 * code that does so is what it runs now); a finished one loses its marker. States written since need no
 * round trip at all.
 */
import type { UserState } from '../state/behavior-state';
import type { JourneyStarter } from '../../platform/temporal/journey-starter';

/** The state with legacy markers resolved, or null when it has none. */
export async function resolveLegacyMarkers(state: UserState, journeys: JourneyStarter): Promise<UserState | null> {
  const legacy = Object.entries(state.journeys).filter(([, marker]) => !marker.endNotice);
  if (!legacy.length) return null;
  const markers = { ...state.journeys };
  for (const [ruleId, marker] of legacy) {
    if (await journeys.isRunning(marker.workflowId)) markers[ruleId] = { ...marker, endNotice: true };
    else delete markers[ruleId];
  }
  return { ...state, journeys: markers };
}
