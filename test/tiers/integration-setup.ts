/**
 * The integration tier's global setup: no shared server (each test file starts its own NATS or local
 * fake), only the run id its servers carry, and the leftover check at the end (server-run.ts).
 */
import { joinServerRun } from '../support/server-run';

export default function setup() {
  const run = joinServerRun();
  return () => run.leave();
}
