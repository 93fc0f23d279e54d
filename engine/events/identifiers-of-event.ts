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

/**
 * Runs once per event the resolver sees, so it allocates no closures and splits no context paths per
 * call (the paths are split once per identifier configuration, see contextPathsOf).
 */
function compute(event: EventEnvelope, types: IdentifierTypes, previousIdType: 'userId' | 'anonymousId'): EventIdentifiers {
  const out: EventIdentifiers = { identifiers: [], rejected: [] };
  add(out, types, types.get('userId'), event.userId);
  add(out, types, types.get('anonymousId'), event.anonymousId);
  if (event.type === 'alias') add(out, types, types.get(previousIdType), event.previousId);

  const identifyTraits = event.type === 'identify' ? event.traits : undefined;
  const contextTraits = objectOrUndefined(event.context.traits);
  for (const type of types.ordered) {
    if (type.traits.length === 0) continue;
    if (identifyTraits) for (const name of type.traits) add(out, types, type, identifyTraits[name]);
    if (contextTraits) for (const name of type.traits) add(out, types, type, contextTraits[name]);
  }
  const contextPaths = contextPathsOf(types);
  for (let t = 0; t < types.ordered.length; t++) {
    for (const path of contextPaths[t]!) add(out, types, types.ordered[t], contextField(event.context, path));
  }
  const externalIds = event.context.externalIds;
  if (Array.isArray(externalIds)) {
    for (const external of externalIds) {
      const entry = objectOrUndefined(external);
      if (entry && typeof entry.type === 'string') add(out, types, types.get(entry.type), entry.id);
    }
  }
  if (out.identifiers.length > 1) out.identifiers.sort((a, b) => types.get(a.type)!.priority - types.get(b.type)!.priority);
  return out;
}

/** Adds one value of `type`: normalised, each (type, value) once; a value that cannot identify anyone is reported. */
function add(out: EventIdentifiers, types: IdentifierTypes, type: IdentifierType | undefined, raw: unknown): void {
  if (!type || raw === undefined || raw === null || raw === '') return;
  const normalised = types.normalize(type, raw);
  if (!normalised.ok) {
    out.rejected.push({ type: type.name, reason: normalised.reason });
    return;
  }
  for (const id of out.identifiers) if (id.type === type.name && id.value === normalised.value) return;
  out.identifiers.push({ type: type.name, value: normalised.value });
}

/** Each type's context paths split into field names, index by index with `types.ordered`. */
const splitPaths = new WeakMap<IdentifierTypes, string[][][]>();

function contextPathsOf(types: IdentifierTypes): string[][][] {
  let paths = splitPaths.get(types);
  if (!paths) splitPaths.set(types, (paths = types.ordered.map((type) => type.context.map((path) => path.split('.')))));
  return paths;
}

/** The value at a path (field names) of the context; undefined when any step is missing or not an object. */
function contextField(context: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = context;
  for (const name of path) {
    const object = objectOrUndefined(value);
    value = object && Object.hasOwn(object, name) ? object[name] : undefined;
  }
  return value;
}

const objectOrUndefined = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
