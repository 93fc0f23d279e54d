/**
 * The journey activities, created by a factory that receives every dependency (connectors, ledger,
 * state store, clock) so tests build a Worker with fakes and no module mocking.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ConnectorSet } from '../../connectors/channels';
import { consentAllows, type ConsentMode, type UserState } from '../../engine/state/behavior-state';
import type { CapStore } from './frequency-caps';
import type { DeliveryMetrics } from './delivery-metrics';
import { evaluateConditions } from '../../engine/match/evaluate-conditions';
import type { TagSource } from '../../engine/match/facts';
import type { EvaluateInput, PerformStepInput } from '../journey/activity-inputs';
import type { PerformResult } from '../journey/machine';
import type { DeliveryStatusStore, LedgerRecord, SendLedgerStore } from './send-ledger';
import { renderPayload, renderText, type TemplateVariables } from './render';
import { trackEmail, trackSms, type MessageRef, type MessageTracking } from './link-tracking';
import { connectorFailure } from './connector-failure';
import { assertNever } from '../../shared/assert-never';

export interface ActivityDeps {
  connectors: ConnectorSet;
  ledger: SendLedgerStore & DeliveryStatusStore;
  /**
   * Reads a user's current behavior state (traits, counters, consent), following identity merges: for a
   * merged-away id it returns the live person's state, whose `userKey` is the live id.
   */
  loadUserState(userKey: string): Promise<UserState>;
  /** Wall clock for windows evaluated inside journeys; the simulator passes its virtual clock. */
  clock?: () => number;
  caps: CapStore;
  consentMode: ConsentMode;
  metrics?: DeliveryMetrics;
  /** List-Unsubscribe headers for a marketing email (RFC 8058); absent: no headers. */
  unsubscribeHeaders?: (userId: string, topic: string) => Record<string, string>;
  /**
   * The behavior tags ({{ tags.* }}, the `tags` fact in journey conditions), computed from the user's
   * current state when a step runs. Tags are the person's current facts, like traits: the worker's tag
   * files apply, not the ones the engine had when the journey started. Absent: no tags.
   */
  tags?: TagSource;
  /**
   * Engagement tracking (engine/inbound/tracking-links.ts in the worker): tracked links and the open
   * pixel as the rule's `tracking` asks, a message ref on every email and SMS so delivery reports name
   * the message. Absent (the simulator): messages go out as rendered.
   */
  tracking?: MessageTracking;
}

// The activities' inputs are part of the journey contract (the workflow builds them in the core).
export type { EvaluateInput, PerformStepInput } from '../journey/activity-inputs';

