/**
 * Session records for `distinct` tags ("distinct pages in the session"). A session is a run of one
 * (filtered) event with no pause longer than the tag's gap; only the current session is kept.
 *
 * The bound: a record holds the session's start, its last event time and at most `maxValues` distinct
 * values (the tag's `max`, at most 100), most recently seen first; when a new value arrives at a full
 * record the least recently seen one is dropped. The count never decreases within a session, so it is
 * exact up to `maxValues` and saturates there. A value longer than 100 characters is stored as its
 * first 80 characters and a hash, so one record is at most ~10 KB whatever the user sends. A record
 * whose session has ended (relative to the user's clock) is dropped.
 */
import { createHash } from 'node:crypto';
import type { SessionSpec } from './counter-plan';

export interface SessionRecord {
  startedAt: number;
  lastAt: number;
  /** Distinct values of the session, most recently seen first; numbers and booleans as text. */
  values: string[];
}

const LONGEST_VALUE = 100;

/** The stored form of a property value; undefined for what is not a string, number or boolean (not counted). */
export function sessionValue(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
  const text = String(value);
  if (text.length <= LONGEST_VALUE) return text;
  return `${text.slice(0, 80)}…#${createHash('sha256').update(text).digest('base64url').slice(0, 12)}`;
}

/** The record after an event at `at` with this value: same session, a new one, or unchanged for an event of an earlier session. */
export function recordInSession(record: SessionRecord | undefined, spec: SessionSpec, value: string, at: number): SessionRecord {
  if (!record || at > record.lastAt + spec.gapMs) return { startedAt: at, lastAt: at, values: [value] };
  if (at < record.startedAt - spec.gapMs) return record; // a late event of a session that has ended
  const startedAt = Math.min(record.startedAt, at);
  const lastAt = Math.max(record.lastAt, at);
  // The same value again inside the session's span (a reload): the record as it is, not a copy per event.
  if (record.values[0] === value && record.values.length <= spec.maxValues && record.values.indexOf(value, 1) === -1 && startedAt === record.startedAt && lastAt === record.lastAt) return record;
  const values = [value];
  for (const v of record.values) if (v !== value && values.length < spec.maxValues) values.push(v);
  return { startedAt, lastAt, values: values.slice(0, spec.maxValues) };
}

/** Whether the session is still current at `now`: its last event is at most one gap ago. */
export function sessionIsCurrent(record: SessionRecord | undefined, gapMs: number, now: number): record is SessionRecord {
  return record !== undefined && now - record.lastAt <= gapMs && now >= record.startedAt;
}

/** Distinct values in the session current at `now`, up to `max`; 0 when no session is current. */
export function distinctInSession(record: SessionRecord | undefined, gapMs: number, max: number, now: number): number {
  return sessionIsCurrent(record, gapMs, now) ? Math.min(record.values.length, max) : 0;
}
