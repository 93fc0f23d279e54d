/**
 * The person as `nudge profile` shows them, built from their behavior state and identity graph record
 * (pure): the person id and how it was found, identifiers, merges and refused links, ids, traits with the
 * time each was set, behavior tags, the recent events kept for rules and tags, consent, running
 * journeys and entries. Times are ISO-8601.
 */
import ms from 'ms';
import type { TagValue } from '../../rules/schema/tags';
import type { Identifier } from '../events/identifier-types';
import type { PersonLookup } from '../identity/identity-lookup';
import type { MergeRecord, PersonRecord, RefusalRecord } from '../identity/identity-store';
import type { UserState } from '../state/behavior-state';
import { parseCounterKey, parseSessionKey, type PropertyFilter } from '../state/counter-plan';

export interface UserProfile {
  /** The id the state is kept under: the person id, or (before the identity graph knew them) the events' userId, else their anonymousId. */
  id: string;
  /** The identity graph's person; null when the graph does not know the id (it is then read as the state key, as before the graph). */
  identity: ProfileIdentity | null;
  /** Null when the events carried none (or the state predates recording identifiers). */
  userId: string | null;
  /** anonymousIds the user's events carried, most recent first (no identity stitching: looked up by `id` only). */
  anonymousIds: string[];
  lastEventAt: string | null;
  traits: { name: string; value: unknown; setAt: string | null }[];
  tags: Record<string, TagValue>;
  /** Each trained model's score of the person now, by model id (the engine's ScoreSet over this state). */
  scores: Record<string, number>;
  /** Event times kept for the rules' and tags' counters, newest first (as many as the rules and tags can need). */
  recentEvents: { event: string; where: PropertyFilter; times: string[] }[];
  sessions: { event: string; where: PropertyFilter; property: string; gap: string; startedAt: string; lastAt: string; values: string[] }[];
  consent: { channel: string; topic: string; granted: boolean; at: string; source: string }[];
  /** Journeys the engine started and believes are running; `status` when confirmed with Temporal. */
  journeys: { ruleId: string; journeyId: string; ruleVersion: number; startedAt: string; listens: string[]; status?: string }[];
  entries: { ruleId: string; entries: number; lastEnteredAt: string; lastJourneyId: string }[];
}

export interface ProfileIdentity {
  personId: string;
  /** The identifier the person was looked up by (its stored, normalised value); null when by person id. */
  lookedUpBy: Identifier | null;
  /** The person id looked up, when that person has since been merged into this one. */
  mergedFrom: string | null;
  firstSeenAt: string;
  /** type → values, first linked first. */
  identifiers: Record<string, string[]>;
  /** People merged into this one: who, when, through which shared identifier, by which event. */
  merges: MergeRecord[];
  /** Links refused (a second value of a unique type, or a type's limit reached), with why. */
  refusals: RefusalRecord[];
}

const iso = (at: number) => new Date(at).toISOString();

/** The graph's record as the profile shows it; `lookup`: how the id given was resolved to it. */
export function identityFrom(person: PersonRecord, lookup?: PersonLookup): ProfileIdentity {
  return {
    personId: person.id,
    lookedUpBy: lookup?.value !== undefined ? { type: lookup.via, value: lookup.value } : null,
    mergedFrom: lookup?.mergedFrom ?? null,
    firstSeenAt: iso(person.createdAt),
    identifiers: person.identifiers,
    merges: person.merges,
    refusals: person.refusals,
  };
}

/** `statuses`: journey id → Temporal status name (RUNNING, COMPLETED, NOT_FOUND, …), when confirmed. */
export function profileFrom(state: UserState, tags: Record<string, TagValue>, statuses?: ReadonlyMap<string, string>, identity: ProfileIdentity | null = null, scores: Record<string, number> = {}): UserProfile {
  const anonymousIds = state.identifiers?.anonymousIds ?? [];
  return {
    id: state.userKey,
    identity,
    userId: state.identifiers?.userId ?? null,
    anonymousIds,
    lastEventAt: state.clock ? iso(state.clock) : null,
    traits: Object.entries(state.traits).map(([name, value]) => ({ name, value, setAt: state.traitsUpdatedAt[name] !== undefined ? iso(state.traitsUpdatedAt[name]!) : null })),
    tags,
    scores,
    recentEvents: Object.entries(state.counters).map(([key, times]) => ({ ...parseCounterKey(key), times: times.map(iso) })),
    sessions: Object.entries(state.sessions ?? {}).flatMap(([key, s]) => {
      const spec = parseSessionKey(key);
      return spec ? [{ event: spec.event, where: spec.where, property: spec.property, gap: ms(spec.gapMs), startedAt: iso(s.startedAt), lastAt: iso(s.lastAt), values: s.values }] : [];
    }),
    consent: Object.entries(state.consent).flatMap(([channel, topics]) => Object.entries(topics).map(([topic, c]) => ({ channel, topic, granted: c.granted, at: iso(c.at), source: c.source }))),
    journeys: Object.entries(state.journeys).map(([ruleId, m]) => ({
      ruleId,
      journeyId: m.workflowId,
      ruleVersion: m.ruleVersion,
      startedAt: iso(m.startedAt),
      listens: m.listens,
      ...(statuses?.has(m.workflowId) ? { status: statuses.get(m.workflowId)! } : {}),
    })),
    entries: Object.entries(state.entries).map(([ruleId, e]) => ({ ruleId, entries: e.entries, lastEnteredAt: iso(e.lastEnteredAt), lastJourneyId: e.lastWorkflowId })),
  };
}

