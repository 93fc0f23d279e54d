/**
 * The simulator's absence timers: the same contract as the JetStream schedules (one timer per rule and
 * person, a later arm replaces it, a disarm removes it), on the virtual clock. The simulator takes the
 * earliest due timer whenever it moves time forward and hands it to the EventProcessor, which decides
 * it with the same core as the engine (decide-absence.ts).
 */
import type { AbsenceTimerControl, AbsenceTimers } from '../decide/decide-absence';

export class VirtualAbsenceTimers implements AbsenceTimers {
  private readonly timers = new Map<string, AbsenceTimerControl>();

  async arm(control: AbsenceTimerControl): Promise<void> {
    this.timers.set(keyOf(control.ruleId, control.person), control);
  }

  async disarm(person: string, ruleId: string): Promise<void> {
    this.timers.delete(keyOf(ruleId, person));
  }

  /** The earliest due timer (ties: the one armed first), without taking it. */
  next(): AbsenceTimerControl | undefined {
    let next: AbsenceTimerControl | undefined;
    for (const timer of this.timers.values()) if (!next || timer.due < next.due) next = timer;
    return next;
  }

  /** Takes a timer to fire it (the schedule is removed when it fires, as on the server). */
  take(control: AbsenceTimerControl): void {
    const key = keyOf(control.ruleId, control.person);
    if (this.timers.get(key) === control) this.timers.delete(key);
  }
}

const keyOf = (ruleId: string, person: string) => `${ruleId}\u0000${person}`;
