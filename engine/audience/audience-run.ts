/**
 * One audience run over the persons of some partitions: scan the state bucket once, evaluate the rule's
 * conditions on each person of those partitions (decide-audience.ts, the code the partition decides
 * entries with), and send each match an entry control message to their partition — de-duplicated by
 * the stream (`audience/<rule>/<run>/<person>`) and entered under a journey id that names the run, so
 * a repeated run (a crash part-way, a second launch with the same id) enters nobody twice. Without
 * `enter` it only counts: `nudge audience count` is the same evaluation.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { AUDIENCE_CONTROL, audienceMatches, type AudienceEntryControl } from '../decide/decide-audience';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject } from '../events/subjects';
import type { TagSource } from '../match/facts';
import type { CompiledRule } from '../match/rule-index';
import type { UserState } from '../state/behavior-state';
import { scanStates } from './state-scan';

export interface PartitionTally {
  scanned: number;
  matched: number;
  /** Entry messages stored on the partition (a repeat of an earlier run's is counted, and dropped by the stream). */
  sent: number;
}

export interface AudienceRunOptions {
  compiled: CompiledRule;
  tags: TagSource;
  /** The partitions whose persons this run evaluates (the owner's, or all of them from the CLI). */
  partitions: ReadonlySet<number>;
  partitionCount: number;
  /** The run a person is due for now, or undefined (a schedule: the newest occurrence their zone reached). */
  runFor(state: UserState): { runId: string; at: number } | undefined;
  /** Sends an entry; absent: a dry run that only counts. */
  enter?: (control: AudienceEntryControl) => Promise<void>;
  /** After each page of the scan, with the tallies so far. */
  onProgress?: (tallies: ReadonlyMap<number, PartitionTally>) => void;
  stop?: AbortSignal;
  pageSize?: number;
}

export async function runAudience(js: JetStreamClient, bucket: string, options: AudienceRunOptions): Promise<Map<number, PartitionTally>> {
  const tallies = new Map([...options.partitions].sort((a, b) => a - b).map((p) => [p, { scanned: 0, matched: 0, sent: 0 }]));
  await scanStates(js, bucket, async (states) => {
    const entries: Promise<void>[] = [];
    for (const state of states) {
      const tally = tallies.get(partitionOf(state.userKey, options.partitionCount));
      if (!tally) continue;
      tally.scanned++;
      const run = options.runFor(state);
      if (!run || !audienceMatches(options.compiled, options.tags, state, run.at)) continue;
      tally.matched++;
      const { enter } = options;
      if (enter) entries.push(enter({ person: state.userKey, ruleId: options.compiled.rule.id, runId: run.runId, at: run.at }).then(() => void tally.sent++));
    }
    // A page's entries are in flight together (one connection keeps their order); the next page waits for them.
    await Promise.all(entries);
    options.onProgress?.(tallies);
  }, { ...(options.stop ? { stop: options.stop } : {}), ...(options.pageSize ? { pageSize: options.pageSize } : {}) });
  return tallies;
}

/** Sends an audience entry to the person's partition over JetStream. */
export function natsAudienceEntry(js: JetStreamClient, partitionCount: number) {
  return async (control: AudienceEntryControl): Promise<void> => {
    const h = headers();
    h.set(PERSON_HEADER, control.person);
    h.set(CONTROL_HEADER, AUDIENCE_CONTROL);
    await js.publish(partitionSubject(partitionOf(control.person, partitionCount)), JSON.stringify(control), { msgID: `audience/${control.ruleId}/${control.runId}/${control.person}`, headers: h });
  };
}