/** The profile as readable text, one section per part; empty sections say so. */
export function formatProfile(profile: UserProfile): string {
  const lines: string[] = [];
  const section = (title: string, rows: string[][], empty: string) => {
    lines.push('', title);
    if (rows.length === 0) lines.push(`  ${empty}`);
    const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
    for (const row of rows) lines.push(('  ' + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).trimEnd());
  };
  const { identity } = profile;
  lines.push(`profile ${profile.id}`);
  if (identity?.lookedUpBy) lines.push(`  looked up by ${identity.lookedUpBy.type} ${identity.lookedUpBy.value}`);
  if (identity?.mergedFrom) lines.push(`  looked up by person id ${identity.mergedFrom}, since merged into ${identity.personId}`);
  if (identity) lines.push(`  first seen   ${identity.firstSeenAt}`);
  lines.push(`  userId       ${profile.userId ?? (profile.anonymousIds.length ? '(none: the events carry only an anonymousId)' : '(not recorded)')}`);
  lines.push(`  anonymousIds ${profile.anonymousIds.length ? profile.anonymousIds.join(', ') : '(none seen)'}`);
  lines.push(`  last event   ${profile.lastEventAt ?? '(none)'}`);
  if (identity) {
    section('identifiers', Object.entries(identity.identifiers).filter(([, values]) => values.length).map(([type, values]) => [type, values.join(', ')]), 'none linked');
    section('merges', identity.merges.map((m) => [m.at, `${m.from} merged into ${m.into}`, `via ${m.via.type} ${m.via.value}`, `event ${m.messageId}`]), 'none');
    section(
      'refused links',
      identity.refusals.map((r) => [r.at, `${r.identifier.type} ${r.identifier.value}`, r.reason, r.detail + (r.otherPerson ? ` (would have merged with ${r.otherPerson})` : ''), `event ${r.messageId}`]),
      'none',
    );
  }
  section('traits', profile.traits.map((t) => [t.name, show(t.value), t.setAt ? `set ${t.setAt}` : '']), 'no traits');
  section('tags', Object.entries(profile.tags).map(([name, value]) => [name, show(value)]), 'no tags are defined');
  // Only where models are trained: most rule sets have none, and their profiles stay as they were.
  if (Object.keys(profile.scores).length) section('scores (trained models, now)', Object.entries(profile.scores).map(([model, score]) => [model, score.toFixed(3)]), '');
  section('recent events (kept for rules and tags, newest first)', profile.recentEvents.map((e) => [`${e.event}${where(e.where)}`, String(e.times.length), e.times.join(', ')]), 'none kept');
  if (profile.sessions.length) {
    section('sessions (distinct tags)', profile.sessions.map((s) => [`${s.event}${where(s.where)}`, `${s.property}, gap ${s.gap}`, `${s.startedAt} – ${s.lastAt}`, s.values.join(', ')]), '');
  }
  section('consent', profile.consent.map((c) => [`${c.channel}/${c.topic}`, c.granted ? 'granted' : 'withdrawn', c.at, c.source]), 'no decisions (the consent mode applies)');
  section(
    'journeys',
    profile.journeys.map((j) => [`${j.ruleId} v${j.ruleVersion}`, j.journeyId, `started ${j.startedAt}`, j.status ?? 'running (not confirmed with Temporal)']),
    'none running',
  );
  section('entries', profile.entries.map((e) => [e.ruleId, `${e.entries} ${e.entries === 1 ? 'entry' : 'entries'}`, `last ${e.lastEnteredAt}`]), 'never entered a journey');
  return lines.join('\n') + '\n';
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? 'null');

function where(filter: PropertyFilter): string {
  const parts = Object.entries(filter).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? ` where ${parts.join(', ')}` : '';
}
