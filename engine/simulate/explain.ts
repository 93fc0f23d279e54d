/**
 * `nudge explain`: why a user did or did not get a rule's journey, in words. For every event of the
 * user that the rule's trigger considers: each condition with its actual value and pass/fail, the entry
 * decision, and the journey's path afterwards — all from one simulation over the same inputs, so the
 * explanation is what the engine decided, not a re-derivation.
 */
import type { EventEnvelope } from '../events/envelope';
import { behaviorEventOf } from '../events/envelope';
import type { MergeRecord, RefusalRecord } from '../identity/identity-store';
import type { EventOutcome, RuleDecision } from '../ingest/process-event';
import type { LeafOutcome } from '../match/evaluate-conditions';
import type { Rule } from '../../rules/schema/rule';
import type { SimulationAction } from './simulator';
import { assertNever } from '../../shared/assert-never';
import { describeTrigger, triggerEventOf } from '../../rules/schema/trigger';

const OPERATOR_WORDS: Record<string, string> = {
  equal: '=', notEqual: '≠', lessThan: '<', lessThanInclusive: '≤', greaterThan: '>', greaterThanInclusive: '≥',
  in: 'is one of', notIn: 'is not one of', contains: 'contains', doesNotContain: 'does not contain',
};

const show = (value: unknown) => (value === undefined || value === null ? 'nothing' : JSON.stringify(value));

export function describeLeaf(leaf: LeafOutcome): string {
  const op = OPERATOR_WORDS[leaf.operator] ?? leaf.operator;
  const params = (leaf.params ?? {}) as { event?: string; where?: Record<string, unknown>; within?: string };
  const where = params.where && Object.keys(params.where).length
    ? ` where ${Object.entries(params.where).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(' and ')}`
    : '';
  let subject: string;
  switch (leaf.fact) {
    case 'event': subject = `the event's ${leaf.path?.replace(/^\$\./, '')}`; break;
    case 'traits': subject = `trait ${leaf.path?.replace(/^\$\./, '')}`; break;
    case 'tags': subject = `tag ${leaf.path?.replace(/^\$\./, '')}`; break;
    case 'count': subject = `number of ${params.event} events${where} in the last ${params.within}`; break;
    case 'secondsSinceLast': subject = `seconds since the previous ${params.event}${where}`; break;
    case 'score': subject = `score of model ${(leaf.params as { model?: string } | undefined)?.model}`; break;
    default: subject = leaf.fact;
  }
  const actual = leaf.fact === 'secondsSinceLast' && (leaf.actual === null || leaf.actual === undefined) ? 'never happened' : show(leaf.actual);
  return `${leaf.passed ? '✓' : '✗'} ${subject} ${op} ${JSON.stringify(leaf.value)} — was ${actual}`;
}

function describeEntry(rule: Rule): string {
  switch (rule.entry.policy) {
    case 'once': return 'once per user, ever';
    case 'oncePerWindow': return `at most once per ${rule.entry.window}`;
    case 'everyTime': return 'every time it matches';
  }
}

function describeAction(a: SimulationAction): string {
  switch (a.action) {
    case 'enter': return 'entered the journey';
    case 'coupon': return `got coupon ${a.code}`;
    case 'email': return `was emailed at ${a.to}: "${a.subject}"`;
    case 'sms': return `was texted at ${a.to}: "${a.body}"`;
    case 'webhook': return `was sent to ${a.to} (webhook)`;
    case 'wait': return `waited (${a.step})`;
    case 'branch': return `went down the "${a.branch}" branch of ${a.step}`;
    case 'skip': return `did not get ${a.step ?? 'the step'}: ${a.reason}`;
    case 'refused': return `was refused entry: ${a.reason}`;
    case 'converted': return 'converted (reached the rule\'s goal)';
    case 'exit': return a.reason === 'exit_event' ? 'left the journey because of an exit event' : a.reason === 'completed' ? 'finished the journey' : `left the journey (${a.reason})`;
    default: return assertNever(a.action, 'simulation action');
  }
}

