/**
 * Which engine process runs which task (a partition loop, the identity resolver), by leases in NATS KV
 * (lease-store.ts). Every engine registers a membership key; engines without static partitions
 * (NUDGE_OWNED_PARTITIONS=auto, the default) share the partitions that no static engine claims, each
 * holding about its fair share, and the resolver runs in whichever engine holds its lease. A dead
 * engine stops renewing, its keys age out after the TTL, and the others take its tasks on their next
 * tick (within TTL + one tick). Refused loudly at start: a partition this engine must own statically
 * that another engine holds, and a live engine whose rule set differs from ours — unless both follow
 * the deployed rule set (NUDGE_RULES_SOURCE=kv), which they converge on.
 *
 * A lease says who should run a task; it is not what keeps data safe. The task's checkpoint and every
 * state write are compare-and-set, so a stale owner (paused past its TTL) is refused at its next write.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../platform/logger';
import { partitionTask, RESOLVER_TASK } from './checkpoints';
import type { HeldLease, LeaseRecord, LeaseStore } from './lease-store';

export interface TaskRunner {
  /** Start running a task this engine now holds. */
  start(task: string): void;
  /** Stop a task gracefully (finish and commit the batch in hand) before its lease is released. */
  stop(task: string): Promise<void>;
  /** The lease was lost: stop at once without committing (the next owner replays from the checkpoint). */
  abandon(task: string): void;
}

export interface OwnershipOptions {
  leases: LeaseStore;
  engineId: string;
  fingerprint: string;
  /**
   * The engine follows the deployed rule set (NUDGE_RULES_SOURCE=kv): another such engine with a
   * different fingerprint is one revision behind or ahead during a roll-out, not misconfigured — both
   * converge on the revision `current` names — so it is not refused. Its revision is in `rulesRevision`.
   */
  followsDeployedRules?: { revision: number | null };
  partitionCount: number;
  /** Partitions from NUDGE_OWNED_PARTITIONS, or null for automatic sharing. */
  staticPartitions: number[] | null;
  resolver: 'auto' | 'on' | 'off';
  runner: TaskRunner;
  log: Logger;
}

/** Refused at start: the configuration would make two engines own one task, or mix rule sets. */
export class OwnershipConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OwnershipConflictError';
  }
}

const memberKey = (engineId: string) => `m.${engineId}`;
export const isMemberKey = (key: string) => key.startsWith('m.');

export class Ownership {
  private readonly held = new Map<string, { revision: number; renewedAt: number }>();
  /** Tasks stopped because their lease could not be renewed in time (NATS unreachable): reclaimed if nobody took them. */
  private readonly lapsed = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private memberRevision = 0;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  private readonly options: OwnershipOptions;

  constructor(options: OwnershipOptions) {
    // A copy: ruleSetChanged() updates the fingerprint this engine advertises, not the caller's object.
    this.options = { ...options, ...(options.followsDeployedRules ? { followsDeployedRules: { ...options.followsDeployedRules } } : {}) };
  }

  get tickMs(): number {
    return Math.max(200, Math.floor(this.options.leases.ttlMs / 4));
  }

