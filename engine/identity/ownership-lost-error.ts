/**
 * A task noticed before committing that its lease is gone (or was not renewed in time): it stops
 * without committing, and the engine that holds the lease now resumes from the last checkpoint.
 * Distinct from FencedError (engine/ownership/checkpoints.ts), which is the checkpoint itself
 * refusing a commit because the successor has committed since.
 */
export class OwnershipLostError extends Error {
  static readonly code = 'ownership_lost';
  readonly code = OwnershipLostError.code;

  constructor(readonly task: string) {
    super(`${task}: this engine no longer holds the lease; stopping without committing`);
    this.name = 'OwnershipLostError';
  }
}
