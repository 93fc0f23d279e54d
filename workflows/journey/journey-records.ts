/**
 * The journey event log from the machine's log: one record per action, with the journey's fields, its
 * position (`seq`) and a deterministic id. Pure and deterministic, so the Temporal workflow (replaying
 * the same transitions after a crash) and the simulator derive the same records; the drivers only hand
 * them to a writer, which adds `recordedAt`. A conversion's time to convert and last message are
 * computed here from the records before it.
 */
import { nodeAt } from '../../rules/schema/step-program';
import { assertNever } from '../../shared/assert-never';
import { pickVariant } from './assignment';
import { goalWindowEnd } from './goal-watch';
// Types only: the workflow bundle imports this file, and the schema (zod) need not be in the sandbox.
import type { JourneyEventKind, JourneyEventRecord, JourneyRecordDraft, JourneyRecordMeta } from './journey-event-record';
import type { JourneyAction } from './journey-io';
import type { ExitReason } from './journey-state';
import type { MachineContext } from './machine';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A record before it is written (the writer stamps `recordedAt`). */
export type PendingJourneyRecord = DistributiveOmit<JourneyEventRecord, 'recordedAt'>;

type Channel = 'email' | 'sms' | 'webhook' | 'coupon';
type Scalar = string | number | boolean | null;

/** The record id: the Nats-Msg-Id the stream de-duplicates by, the same on every replay of the journey. */
export function journeyEventRecordId(journeyId: string, seq: number, kind: JourneyEventKind): string {
  return `${journeyId}/${seq}/${kind}`;
}

export interface JourneyRecorder {
  /** The enter record: group, split assignments, the goal's window. */
  enter(now: number): PendingJourneyRecord[];
  /** The records of the machine log entries of one transition, in order. */
  take(log: readonly JourneyAction[]): PendingJourneyRecord[];
}

export function journeyRecorder(ctx: MachineContext, meta: JourneyRecordMeta): JourneyRecorder {
  let seq = 0;
  let enteredAt = 0;
  let converted = false;
  let lastMessage: { stepId: string; channel: Channel; at: string } | null = null;
  const iso = (ms: number) => new Date(ms).toISOString();
  const complete = (draft: JourneyRecordDraft): PendingJourneyRecord => {
    const position = seq++;
    return { ...draft, ...meta, v: 1, seq: position, id: journeyEventRecordId(meta.journeyId, position, draft.kind) } as PendingJourneyRecord;
  };
  const channelOf = (stepId: string | null): Channel => {
    const type = stepId === null ? undefined : nodeAt(ctx.program, stepId).step.type;
    if (type === 'email' || type === 'sms' || type === 'webhook' || type === 'coupon') return type;
    throw new Error(`journey log: step "${String(stepId)}" is no action step, yet a send or skip was logged for it`);
  };

  const draftOf = (action: JourneyAction): JourneyRecordDraft => {
    const occurredAt = iso(action.at);
    const stepId = action.step;
    const text = (key: string): string | null => (typeof action[key] === 'string' ? (action[key] as string) : null);
    switch (action.action) {
      case 'coupon': case 'email': case 'sms': case 'webhook': {
        const { at: _at, step: _step, action: _action, ...rest } = action;
        const details = Object.fromEntries(Object.entries(rest).filter((entry): entry is [string, Scalar] => entry[1] === null || ['string', 'number', 'boolean'].includes(typeof entry[1])));
        if (stepId !== null) lastMessage = { stepId, channel: action.action, at: occurredAt };
        return { kind: 'step_sent', stepId, occurredAt, channel: action.action, details };
      }
      case 'skip':
        // The worker died between the provider call and its record: maybe delivered, never re-sent.
        if (action.reason === 'outcome_unknown') return { kind: 'step_outcome_unknown', stepId, occurredAt, channel: channelOf(stepId), detail: text('detail') };
        return { kind: 'step_skipped', stepId, occurredAt, channel: channelOf(stepId), reason: text('reason') ?? 'unknown', detail: text('detail') };
      case 'branch':
        return { kind: 'branch_taken', stepId, occurredAt, branch: text('branch') ?? 'unknown', event: text('event') };
      case 'wait':
        return { kind: 'wait_started', stepId, occurredAt, until: text('until'), reason: text('reason') };
      case 'exit':
        return { kind: 'exit', stepId, occurredAt, reason: action.reason as ExitReason, converted };
      case 'converted':
        converted = true;
        return { kind: 'converted', stepId: null, occurredAt, goalEvent: text('event') ?? '', goalMessageId: text('messageId') ?? '', enteredAt: iso(enteredAt), timeToConvertMs: Math.max(0, action.at - enteredAt), lastMessage };
      default:
        return assertNever(action.action, 'journey action');
    }
  };

  return {
    enter(now) {
      const goalUntil = goalWindowEnd(ctx.goal, ctx.waitScale, now);
      enteredAt = now;
      const variants: Record<string, string> = {};
      for (const node of Object.values(ctx.program.nodes)) {
        if (node.step.type !== 'split' || !node.variants) continue;
        variants[node.step.id] = node.variants[pickVariant(ctx.ruleId, ctx.userId, node.step.id, node.variants.map((v) => v.weight))]!.name;
      }
      const goal = ctx.goal && goalUntil !== null ? { event: ctx.goal.event, windowEndsAt: iso(goalUntil) } : null;
      return [complete({ kind: 'enter', stepId: null, occurredAt: iso(now), variants, goal })];
    },
    take: (log) => log.map((action) => complete(draftOf(action))),
  };
}

/** The fields of every record of the journey of `input`. */
export function recordMetaOf(input: { journeyId: string; userId: string; rule: { id: string; version: number }; assignment?: 'control' | 'treatment' }): JourneyRecordMeta {
  return { journeyId: input.journeyId, personId: input.userId, ruleId: input.rule.id, ruleVersion: input.rule.version, group: input.assignment === 'control' ? 'control' : 'treatment' };
}
