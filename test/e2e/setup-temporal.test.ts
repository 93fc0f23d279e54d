/**
 * `nudge setup temporal` on a real Temporal server: a namespace without nudge's search attributes gets
 * them, a second run adds nothing, and journeys' attributes are then accepted there.
 */
import { randomUUID } from 'node:crypto';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runSetupTemporal } from '../../cli/temporal-commands';
import { loadConfig } from '../../platform/config';
import { NUDGE_SEARCH_ATTRIBUTES } from '../../platform/temporal/search-attributes';
import { connectTemporalClient, type TemporalClientHandle } from '../../platform/temporal/temporal-connection';
import { eventually } from '../support/poll';

const namespace = `setup-${randomUUID().slice(0, 8)}`;
const config = loadConfig({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: namespace });
let temporal: TemporalClientHandle;

beforeAll(async () => {
  temporal = await connectTemporalClient(config);
  await temporal.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  // A new namespace reaches the frontend's cache after a moment.
  await eventually(async () => (await temporal.connection.operatorService.listSearchAttributes({ namespace }).then(() => true, () => undefined)), 30_000, `namespace ${namespace} usable`);
});
afterAll(async () => {
  await temporal?.connection.close();
});

describe('nudge setup temporal', () => {
  it('registers the search attributes that are missing, and a second run changes nothing', async () => {
    const before = (await temporal.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    expect(Object.keys(NUDGE_SEARCH_ATTRIBUTES).filter((name) => name in before)).toEqual([]);

    const lines: string[] = [];
    await runSetupTemporal(config, (line) => lines.push(line));
    expect(lines[0]).toContain('added RuleId, UserId, RuleVersion, PersonIds');
    const after = (await temporal.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    for (const [name, type] of Object.entries(NUDGE_SEARCH_ATTRIBUTES)) expect(after[name]).toBe(type);

    await runSetupTemporal(config, (line) => lines.push(line));
    expect(lines[1]).toContain('nothing to add; already present: RuleId, UserId, RuleVersion, PersonIds');
  }, 60_000);
});
