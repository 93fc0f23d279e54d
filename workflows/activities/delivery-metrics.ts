/**
 * Delivery metrics of a worker (Prometheus): messages by channel and outcome, skips by reason (including
 * coupon_pool_empty, no_consent, frequency_cap) and sends whose outcome is unknown.
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { PerformResult } from '../journey/machine';

export class DeliveryMetrics {
  readonly registry = new Registry();
  private readonly outcomes = new Counter({ name: 'nudge_step_outcomes_total', help: 'Action steps performed, by channel and outcome (done, skipped, deferred)', labelNames: ['channel', 'outcome', 'reason'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nudge_worker_' });
  }

  record(channel: string, result: PerformResult): void {
    this.outcomes.inc({ channel, outcome: result.status, reason: result.status === 'done' ? '' : result.reason });
  }

  /** A step that ended in a typed failure (the activity threw): counted by its reason. */
  recordFailure(channel: string, reason: string): void {
    this.outcomes.inc({ channel, outcome: 'skipped', reason });
  }
}
