/**
 * Prometheus counters of the inbound service (served on 127.0.0.1:NUDGE_INBOUND_METRICS_PORT/metrics
 * when set): engagement events by name and result, and refused requests by route kind and status. The
 * labels are fixed lists, never text from a request (a free-text label is a new series per request).
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngagementEventName } from './engagement-events';

export type EngagementResult = 'published' | 'duplicate' | 'failed' | 'ignored';
export type InboundRouteKind = 'click' | 'open' | 'email_events' | 'provider' | 'unsubscribe' | 'other';

export class InboundMetrics {
  readonly registry = new Registry();
  private readonly engagements = new Counter({
    name: 'nudge_inbound_engagements_total',
    help: 'Engagement events (email_clicked, email_opened, sms_delivered, …) by result: published, duplicate (the same engagement within the duplicate window), failed (could not be published), ignored (a report that moves no status on)',
    labelNames: ['event', 'result'],
    registers: [this.registry],
  });
  private readonly refused = new Counter({ name: 'nudge_inbound_refused_total', help: 'Inbound requests refused with a 4xx/5xx, by route kind and status', labelNames: ['route', 'status'], registers: [this.registry] });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'nudge_inbound_' });
  }

  engagement(event: EngagementEventName, result: EngagementResult): void {
    this.engagements.inc({ event, result });
  }

  refusal(route: InboundRouteKind, status: number): void {
    this.refused.inc({ route, status: String(status) });
  }
}
