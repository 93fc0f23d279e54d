/**
 * Follows the deployed rule set (NUDGE_RULES_SOURCE=kv) for one process. What the process needs from a
 * revision (`T`: the engine's RuleIndex and compiled conditions, the worker's tags and coupon pools) is
 * built completely from the revision first and only then swapped in, as one reference: a reader that
 * takes `current()` once per unit of work (the partition loop: once per batch) never sees half of one
 * revision and half of another. A revision that does not load (written by a newer nudge, content this
 * build cannot read) is refused: the previous one stays, and `refused` says which revision and why until
 * a later revision loads.
 */
import { InvalidRuleSetError } from '../../rules/rule-errors';
import { UnreadableRevisionError } from '../../rules/revision/rule-set-source';
import type { Logger } from '../../platform/logger';
import type { DeployedRevision, RevisionStore } from './revision-store';

export interface Active<T> {
  /** null: the local rule files (NUDGE_RULES_SOURCE=files, or kv before the first deploy). */
  revision: number | null;
  value: T;
}

export interface Refusal {
  revision: number;
  reason: string;
}

/** Builds what a process runs from a deployed revision; throws InvalidRuleSetError when it does not load. */
export type BuildFromRevision<T> = (revision: DeployedRevision) => T;

const isRefusal = (error: unknown) => error instanceof UnreadableRevisionError || error instanceof InvalidRuleSetError;

export class RevisionFollower<T> {
  private active: Active<T>;
  private refusal: Refusal | null = null;
  private readonly listeners: ((next: Active<T>, previous: Active<T>) => void)[] = [];

  private constructor(private readonly store: RevisionStore | null, private readonly build: BuildFromRevision<T>, private readonly log: Logger, initial: Active<T>) {
    this.active = initial;
  }

  /** Files only: never changes. */
  static fixed<T>(value: T, log: Logger): RevisionFollower<T> {
    return new RevisionFollower<T>(null, () => value, log, { revision: null, value });
  }

  /**
   * The revision `current` points at, or `fromFiles()` before the first deploy. A deployed revision
   * this process cannot load refuses the start (there is no earlier one to keep), naming it and why.
   */
  static async open<T>(store: RevisionStore, build: BuildFromRevision<T>, fromFiles: () => T, log: Logger): Promise<RevisionFollower<T>> {
    const pointer = await store.currentPointer();
    if (!pointer) {
      log.info('no rule set revision deployed yet: running the local rule files until the first `nudge rules deploy`');
      return new RevisionFollower(store, build, log, { revision: null, value: fromFiles() });
    }
    const revision = await store.read(pointer.revision);
    if (!revision) throw new UnreadableRevisionError(pointer.revision, 'its manifest is missing');
    try {
      return new RevisionFollower(store, build, log, { revision: pointer.revision, value: build(revision) });
    } catch (error) {
      if (error instanceof InvalidRuleSetError) throw new UnreadableRevisionError(pointer.revision, error.message, { cause: error });
      throw error;
    }
  }

  current(): Active<T> {
    return this.active;
  }

  /** The newest deployed revision this process refused, while it still runs an older one. */
  get refused(): Refusal | null {
    return this.refusal;
  }

  onSwap(listener: (next: Active<T>, previous: Active<T>) => void): void {
    this.listeners.push(listener);
  }

  /** Loads revision `revision` and swaps it in, or records why it was refused. */
  async consider(revision: number): Promise<void> {
    if (!this.store || revision === this.active.revision) return;
    let next: Active<T>;
    try {
      const deployed = await this.store.read(revision);
      if (!deployed) throw new UnreadableRevisionError(revision, 'its manifest is missing');
      next = { revision, value: this.build(deployed) };
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.refusal = { revision, reason: (error as Error).message };
      this.log.error({ revision, running: this.active.revision, reason: this.refusal.reason }, `rule set revision ${revision} refused; still running ${this.active.revision === null ? 'the rule files' : `revision ${this.active.revision}`}`);
      return;
    }
    const previous = this.active;
    this.active = next;
    this.refusal = null;
    this.log.info({ revision, previous: previous.revision }, `rule set revision ${revision} swapped in`);
    for (const listener of this.listeners) listener(next, previous);
  }

  /** Watches `current` until `stop`; a lost watch (NATS restart) is started again after a pause. */
  async follow(stop: AbortSignal): Promise<void> {
    if (!this.store) return;
    while (!stop.aborted) {
      try {
        await this.store.watchCurrent((revision) => this.consider(revision), stop);
        if (stop.aborted) return;
      } catch (error) {
        if (stop.aborted) return;
        this.log.warn({ err: (error as Error).message }, 'watching the deployed rule set failed; retrying');
      }
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
    }
  }
}
