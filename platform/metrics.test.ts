import { describe, expect, it } from 'vitest';
import { EngineMetrics } from './metrics';
import type { ResolutionPlan } from '../engine/identity/identity-resolver';

describe('EngineMetrics', () => {
  it('counts events by result, rule decisions, identity resolution and dead letters', async () => {
    const metrics = new EngineMetrics();
    metrics.recordOutcome({ userKey: 'a', kind: 'event', duplicate: false, signalled: ['w1'], decisions: [{ ruleId: 'r', outcome: 'no_match', leaves: [] }] });
    metrics.recordOutcome({ userKey: 'a', kind: 'event', duplicate: true, signalled: [], decisions: [] });
    metrics.recordOutcome({ userKey: 'b', kind: 'event', forwardedTo: 'a', duplicate: false, signalled: [], decisions: [] });
    metrics.recordOutcome({ userKey: 'b', kind: 'merge', forwardedTo: 'a', duplicate: false, signalled: [], decisions: [] });
    metrics.recordOutcome({ userKey: 'a', kind: 'merge', mergedFrom: 'b', duplicate: false, signalled: [], decisions: [{ ruleId: 'r', outcome: 'started', workflowId: 'w', leaves: [] }] });
    const refusal = { at: '', identifier: { type: 'anonymousId', value: 'd' }, reason: 'unique' as const, detail: '', messageId: 'm' };
    // A real resolver plan (typed as one): metrics read it through ResolutionCounts, below the resolver.
    const plan: ResolutionPlan = { messageId: 'm', person: 'a', created: true, linked: [{ type: 'userId', value: 'u' }], merges: [], refusals: [refusal], rejected: [{ type: 'phone', reason: 'bad' }], writes: { people: [], identifiers: [] } };
    metrics.recordResolution(plan);
    metrics.recordResolution({ person: 'a', internal: true });
    metrics.recordDeadLetter('invalid event: timestamp: bad');
    // Reasons hold ids and field names: the label is the kind only, so these are three series, not five.
    metrics.recordDeadLetter('invalid event: properties.x-7f3a: bad');
    metrics.recordDeadLetter('published to partition 3 but person "p-1" belongs to partition 5');
    metrics.recordDeadLetter('published to partition 4 but person "p-2" belongs to partition 1');
    metrics.recordDeadLetter('something new');
    const text = await metrics.registry.metrics();
    for (const line of [
      'nudge_events_total{result="applied"} 1',
      'nudge_events_total{result="redelivered"} 1',
      'nudge_events_total{result="forwarded"} 1',
      'nudge_events_total{result="handed_off"} 1',
      'nudge_events_total{result="merged"} 1',
      'nudge_events_total{result="dead_lettered"} 5',
      'nudge_rule_decisions_total{rule="r",outcome="started"} 1',
      'nudge_journey_signals_total 1',
      'nudge_identity_total{result="resolved"} 2',
      'nudge_identity_total{result="created"} 1',
      'nudge_identity_total{result="linked"} 1',
      'nudge_identity_total{result="refused_unique"} 1',
      'nudge_identity_total{result="rejected"} 1',
      'nudge_dead_letters_total{kind="invalid_event"} 2',
      'nudge_dead_letters_total{kind="wrong_partition"} 2',
      'nudge_dead_letters_total{kind="other"} 1',
    ]) expect(text).toContain(line);
    expect(text.match(/^nudge_dead_letters_total\{/gm)).toHaveLength(3);
  });
});
