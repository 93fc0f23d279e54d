/**
 * Delivery metrics of a worker (Prometheus): messages by channel and outcome, skips by reason (including
 * coupon_pool_empty, no_consent, frequency_cap) and sends whose outcome is unknown; journeys' conversions
 * and exits by reason (from the journey event log, each once).
 */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { PerformResult } from '../journey/machine';

export class DeliveryMetrics {
  readonly registry = new Registry();
  private readonly outcomes = new Counter({ name: 'nudge_step_outcomes_total', help: 'Action steps performed, by channel and outcome (done, skipped, deferred)', labelNames: ['channel', 'outcome', 'reason'], registers: [this.registry] });

  private readonly conversions = new Counter({ name: 'nudge_journey_conversions_total', help: 'Journeys that reached their goal within the window, by rule and holdout group (treatment, control)', labelNames: ['rule', 'group'], registers: [this.registry] });
  private readonly exits = new Counter({ name: 'nudge_journey_exits_total', help: 'Journeys ended, by rule, reason and holdout group', labelNames: ['rule', 'reason', 'group'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'nudge_worker_' });
  }

  record(channel: string, result: PerformResult): void {
    this.outcomes.inc({ channel, outcome: result.status, reason: result.status === 'done' ? '' : result.reason });
  }

  /** A conversion written to the journey event log for the first time (the activity's retries count once). */
  recordConversion(rule: string, group: string): void {
    this.conversions.inc({ rule, group });
  }

  recordExit(rule: string, reason: string, group: string): void {
    this.exits.inc({ rule, reason, group });
  }

  /** A step that ended in a typed failure (the activity threw): counted by its reason. */
  recordFailure(channel: string, reason: string): void {
    this.outcomes.inc({ channel, outcome: 'skipped', reason });
  }
}