export interface ExplainInput {
  rule: Rule;
  userId: string;
  /** The engine's decisions for this rule, per event of this user, in processing order; `merge`: made when another person merged into them. */
  evaluations: { event: EventEnvelope; decision: RuleDecision; merge?: MergeRecord }[];
  /** The person `userId` belongs to, when identity resolution named them differently. */
  person?: string;
  /** The merges that made the person (identity resolution), in order. */
  merges?: MergeRecord[];
  /** Links to the person the identity graph refused. */
  refusals?: RefusalRecord[];
  /** Every event of this user that was processed (to tell "never sent the trigger event"). */
  userEvents: EventEnvelope[];
  /** Events of this user dropped as repeats of a messageId (the raw stream's duplicate window). */
  duplicates?: EventEnvelope[];
  actions: SimulationAction[];
}

export function explain(input: ExplainInput): string {
  const { rule, userId } = input;
  const lines = [
    `Rule ${rule.id} v${rule.version} "${rule.name}"${rule.enabled ? '' : ' (DISABLED: it never starts journeys)'} — user ${userId}${input.person && input.person !== userId ? ` (person ${input.person}: every id linked to them)` : ''}`,
    `Triggered by ${describeTrigger(rule.trigger)}; entry ${describeEntry(rule)}; exits on ${rule.exitOn.map((e) => e.event + (e.conditions ? ' (with conditions)' : '')).join(', ') || 'nothing'}.`,
    ...(input.merges ?? []).map((m) => `Identity: ${m.at}  ${m.from} merged into ${m.into} through ${m.via.type} ${m.via.value} (message ${m.messageId}); their events count together from then on.`),
    ...(input.refusals ?? []).map((r) => `Identity: ${r.at}  ${r.identifier.type} ${r.identifier.value} was not linked (${r.reason}): ${r.detail}; the events stay apart.`),
    ...(input.duplicates ?? []).map((e) => `Dropped: ${e.timestamp}  ${behaviorEventOf(e)?.name ?? e.type} (message ${e.messageId}) repeats a messageId within NUDGE_DUPLICATE_WINDOW; production drops it too.`),
    '',
  ];
  if (input.userEvents.length === 0) return [...lines, `No events of user ${userId} were found in the input.`].join('\n') + '\n';
  if (input.evaluations.length === 0) {
    return [...lines, `User ${userId} sent ${input.userEvents.length} event(s) but no "${triggerEventOf(rule.trigger) ?? describeTrigger(rule.trigger)}" event${rule.enabled ? '' : ' (and the rule is disabled)'}, so the rule was never evaluated for them.`].join('\n') + '\n';
  }
  for (const { event, decision, merge } of input.evaluations) {
    const name = behaviorEventOf(event)?.name ?? event.type;
    if (merge) lines.push(`${merge.at}  ${merge.from} merged into ${merge.into} (through ${merge.via.type} ${merge.via.value}, message ${merge.messageId}): the rule was evaluated again on the merged person, with their recent ${triggerEventOf(rule.trigger)} events`);
    else lines.push(`${event.timestamp}  ${name} (message ${event.messageId})`);
    for (const leaf of decision.leaves) lines.push(`    ${describeLeaf(leaf)}`);
    if (!rule.trigger.conditions) lines.push('    (the rule has no conditions: every such event matches)');
    switch (decision.outcome) {
      case 'no_match': lines.push('  → the conditions did not hold: no journey.'); break;
      case 'entry_policy': lines.push(`  → the conditions held, but the entry policy said no: ${decision.detail}.`); break;
      case 'already_in_journey': lines.push(`  → the conditions held, but a journey of this rule was still running for the user (${decision.detail}).`); break;
      case 'rejected': lines.push(`  → the conditions held, but Temporal refused journey ${decision.workflowId} for good: ${decision.detail}.`); break;
      case 'started':
      case 'already_started': {
        lines.push(`  → the conditions held: journey ${decision.workflowId} started.`);
        for (const action of input.actions.filter((a) => a.journeyId === decision.workflowId && a.action !== 'enter')) {
          lines.push(`      ${action.at}  ${describeAction(action)}`);
        }
        const last = input.actions.filter((a) => a.journeyId === decision.workflowId).at(-1);
        if (last && last.action !== 'exit') lines.push('      … still running when the simulation ended.');
        break;
      }
      default:
        assertNever(decision, 'rule decision');
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Collects what explain needs while a simulation runs. The user is the person `id` ends up in: the
 * person of the last event that carried it, followed through merges, together with everyone merged
 * into them (a refused link keeps the other person out).
 */
export function explainCollector(ruleId: string, id: string) {
  const seen: { event: EventEnvelope; person: string; decision?: RuleDecision; merge?: MergeRecord }[] = [];
  const mergedInto = new Map<string, string>();
  const merges: MergeRecord[] = [];
  const refusals: { refusal: RefusalRecord; person: string }[] = [];
  const duplicates: EventEnvelope[] = [];
  let person: string | undefined;
  return {
    onEvent(event: EventEnvelope, outcome: EventOutcome) {
      if (outcome.forwardedTo) return; // counted where it is applied
      if (event.userId === id || event.anonymousId === id || outcome.userKey === id) person = outcome.userKey;
      seen.push({ event, person: outcome.userKey, ...decisionOf(outcome, ruleId) });
    },
    onMerge(merge: MergeRecord, outcome: EventOutcome) {
      mergedInto.set(merge.from, merge.into);
      merges.push(merge);
      for (const decision of outcome.decisions.filter((d) => d.ruleId === ruleId)) {
        // not an event of the user: the merge itself, shown by its record
        const event: EventEnvelope = { type: 'identify', userId: merge.into, traits: {}, context: {}, timestamp: merge.at, messageId: merge.messageId };
        seen.push({ event, person: outcome.userKey, decision, merge });
      }
    },
    /** Dropped before identity resolution, so kept by id and matched to the person's ids at the end. */
    onDuplicate(event: EventEnvelope) {
      duplicates.push(event);
    },
    /** `people`: the person and everyone merged into them (journeys may run under any of their ids). */
    onRefusal(refusal: RefusalRecord, person: string) {
      const same = (r: RefusalRecord) => r.reason === refusal.reason && r.otherPerson === refusal.otherPerson && r.identifier.type === refusal.identifier.type && r.identifier.value === refusal.identifier.value;
      if (!refusals.some((r) => r.person === person && same(r.refusal))) refusals.push({ refusal, person }); // the first time is the story
    },
    result(): Pick<ExplainInput, 'evaluations' | 'userEvents' | 'merges' | 'refusals' | 'duplicates'> & { person: string; people: string[] } {
      let live = person ?? id;
      for (let hops = 0; mergedInto.has(live) && hops < 100; hops++) live = mergedInto.get(live)!;
      const members = new Set([live]);
      for (let grew = true; grew; ) {
        grew = false;
        for (const [from, into] of mergedInto) if (members.has(into) && !members.has(from)) (members.add(from), (grew = true));
      }
      const mine = seen.filter((s) => members.has(s.person));
      return {
        person: live,
        people: [...members],
        merges: merges.filter((m) => members.has(m.into)),
        refusals: refusals.filter((r) => members.has(r.person)).map((r) => r.refusal),
        duplicates: duplicates.filter((e) => [e.userId, e.anonymousId].some((i) => i !== undefined && (i === id || members.has(i)))),
        userEvents: mine.filter((s) => !s.merge).map((s) => s.event),
        evaluations: mine.flatMap((s) => (s.decision ? [{ event: s.event, decision: s.decision, ...(s.merge ? { merge: s.merge } : {}) }] : [])),
      };
    },
  };
}

const decisionOf = (outcome: EventOutcome, ruleId: string) => {
  const decision = outcome.decisions.find((d) => d.ruleId === ruleId);
  return decision ? { decision } : {};
};
