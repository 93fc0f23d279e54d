/**
 * Prometheus metrics of the engine process, served on /metrics (NUDGE_METRICS_PORT; 0 turns it off),
 * with /healthz for liveness probes.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventOutcome } from './ingest/process-event';
import type { ResolutionPlan } from './identity/identity-resolver';

export class EngineMetrics {
  readonly registry = new Registry();
  private readonly events = new Counter({ name: 'nudge_events_total', help: 'Events handled, by result', labelNames: ['result'], registers: [this.registry] });
  private readonly deadLetters = new Counter({ name: 'nudge_dead_letters_total', help: 'Events moved to the dead-letter stream, by kind of reason', labelNames: ['kind'], registers: [this.registry] });
  private readonly decisions = new Counter({ name: 'nudge_rule_decisions_total', help: 'Rule decisions for candidate rules, by rule and outcome', labelNames: ['rule', 'outcome'], registers: [this.registry] });
  private readonly signals = new Counter({ name: 'nudge_journey_signals_total', help: 'Events signalled to running journeys', registers: [this.registry] });

  private readonly identity = new Counter({ name: 'nudge_identity_total', help: 'Identity resolution: events resolved, people created, identifiers linked, people merged, links refused (by reason), identifier values rejected', labelNames: ['result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nudge_engine_' });
  }

  recordOutcome(outcome: EventOutcome): void {
    this.events.inc({ result: resultOf(outcome) });
    this.signals.inc(outcome.signalled.length);
    for (const decision of outcome.decisions) this.decisions.inc({ rule: decision.ruleId, outcome: decision.outcome });
  }

  recordResolution(plan: ResolutionPlan | { person: string; internal: true }): void {
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
    this.deadLetters.inc({ kind: reason.split(':')[0]!.slice(0, 40) });
  }

  serve(port: number): Promise<Server> {
    return serveMetrics(this.registry, port);
  }
}

/** What became of a partition message: a merge's hand-off or absorb, a forward, a redelivery, or applied. */
function resultOf(outcome: EventOutcome): string {
  if (outcome.kind === 'merge') return outcome.forwardedTo ? 'handed_off' : 'merged';
  if (outcome.forwardedTo) return 'forwarded';
  return outcome.duplicate ? 'redelivered' : 'applied';
}

/** Serves a registry on 127.0.0.1:<port>/metrics, with /healthz for liveness probes. */
export async function serveMetrics(registry: Registry, port: number): Promise<Server> {
  const server = createServer(async (request, response) => {
    if (request.url === '/metrics') {
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(await registry.metrics());
    } else if (request.url === '/healthz') {
      response.writeHead(200).end('ok');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}