export function createActivities(deps: ActivityDeps) {
  const clock = deps.clock ?? Date.now;

  /**
   * Windows end now, or at the user's newest event if its timestamp is ahead of this clock (client
   * clock skew; replays of future-dated events), so no counted event is left out.
   */
  const nowFor = (state: UserState) => Math.max(clock(), state.clock);

  /**
   * Tags from the user's current state; but a step that runs before the engine saved the state with the
   * trigger event (the journey starts first) uses the tags the engine computed at entry, so a message
   * never misses the event that started its journey.
   */
  async function tagsFor(input: PerformStepInput, current: UserState): Promise<Record<string, unknown>> {
    if (input.entry && current.lastSeq < input.entry.seq) return input.entry.tags;
    return deps.tags ? deps.tags.compute(current, nowFor(current)) : {};
  }

  async function variablesFor(input: PerformStepInput, current: UserState): Promise<TemplateVariables> {
    return {
      user: { id: input.userId },
      traits: { ...input.traits, ...current.traits },
      tags: await tagsFor(input, current),
      // As of entry, not now: the worker has no models, and the score shown is the one the rule saw.
      scores: input.entry?.scores ?? {},
      event: input.trigger as unknown as Record<string, unknown>,
      coupon: { code: input.coupon },
      journey: { id: input.journeyId },
      rule: input.rule,
    };
  }

  const NO_TRACKING = { clicks: false, opens: false };
  const messageRefOf = (input: PerformStepInput, channel: 'email' | 'sms'): MessageRef => ({ ruleId: input.rule.id, ruleVersion: input.rule.version, journeyId: input.journeyId, stepId: input.step.id, userId: input.userId, channel });

  /** Runs a provider call at most once per (journey, step), recording the outcome in the ledger. */
  async function once(input: PerformStepInput, channel: string, to: string, send: () => Promise<{ providerMessageId: string; details: Record<string, string | number> }>): Promise<PerformResult> {
    const base: LedgerRecord = { status: 'pending', channel, journeyId: input.journeyId, stepId: input.step.id, at: new Date(clock()).toISOString(), to };
    const revision = await deps.ledger.claim(base);
    if (revision === null) return previousOutcome(input);
    try {
      const { providerMessageId, details } = await send();
      await deps.ledger.settle({ ...base, status: 'sent', providerMessageId, details }, revision);
      await deps.ledger.recordProviderId(providerMessageId, input.journeyId, input.step.id); // for delivery reports
      return { status: 'done', details };
    } catch (error) {
      const { failure, claim } = connectorFailure(error);
      switch (claim.kind) {
        case 'failed':
          await deps.ledger.settle({ ...base, status: 'failed', reason: claim.reason }, revision);
          break;
        case 'released':
          await deps.ledger.release(input.journeyId, input.step.id, revision);
          break;
        case 'unknown':
          await deps.ledger.settle({ ...base, status: 'unknown', reason: 'outcome_unknown' }, revision);
          break;
        case 'pending':
          break; // the retry finds the claim pending and reports the outcome as unknown
        default:
          assertNever(claim, 'send ledger claim');
      }
      throw failure;
    }
  }

  /** Consent and frequency cap, checked right before a message is sent. */
  async function guard(input: PerformStepInput, state: UserState, channel: 'email' | 'sms', step: { topic?: string; transactional?: boolean }): Promise<PerformResult | null> {
    const topic = step.topic ?? 'marketing';
    const transactional = step.transactional ?? false;
    if (!consentAllows(state, channel, topic, transactional, deps.consentMode)) {
      return { status: 'skipped', reason: 'no_consent', detail: `no ${channel} consent for topic "${topic}"` };
    }
    // A receipt must not use up a marketing slot: transactional messages are neither capped nor counted.
    if (transactional) return null;
    // Every marketing send is recorded, capped or not: another rule's cap counts it. The key is the send
    // ledger's (journey, step), so a retried activity is counted once. Caps count per person: after a
    // merge the journey's userId may be a merged-away id, so the send is recorded under the live
    // person's id (the loaded state's), shared with the journeys of the other half.
    const cap = input.frequencyCap ?? null;
    const reservation = await deps.caps.reserve(state.userKey, channel, `${input.journeyId}/${input.step.id}`, clock(), cap);
    if (reservation.granted || !cap) return null;
    if (cap.policy === 'defer') return { status: 'deferred', reason: 'frequency_cap', until: reservation.retryAt };
    return { status: 'skipped', reason: 'frequency_cap', detail: `at most ${cap.max} ${channel} per ${cap.per}` };
  }

  async function previousOutcome(input: PerformStepInput): Promise<PerformResult> {
    const previous = await deps.ledger.get(input.journeyId, input.step.id);
    if (!previous) throw ApplicationFailure.create({ message: 'send ledger record vanished while claiming', type: 'ledger_race' });
    const { record } = previous;
    if (record.status === 'sent') return { status: 'done', details: record.details ?? {} };
    if (record.status === 'failed') throw ApplicationFailure.create({ message: `step ${record.stepId} failed earlier: ${record.reason}`, type: record.reason ?? 'delivery_failed', nonRetryable: true });
    // Marked, so it can be counted and reconciled with the provider; never re-sent, never dropped silently.
    if (record.status === 'pending') await deps.ledger.settle({ ...record, status: 'unknown', reason: 'outcome_unknown' }, previous.revision).catch(() => undefined);
    throw ApplicationFailure.create({
      message: `an earlier attempt of step ${record.stepId} stopped after calling the provider and before recording the outcome; not re-sending`,
      type: 'outcome_unknown',
      nonRetryable: true,
    });
  }

  async function performStepOnce(input: PerformStepInput): Promise<PerformResult> {
    const state = await deps.loadUserState(input.userId);
    const vars = await variablesFor(input, state);
    const { step } = input;
    const idempotencyKey = `${input.journeyId}/${step.id}`;
    switch (step.type) {
      case 'coupon': {
        const issued = await deps.connectors.coupon.issue({ journeyId: input.journeyId, stepId: step.id, ...(step.pool ? { pool: step.pool } : {}), ...(step.prefix ? { prefix: step.prefix } : {}) }).catch(throwConnectorFailure);
        return { status: 'done', details: { code: issued.code, source: issued.source } };
      }
      case 'email': {
        const to = renderText(step.to ?? '{{ traits.email }}', vars);
        if (!to) return { status: 'skipped', reason: 'no_address', detail: 'the user has no email address' };
        const subject = renderText(step.subject, vars);
        const rendered = { text: renderText(step.text, vars), ...(step.html ? { html: renderText(step.html, vars) } : {}) };
        const held = await guard(input, state, 'email', step);
        if (held) return held;
        // After rendering, so links built from variables are tracked with their final value.
        const tracked = deps.tracking ? trackEmail(deps.tracking, messageRefOf(input, 'email'), input.tracking ?? NO_TRACKING, rendered) : { ...rendered, headers: {} };
        const { text, html } = tracked;
        const unsubscribe = !step.transactional && deps.unsubscribeHeaders ? deps.unsubscribeHeaders(input.userId, step.topic ?? 'marketing') : {};
        const headers = { ...tracked.headers, ...unsubscribe };
        return once(input, 'email', to, async () => {
          const sent = await deps.connectors.email.send({ to, subject, text, ...(html ? { html } : {}), ...(Object.keys(headers).length ? { headers } : {}), idempotencyKey });
          return { providerMessageId: sent.providerMessageId, details: { channel: 'email', to, subject, body: text, providerMessageId: sent.providerMessageId } };
        });
      }
      case 'sms': {
        const to = renderText(step.to ?? '{{ traits.phone }}', vars);
        if (!to) return { status: 'skipped', reason: 'no_phone', detail: 'the user has no phone number' };
        const rendered = renderText(step.body, vars);
        const held = await guard(input, state, 'sms', step);
        if (held) return held;
        const ref = messageRefOf(input, 'sms');
        const body = deps.tracking ? trackSms(deps.tracking, ref, input.tracking ?? NO_TRACKING, rendered) : rendered;
        const deliveryRef = deps.tracking?.messageRef(ref);
        return once(input, 'sms', to, async () => {
          const sent = await deps.connectors.sms.send({ to, body, idempotencyKey, ...(deliveryRef ? { deliveryRef } : {}) });
          // The number as sent (E.164), not as rendered: what a marketer finds in Twilio's logs.
          return { providerMessageId: sent.providerMessageId, details: { channel: 'sms', to: sent.to, body, providerMessageId: sent.providerMessageId } };
        });
      }
      case 'webhook': {
        const payload = step.payload
          ? await renderPayload(step.payload, vars)
          : { userId: input.userId, ruleId: input.rule.id, journeyId: input.journeyId, trigger: input.trigger, coupon: input.coupon };
        return once(input, 'webhook', step.url, async () => {
          const sent = await deps.connectors.webhook.send({ url: step.url, payload, idempotencyKey });
          return { providerMessageId: sent.providerMessageId, details: { channel: 'webhook', to: step.url, status: sent.status } };
        });
      }
      default:
        return assertNever(step, 'action step type');
    }
  }

  return {
    async performStep(input: PerformStepInput): Promise<PerformResult> {
      try {
        const result = await performStepOnce(input);
        deps.metrics?.record(input.step.type, result);
        return result;
      } catch (error) {
        if (error instanceof ApplicationFailure && error.type) deps.metrics?.recordFailure(input.step.type, error.type);
        throw error;
      }
    },

    async evaluateJourneyConditions(input: EvaluateInput): Promise<boolean> {
      const state = await deps.loadUserState(input.userId);
      // (a merged person's state is the survivor's, in another partition's sequence: it is never older than the trigger)
      if (input.asOf && state.userKey === input.userId && state.lastSeq < input.asOf.seq) return true;
      const outcome = await evaluateConditions(input.conditions, {
        event: input.event as unknown as Record<string, unknown>,
        traits: state.traits,
        state,
        now: input.asOf?.at ?? nowFor(state),
        before: Date.parse(input.event.timestamp),
        ...(deps.tags ? { tags: deps.tags } : {}),
      });
      return outcome.passed;
    },
  };
}

export type JourneyActivities = ReturnType<typeof createActivities>;

function throwConnectorFailure(error: unknown): never {
  throw connectorFailure(error).failure;
}
