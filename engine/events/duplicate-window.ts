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
  /** The messageIds remembered now. */
  private readonly stored = new Set<string>();
  /**
   * The stored copies in arrival order, from `head` on (an id is in it once while remembered). A queue, not
   * the Map's own order: iterating a Map from its start steps over every entry deleted since it was last
   * compacted, thousands within a day's window, and that was done for every event.
   */
  private arrivals: { messageId: string; at: number }[] = [];
  private head = 0;
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
    this.stored.add(messageId);
    this.arrivals.push({ messageId, at: this.now });
    return true;
  }

  /** Ids remembered now (those stored within the last window). */
  get size(): number {
    return this.stored.size;
  }

  private forgetExpired(): void {
    const arrivals = this.arrivals;
    while (this.head < arrivals.length && this.now - arrivals[this.head]!.at >= this.windowMs) this.stored.delete(arrivals[this.head++]!.messageId);
    // the rest arrived later; the forgotten front is dropped once it is most of the queue
    if (this.head > 1024 && this.head * 2 > arrivals.length) {
      this.arrivals = arrivals.slice(this.head);
      this.head = 0;
    }
  }
}