  /** Registers this engine, refuses conflicting configurations, takes its first tasks and keeps ticking. */
  async start(): Promise<void> {
    const { leases, engineId, fingerprint, staticPartitions } = this.options;
    const live = await leases.all();
    for (const [key, { record }] of live) {
      const converging = this.options.followsDeployedRules !== undefined && record.rulesRevision !== undefined;
      if (isMemberKey(key) && record.fingerprint !== fingerprint && !converging) {
        throw new OwnershipConflictError(`engine ${record.owner} runs a different rule set (fingerprint ${record.fingerprint.slice(0, 12)}, ours ${fingerprint.slice(0, 12)}): engines with different rules must not share partitions — deploy the same rules to every engine, or stop the other engines first`);
      }
    }
    for (const p of staticPartitions ?? []) {
      const holder = live.get(partitionTask(p));
      if (holder) throw new OwnershipConflictError(`partition ${p} is owned by engine ${holder.record.owner}: NUDGE_OWNED_PARTITIONS of two engines overlap (or an engine with automatic ownership holds it); a partition must have exactly one owner`);
      for (const [key, { record }] of live) {
        if (isMemberKey(key) && record.staticPartitions?.includes(p)) throw new OwnershipConflictError(`partition ${p} is also in NUDGE_OWNED_PARTITIONS of engine ${record.owner}; a partition must have exactly one owner`);
      }
    }
    const revision = await leases.acquire(memberKey(engineId), this.record());
    if (revision === null) throw new OwnershipConflictError(`engine id ${engineId} is already registered`);
    this.memberRevision = revision;
    await this.tick(live);
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick()).catch((error) => this.options.log.warn({ err: (error as Error).message }, 'ownership tick failed; retrying'));
    }, this.tickMs);
  }

  /** Whether this engine may still commit work of `task`: it holds the lease and renewed it recently. */
  owns(task: string): boolean {
    const lease = this.held.get(task);
    return lease !== undefined && Date.now() - lease.renewedAt < this.options.leases.ttlMs * 0.8;
  }

  tasks(): string[] {
    return [...this.held.keys()];
  }

  /** Stops every task gracefully and gives up every lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const { leases, runner } = this.options;
    await Promise.all([...this.held.keys()].map((task) => runner.stop(task)));
    await Promise.all([...this.held.entries()].map(([task, lease]) => leases.release(task, lease.revision)));
    this.held.clear();
    await leases.release(memberKey(this.options.engineId), this.memberRevision).catch(() => undefined);
  }

  /** A deployed revision was swapped in: the next renewal (within a tick) tells the other engines. */
  ruleSetChanged(fingerprint: string, revision: number | null): void {
    this.options.fingerprint = fingerprint;
    if (this.options.followsDeployedRules) this.options.followsDeployedRules.revision = revision;
  }

  private record(): LeaseRecord {
    const { engineId, fingerprint, staticPartitions, followsDeployedRules } = this.options;
    return { owner: engineId, fingerprint, ...(followsDeployedRules ? { rulesRevision: followsDeployedRules.revision } : {}), ...(staticPartitions ? { staticPartitions } : {}), at: Date.now() };
  }

  private async tick(snapshot?: Map<string, HeldLease>): Promise<void> {
    if (this.stopped) return;
    const { leases, runner, log } = this.options;
    await this.renewAll();
    for (const [task, revision] of [...this.lapsed]) {
      // Still at the revision we last wrote: nobody took the task meanwhile, so it is ours to resume.
      const renewed = await leases.renew(task, this.record(), revision).catch(() => undefined);
      if (renewed === undefined) continue;
      this.lapsed.delete(task);
      if (renewed === null) continue;
      this.held.set(task, { revision: renewed, renewedAt: Date.now() });
      log.info({ task }, 'lease renewed after an outage; resuming the task');
      runner.start(task);
    }
    const live = snapshot ?? (await leases.all());
    for (const task of this.wanted(live)) {
      if (this.held.has(task) || live.has(task)) continue;
      const revision = await leases.acquire(task, this.record());
      if (revision === null) continue;
      this.held.set(task, { revision, renewedAt: Date.now() });
      log.info({ task }, 'took over task');
      runner.start(task);
    }
    for (const task of this.surplus(live)) {
      const lease = this.held.get(task)!;
      await runner.stop(task);
      this.held.delete(task);
      await leases.release(task, lease.revision);
      log.info({ task }, 'handed task over');
    }
  }

  private async renewAll(): Promise<void> {
    const { leases, runner, log } = this.options;
    const member = await leases.renew(memberKey(this.options.engineId), this.record(), this.memberRevision).catch(() => undefined);
    if (member === null) {
      // Our membership aged out (a long pause): register again so the others count us.
      this.memberRevision = (await leases.acquire(memberKey(this.options.engineId), this.record())) ?? this.memberRevision;
    } else if (member !== undefined) this.memberRevision = member;
    await Promise.all(
      [...this.held.entries()].map(async ([task, lease]) => {
        const revision = await leases.renew(task, this.record(), lease.revision).catch(() => undefined);
        if (revision === null || (revision === undefined && !this.owns(task))) {
          this.held.delete(task);
          // Not renewed in time but perhaps not taken either (NATS was unreachable): try to renew it later.
          if (revision === undefined) this.lapsed.set(task, lease.revision);
          log.warn({ task }, 'lease lost; stopping the task (the next owner resumes from its checkpoint)');
          runner.abandon(task);
        } else if (revision !== undefined) this.held.set(task, { revision, renewedAt: Date.now() });
      }),
    );
  }

  /** Free tasks to try to take now, most preferred first, enough to reach this engine's share. */
  private wanted(live: Map<string, HeldLease>): string[] {
    const { staticPartitions, resolver } = this.options;
    let tasks: string[];
    if (staticPartitions) tasks = staticPartitions.map(partitionTask);
    else {
      const missing = this.target(live) - this.preference(live).filter((task) => this.held.has(task)).length;
      tasks = this.preference(live).filter((task) => !this.held.has(task) && !live.has(task)).slice(0, Math.max(0, missing));
    }
    if (resolver === 'on' || resolver === 'auto') tasks.push(RESOLVER_TASK);
    return tasks;
  }

  /** Held partitions beyond the fair share (a new engine joined), least preferred first. */
  private surplus(live: Map<string, HeldLease>): string[] {
    if (this.options.staticPartitions) return [];
    const heldPartitions = this.preference(live).filter((task) => this.held.has(task));
    return heldPartitions.slice(this.target(live)).reverse();
  }

  private target(live: Map<string, HeldLease>): number {
    const autoMembers = [...live.entries()].filter(([key, { record }]) => isMemberKey(key) && !record.staticPartitions).length || 1;
    return Math.ceil(this.pool(live).length / autoMembers);
  }

  /** Partitions no static engine claims. */
  private pool(live: Map<string, HeldLease>): string[] {
    const claimed = new Set<number>();
    for (const [key, { record }] of live) if (isMemberKey(key)) for (const p of record.staticPartitions ?? []) claimed.add(p);
    return Array.from({ length: this.options.partitionCount }, (_, p) => p).filter((p) => !claimed.has(p)).map(partitionTask);
  }

  /** Held partitions first, then the pool in this engine's rendezvous-hash order (spreads engines evenly). */
  private preference(live: Map<string, HeldLease>): string[] {
    const score = (task: string) => createHash('sha1').update(`${this.options.engineId}/${task}`).digest().readUInt32BE(0);
    return this.pool(live).sort((a, b) => Number(this.held.has(b)) - Number(this.held.has(a)) || score(a) - score(b));
  }

}
