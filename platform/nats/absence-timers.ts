/**
 * Absence timers as JetStream scheduled messages (ADR-51, nats-server 2.12+): a message published to
 * `nudge.absence.<rule>.<person hash>` with `Nats-Schedule: @at <time>` is held by the server and, when
 * due, published to its `Nats-Schedule-Target` — the person's partition subject — with our headers
 * (Nudge-Person, Nudge-Control: absence), then removed. The server rolls up each schedule subject to its
 * last message, so arming again replaces the timer: one stored message per armed person and rule, no
 * polling by anyone. The fired message reaches the partition in order with the person's events and is
 * decided by its owner (decide-absence.ts), so it survives engine restarts and partition moves: the
 * timer lives in the stream, not in an engine.
 *
 * Disarming schedules the same subject for now with a body that names no arming: it reaches the
 * partition at once and is recognised as stale there, so a cancelled timer leaves nothing in the
 * server's timer wheel. (A filtered purge would also work but needs the purge permission on the whole
 * events stream, which an engine must not have.)
 */
import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { AbsenceTimerControl, AbsenceTimers } from '../../engine/decide/decide-absence';
import { ABSENCE_CONTROL } from '../../engine/decide/decide-absence';
import { ABSENCE_SUBJECT_PREFIX, CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject } from '../../engine/events/subjects';

/** The schedule subject of one rule and person: the person id hashed, as ids may hold any characters. */
export function absenceSubject(ruleId: string, person: string): string {
  return `${ABSENCE_SUBJECT_PREFIX}.${ruleId}.${createHash('sha256').update(person).digest('base64url').slice(0, 32)}`;
}

/** RFC 3339 in UTC, as `@at` takes it. */
const at = (ms: number) => new Date(ms).toISOString();

export class NatsAbsenceTimers implements AbsenceTimers {
  constructor(private readonly js: JetStreamClient, private readonly partitions: number, private readonly clock: () => number = Date.now) {}

  async arm(control: AbsenceTimerControl): Promise<void> {
    await this.schedule(control, control.due);
  }

  async disarm(person: string, ruleId: string): Promise<void> {
    const now = this.clock();
    await this.schedule({ person, ruleId, armedBy: '', due: now }, now);
  }

  private async schedule(control: AbsenceTimerControl, fireAt: number): Promise<void> {
    const h = headers();
    h.set('Nats-Schedule', `@at ${at(fireAt)}`);
    h.set('Nats-Schedule-Target', partitionSubject(partitionOf(control.person, this.partitions)));
    h.set(PERSON_HEADER, control.person);
    h.set(CONTROL_HEADER, ABSENCE_CONTROL);
    await this.js.publish(absenceSubject(control.ruleId, control.person), JSON.stringify(control), { headers: h });
  }
}
