/**
 * JetStream's duplicate rule, for the paths that take events without a stream (`nudge simulate` over
 * a file). In production every event is published with its messageId as Nats-Msg-Id (publisher.ts, the
 * collector and `nudge publish` alike) to the raw stream, created with `duplicate_window` =
 * NUDGE_DUPLICATE_WINDOW (nats/setup.ts). The server (nats-server stream.go: checkMsgId, storeMsgId,
 * purgeMsgIds) remembers the id of each *stored* message with the time it was stored, drops a message
 * whose id it remembers, and forgets an id once `now - stored >= window`. A dropped repeat is not
 * stored, so it does not extend the window: the next copy after it is stored again.
 */

export class InvalidDuplicateWindowError extends Error {
  constructor(readonly windowMs: number) {
    super(`NUDGE_DUPLICATE_WINDOW: expected a positive duration in ms, got ${windowMs}`);
    this.name = 'InvalidDuplicateWindowError';
  }
}

export class DuplicateWindow {
  /** messageId -> when its stored copy arrived; insertion order is arrival order (re-stored ids move to the end). */
  private readonly stored = new Map<string, number>();
  private now = -Infinity;

  constructor(readonly windowMs: number) {
    if (!(windowMs > 0)) throw new InvalidDuplicateWindowError(windowMs);
  }

  /**
   * Whether a message with this id arriving at `at` (ms) is stored (true) or dropped as a repeat (false).
   * Arrival time never runs backwards, as the server's clock does not: an earlier `at` counts as now.
   */
  admit(messageId: string, at: number): boolean {
    this.now = Math.max(this.now, at);
    this.forgetExpired();
    if (messageId === '') return true; // without an id, JetStream does not de-duplicate
    if (this.stored.has(messageId)) return false;
    this.stored.set(messageId, this.now);
    return true;
  }

  /** Ids remembered now (those stored within the last window). */
  get size(): number {
    return this.stored.size;
  }

  private forgetExpired(): void {
    for (const [id, storedAt] of this.stored) {
      if (this.now - storedAt < this.windowMs) break; // the rest arrived later
      this.stored.delete(id);
    }
  }
}
