/**
 * Writes that may run concurrently except where one must be stored before another: each write starts
 * once the writes it comes `after` (by key, when they are in the schedule) have succeeded and its
 * `until` promise has resolved, with at most `concurrency` in flight. The first failure stops every
 * write not yet started (one whose predecessor failed never starts); run() waits for those in flight,
 * then throws that failure, so a caller that replays never races a write still on its way.
 */

export interface ScheduledWrite {
  /** Keys of writes that must be stored first. */
  after: readonly string[];
  /** Also wait for this (e.g. a hand-off message stored); a rejection fails the write. */
  until?: Promise<unknown>;
  write: () => Promise<unknown>;
}

/** A dependency cycle among scheduled writes: a bug in whoever scheduled them, never waited out. */
export class WriteCycleError extends Error {
  constructor(readonly keys: string[]) {
    super(`graph writes wait for each other: ${keys.join(' → ')}`);
    this.name = 'WriteCycleError';
  }
}

/** Thrown into writes that never started because another failed first (not reported). */
const NOT_STARTED = Symbol('not started');

const ignore = () => undefined;

export class WriteSchedule {
  private readonly writes = new Map<string, ScheduledWrite>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: { error: unknown } | null = null;

  constructor(private readonly concurrency: number) {}

  add(key: string, write: ScheduledWrite): void {
    this.writes.set(key, write);
  }

  /** Runs every write; resolves with how many were written. */
  async run(): Promise<number> {
    const order = this.topologicalOrder();
    const done = new Map<string, Promise<void>>();
    for (const key of order) {
      const { after, until, write } = this.writes.get(key)!;
      // Built only for the writes that wait (a few per batch): most wait for nothing.
      let waits: Promise<unknown>[] | undefined;
      for (const k of after) {
        const predecessor = k === key ? undefined : done.get(k);
        if (predecessor) (waits ??= []).push(predecessor);
      }
      if (until) (waits ??= []).push(until.catch((error: unknown) => this.fail(error)));
      // Most writes wait for nothing: started at once, without a turn of the event loop per write.
      const started = waits ? Promise.all(waits).then(() => this.start(write)) : this.start(write);
      started.catch(ignore); // reported through `failure` below
      done.set(key, started);
    }
    await Promise.allSettled(done.values());
    if (this.failure) throw this.failure.error;
    return order.length;
  }

  /** Records the first real failure; what a write that fails or never starts throws is NOT_STARTED. */
  private fail(error: unknown): never {
    if (error !== NOT_STARTED) this.failure ??= { error };
    throw NOT_STARTED;
  }

  /** Runs `write` in a free slot, or once one frees up; never once a write has failed. */
  private start(write: () => Promise<unknown>): Promise<void> {
    if (this.failure) return Promise.reject(NOT_STARTED);
    if (this.inFlight >= this.concurrency) return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.started(write));
    this.inFlight++;
    return this.started(write);
  }

  /** `write` in a slot already taken; the slot is released (or passed on) when it settles. */
  private async started(write: () => Promise<unknown>): Promise<void> {
    try {
      if (this.failure) throw NOT_STARTED;
      await write();
    } catch (error) {
      this.fail(error);
    } finally {
      this.release();
    }
  }

  /** Every key after the keys it waits for (those in the schedule); a cycle is a WriteCycleError. */
  private topologicalOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = []; // the keys being visited, outermost first
    const visit = (key: string) => {
      const seen = state.get(key);
      if (seen === 'done') return;
      if (seen === 'visiting') throw new WriteCycleError([...path.slice(path.indexOf(key)), key]);
      state.set(key, 'visiting');
      path.push(key);
      for (const next of this.writes.get(key)!.after) if (next !== key && this.writes.has(next)) visit(next);
      path.pop();
      state.set(key, 'done');
      order.push(key);
    };
    for (const key of this.writes.keys()) visit(key);
    return order;
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next write
    else this.inFlight--;
  }
}
