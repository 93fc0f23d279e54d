/**
 * Which identifiers an event carries, strongest first: its userId and anonymousId, an alias's
 * previousId, identifier traits (identify traits and Segment's `context.traits`), context fields
 * (`context.device.id`, …) and Segment's `context.externalIds` ([{ id, type }] with a configured type). Values are normalised per type (phone
 * to E.164, email lower-cased); a value that cannot be normalised is reported, not linked.
 */
import type { EventEnvelope } from './envelope';
import type { Identifier, IdentifierType, IdentifierTypes } from './identifier-types';

export interface EventIdentifiers {
  /** Strongest first, each (type, value) once. */
  identifiers: Identifier[];
  /** Values that could not identify anyone, with the reason (e.g. an invalid phone number). */
  rejected: { type: string; reason: string }[];
}

/**
 * Answers already computed, per identifier configuration and event: a batch's warm-up and its plan
 * ask for the same event's identifiers, and normalising a phone number (libphonenumber) is the dearest
 * part of a plan. Held weakly: gone with the batch's events.
 */
const computed = new WeakMap<IdentifierTypes, WeakMap<EventEnvelope, Partial<Record<'userId' | 'anonymousId', EventIdentifiers>>>>();

/**
 * `previousIdType` says what an alias's previousId is: Segment allows an earlier userId or an
 * anonymousId; the resolver knows which from the graph. The answer is shared: do not change it.
 */
export function identifiersOf(event: EventEnvelope, types: IdentifierTypes, previousIdType: 'userId' | 'anonymousId' = 'anonymousId'): EventIdentifiers {
  let byEvent = computed.get(types);
  if (!byEvent) computed.set(types, (byEvent = new WeakMap()));
  let answers = byEvent.get(event);
  if (!answers) byEvent.set(event, (answers = {}));
  return (answers[previousIdType] ??= compute(event, types, previousIdType));
}

function compute(event: EventEnvelope, types: IdentifierTypes, previousIdType: 'userId' | 'anonymousId'): EventIdentifiers {
  const found: Identifier[] = [];
  const rejected: EventIdentifiers['rejected'] = [];
  const add = (type: IdentifierType | undefined, raw: unknown) => {
    if (!type || raw === undefined || raw === null || raw === '') return;
    const normalised = types.normalize(type, raw);
    if (!normalised.ok) rejected.push({ type: type.name, reason: normalised.reason });
    else if (!found.some((id) => id.type === type.name && id.value === normalised.value)) found.push({ type: type.name, value: normalised.value });
  };

  add(types.get('userId'), event.userId);
  add(types.get('anonymousId'), event.anonymousId);
  if (event.type === 'alias') add(types.get(previousIdType), event.previousId);

  const traitSources = [event.type === 'identify' ? event.traits : undefined, objectOrUndefined(event.context.traits)];
  for (const type of types.ordered) {
    for (const traits of traitSources) for (const name of type.traits) add(type, traits?.[name]);
  }
  for (const type of types.ordered) for (const path of type.context) add(type, contextField(event.context, path));
  const externalIds = event.context.externalIds;
  if (Array.isArray(externalIds)) {
    for (const external of externalIds) {
      const entry = objectOrUndefined(external);
      if (entry && typeof entry.type === 'string') add(types.get(entry.type), entry.id);
    }
  }
  const priority = (id: Identifier) => types.get(id.type)!.priority;
  return { identifiers: found.sort((a, b) => priority(a) - priority(b)), rejected };
}

/** The value at a dotted path of the context; undefined when any step is missing or not an object. */
function contextField(context: Record<string, unknown>, path: string): unknown {
  let value: unknown = context;
  for (const name of path.split('.')) value = Object.hasOwn(objectOrUndefined(value) ?? {}, name) ? (value as Record<string, unknown>)[name] : undefined;
  return value;
}

const objectOrUndefined = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
