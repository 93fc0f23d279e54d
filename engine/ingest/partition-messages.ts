/**
 * What a partition message is: a behavior/profile event, a merge control message (`merge`, `absorb`),
 * a journey's `ended` notice, an audience entry (engine/audience/), a due absence timer, or something that can never be processed (dead-lettered at once, with
 * the reason — retrying cannot make invalid JSON valid).
 */
import type { JsMsg } from '@nats-io/jetstream';
import { parseEnvelope, userKeyOf, type EventEnvelope } from '../events/envelope';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf } from '../events/subjects';
import type { MergeControl } from '../events/merge-record';
import { jsonShapeProblem, MAX_JSON_DEPTH } from '../events/json-shape';
import type { AbsorbControl, JourneyEndedNotice } from '../decide/decide';
import { AUDIENCE_CONTROL, type AudienceEntryControl } from '../decide/decide-audience';
import { ABSENCE_CONTROL, type AbsenceTimerControl } from '../decide/decide-absence';

export const ENDED_CONTROL = 'ended';

const CONTROL_SHAPE = { maxDepth: MAX_JSON_DEPTH + 16, maxObjectKeys: Number.POSITIVE_INFINITY };

export type PartitionMessage = { seq: number; msg: JsMsg } & (
  | { kind: 'event'; person: string; event: EventEnvelope }
  | { kind: 'merge'; person: string; control: MergeControl }
  | { kind: 'absorb'; person: string; control: AbsorbControl }
  | { kind: 'ended'; person: string; notice: JourneyEndedNotice }
  | { kind: 'audience'; person: string; control: AudienceEntryControl }
  | { kind: 'absence'; person: string; control: AbsenceTimerControl }
  | { kind: 'invalid'; reason: string }
);

export function readPartitionMessage(msg: JsMsg, partition: number, partitionCount: number): PartitionMessage {
  const base = { seq: msg.seq, msg };
  // Checked on the bytes before anything recurses over the value (the decision, the state write, a
  // journey's input): too deep is a dead letter, never a stack overflow the partition would retry.
  // A control message carries a person's state (traits under a few levels, many counters): looser.
  const control = msg.headers?.get(CONTROL_HEADER) || undefined;
  const shape = jsonShapeProblem(msg.data, control ? CONTROL_SHAPE : undefined);
  if (shape) return { ...base, kind: 'invalid', reason: `invalid ${control ? `${control} control message` : 'event'}: ${shape}` };
  let raw: unknown;
  try {
    raw = msg.json();
  } catch (error) {
    return { ...base, kind: 'invalid', reason: `not valid JSON: ${(error as Error).message}` };
  }
  // The resolver names the person in a header; events published straight to a partition (older
  // publishers) belong to their userId ?? anonymousId.
  let person = msg.headers?.get(PERSON_HEADER) || undefined;
  let parsed: PartitionMessage;
  if (control === 'merge' || control === 'absorb') {
    const body = raw as Partial<AbsorbControl>;
    if (typeof body?.from !== 'string' || typeof body.into !== 'string' || !person || (control === 'absorb' && (typeof body.state !== 'object' || body.state === null))) {
      return { ...base, kind: 'invalid', reason: `invalid ${control} control message: needs "from", "into"${control === 'absorb' ? ', "state"' : ''} and a ${PERSON_HEADER} header` };
    }
    parsed = control === 'merge' ? { ...base, kind: 'merge', person, control: body as MergeControl } : { ...base, kind: 'absorb', person, control: body as AbsorbControl };
  } else if (control === ENDED_CONTROL) {
    const body = raw as Partial<JourneyEndedNotice>;
    if (typeof body?.person !== 'string' || typeof body.ruleId !== 'string' || typeof body.workflowId !== 'string' || !person) {
      return { ...base, kind: 'invalid', reason: `invalid ${ENDED_CONTROL} control message: needs "person", "ruleId", "workflowId" and a ${PERSON_HEADER} header` };
    }
    parsed = { ...base, kind: 'ended', person, notice: { ...(body as JourneyEndedNotice), person } };
  } else if (control === AUDIENCE_CONTROL) {
    const body = raw as Partial<AudienceEntryControl>;
    if (typeof body?.ruleId !== 'string' || typeof body.runId !== 'string' || typeof body.at !== 'number' || !Number.isFinite(body.at) || !person) {
      return { ...base, kind: 'invalid', reason: `invalid ${AUDIENCE_CONTROL} control message: needs "ruleId", "runId", a numeric "at" and a ${PERSON_HEADER} header` };
    }
    parsed = { ...base, kind: 'audience', person, control: { ruleId: body.ruleId, runId: body.runId, at: body.at, person } };
  } else if (control === ABSENCE_CONTROL) {
    const body = raw as Partial<AbsenceTimerControl>;
    if (typeof body?.ruleId !== 'string' || typeof body.armedBy !== 'string' || typeof body.due !== 'number' || !Number.isFinite(body.due) || !person) {
      return { ...base, kind: 'invalid', reason: `invalid ${ABSENCE_CONTROL} control message: needs "ruleId", "armedBy", a numeric "due" and a ${PERSON_HEADER} header` };
    }
    parsed = { ...base, kind: 'absence', person, control: { person, ruleId: body.ruleId, armedBy: body.armedBy, due: body.due } };
  } else if (control) {
    return { ...base, kind: 'invalid', reason: `unknown control message "${control}"` };
  } else {
    const envelope = parseEnvelope(raw);
    if (!envelope.ok) return { ...base, kind: 'invalid', reason: `invalid event: ${envelope.reason}` };
    person ??= userKeyOf(envelope.event);
    parsed = { ...base, kind: 'event', person, event: envelope.event };
  }
  const owner = partitionOf(parsed.person, partitionCount);
  if (owner !== partition) return { ...base, kind: 'invalid', reason: `published to partition ${partition} but person "${parsed.person}" belongs to partition ${owner}` };
  return parsed;
}
