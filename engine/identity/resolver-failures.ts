/**
 * What the resolver does with a failure. Infrastructure (NATS unreachable, a request timing out,
 * JetStream out of resources) is worth waiting for: the batch fails, the loop is started again after a
 * pause and resumes from its checkpoint. So does a lost compare-and-set race: the resolver is the
 * graph's only writer, so another writer (a stale resolver, an operator's edit) changed what the batch
 * planned against, and only a replay from fresh reads (an empty cache) may decide again. Anything else
 * is about the message itself (a record that cannot be parsed, a bug tripped by one event's shape): a
 * retry gives the same answer, so the message is dead-lettered on the first attempt instead of holding
 * up everyone behind it.
 */
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { UnidentifiableEventError } from './identity-resolver';
import { IdentityConflictError } from './identity-store';

const CONNECTION_CLASSES = [ConnectionError, ClosedConnectionError, DrainingConnectionError, TimeoutError, NoRespondersError, RequestError];
/** Server answers (JetStream API errors) and wrapped errors that say "not now" rather than "not this message". */
const INFRASTRUCTURE_TEXT = /timeout|timed out|disconnect|connection|no responders|jetstream not enabled|insufficient resources|stream not found|no suitable peers|leader/i;

export function isInfrastructure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (CONNECTION_CLASSES.some((type) => e instanceof type)) return true;
    if (INFRASTRUCTURE_TEXT.test(e.message)) return true;
  }
  return false;
}

export type FailureHandling = 'fail-batch' | { deadLetter: string };

/** How a failure to plan one event is handled. */
export function handlingOf(error: unknown): FailureHandling {
  if (error instanceof IdentityConflictError) return 'fail-batch';
  if (error instanceof UnidentifiableEventError) return { deadLetter: error.message };
  if (isInfrastructure(error)) return 'fail-batch';
  return { deadLetter: `identity resolution failed: ${(error as Error)?.message ?? String(error)}` };
}
