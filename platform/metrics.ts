/**
 * Prometheus metrics of the engine process, served on /metrics (NUDGE_METRICS_PORT; 0 turns it off),
 * with /healthz for liveness probes.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventOutcome } from '../engine/decide/decide';

/** What metrics read of an identity resolution plan (engine/identity/identity-resolver.ts ResolutionPlan). */
export interface ResolutionCounts {
  created: boolean;
  linked: readonly unknown[];
  merges: readonly unknown[];
  refusals: readonly { reason: string }[];
  rejected: readonly unknown[];
}

/**
 * The dead-letter metric's `kind` label: one of a fixed list, never text from the reason (which holds
 * partition numbers, person ids and whatever a hostile message put in a field name): a free-text label
 * is a new time series per message. The full reason is in the dead letter's header and the log.
 */
export const DEAD_LETTER_KINDS = ['invalid_json', 'invalid_event', 'invalid_control', 'wrong_partition', 'unidentifiable', 'resolution_failed', 'processing_failed', 'republish_failed', 'other'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

const KIND_OF_PREFIX: readonly [RegExp, DeadLetterKind][] = [
  [/^not valid JSON:/, 'invalid_json'],
  [/^invalid event:/, 'invalid_event'],
  [/^(invalid \w+ control message|unknown control message)/, 'invalid_control'],
  [/^published to partition \d+ but/, 'wrong_partition'],
  [/^no usable identifier:/, 'unidentifiable'],
  [/^identity resolution failed:/, 'resolution_failed'],
  [/^processing failed:/, 'processing_failed'],
  [/^republishing to the partition failed:/, 'republish_failed'],
];

export const deadLetterKind = (reason: string): DeadLetterKind => KIND_OF_PREFIX.find(([pattern]) => pattern.test(reason))?.[1] ?? 'other';

export class EngineMetrics {
  readonly registry = new Registry();
  private readonly events = new Counter({ name: 'nudge_events_total', help: 'Events handled, by result', labelNames: ['result'], registers: [this.registry] });
  private readonly deadLetters = new Counter({ name: 'nudge_dead_letters_total', help: 'Events moved to the dead-letter stream, by kind of reason', labelNames: ['kind'], registers: [this.registry] });
  private readonly decisions = new Counter({ name: 'nudge_rule_decisions_total', help: 'Rule decisions for candidate rules, by rule and outcome', labelNames: ['rule', 'outcome'], registers: [this.registry] });
  private readonly signals = new Counter({ name: 'nudge_journey_signals_total', help: 'Events signalled to running journeys', registers: [this.registry] });

  private readonly journeysEnded = new Counter({ name: 'nudge_journeys_ended_total', help: 'Journey-ended notices applied (the person may enter the rule again)', registers: [this.registry] });
  private readonly batches = new Counter({ name: 'nudge_batches_total', help: 'Partition batches committed', registers: [this.registry] });
  private readonly batchMessages = new Counter({ name: 'nudge_batch_messages_total', help: 'Partition messages committed in batches', registers: [this.registry] });
  private readonly cacheHits = new Gauge({ name: 'nudge_state_cache_hits', help: 'State reads answered by the partition cache since the partition loop started', labelNames: ['partition'], registers: [this.registry] });
  private readonly cacheMisses = new Gauge({ name: 'nudge_state_cache_misses', help: 'State reads that went to NATS KV since the partition loop started', labelNames: ['partition'], registers: [this.registry] });
  private readonly cachedPeople = new Gauge({ name: 'nudge_state_cache_people', help: 'People held in the partition cache', labelNames: ['partition'], registers: [this.registry] });
  private readonly identity = new Counter({ name: 'nudge_identity_total', help: 'Identity resolution: events resolved, people created, identifiers linked, people merged, links refused (by reason), identifier values rejected', labelNames: ['result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nudge_engine_' });
  }

  recordOutcome(outcome: EventOutcome): void {
    this.events.inc({ result: resultOf(outcome) });
    this.signals.inc(outcome.signalled.length);
    for (const decision of outcome.decisions) this.decisions.inc({ rule: decision.ruleId, outcome: decision.outcome });
  }

  recordResolution(plan: ResolutionCounts | { person: string; internal: true }): void {
    this.identity.inc({ result: 'resolved' });
    if ('internal' in plan) return;
    if (plan.created) this.identity.inc({ result: 'created' });
    if (plan.linked.length) this.identity.inc({ result: 'linked' }, plan.linked.length);
    if (plan.merges.length) this.identity.inc({ result: 'merged' }, plan.merges.length);
    for (const refusal of plan.refusals) this.identity.inc({ result: `refused_${refusal.reason}` });
    if (plan.rejected.length) this.identity.inc({ result: 'rejected' }, plan.rejected.length);
  }

  recordDeadLetter(reason: string): void {
    this.events.inc({ result: 'dead_lettered' });
    this.deadLetters.inc({ kind: deadLetterKind(reason) });
  }

  recordJourneyEnded(): void {
    this.journeysEnded.inc();
  }

  recordCommit(messages: number, cache: { hits: number; misses: number; cached: number }, partition: number): void {
    this.batches.inc();
    this.batchMessages.inc(messages);
    this.cacheHits.set({ partition: String(partition) }, cache.hits);
    this.cacheMisses.set({ partition: String(partition) }, cache.misses);
    this.cachedPeople.set({ partition: String(partition) }, cache.cached);
  }

  serve(port: number, health?: () => Promise<{ ready: boolean; reasons: string[] }>): Promise<Server> {
    return serveMetrics(this.registry, port, health);
  }
}

/** What became of a partition message: a merge's hand-off or absorb, a forward, a redelivery, or applied. */
function resultOf(outcome: EventOutcome): string {
  if (outcome.kind === 'merge') return outcome.forwardedTo ? 'handed_off' : 'merged';
  if (outcome.forwardedTo) return 'forwarded';
  return outcome.duplicate ? 'redelivered' : 'applied';
}

/** Serves a registry on 127.0.0.1:<port>/metrics, with /healthz (503 with the reasons when `health` says not ready). */
export async function serveMetrics(registry: Registry, port: number, health?: () => Promise<{ ready: boolean; reasons: string[] }>): Promise<Server> {
  const answer = async (url: string | undefined, response: ServerResponse): Promise<void> => {
    if (url === '/metrics') {
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(await registry.metrics());
    } else if (url === '/healthz') {
      const state = health ? await health() : { ready: true, reasons: [] };
      if (state.ready) response.writeHead(200).end('ok');
      else response.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready:\n${state.reasons.map((r) => `- ${r}`).join('\n')}\n`);
    } else {
      response.writeHead(404).end();
    }
  };
  // Node does not await a request listener: a health check that throws would be an unhandled
  // rejection (the process dies) and the probe would hang. It answers "not ready" with the reason.
  const server = createServer((request, response) => {
    answer(request.url, response).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) response.writeHead(request.url === '/healthz' ? 503 : 500, { 'content-type': 'text/plain' });
      response.end(`not ready:\n- ${request.url === '/healthz' ? 'health check' : 'metrics'} failed: ${reason}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}
