/**
 * Rule-set fingerprints at start, on a real nats-server: engines that follow the deployed rule set
 * (NUDGE_RULES_SOURCE=kv) share partitions while their fingerprints differ for a moment (a roll-out:
 * they converge on `current`); an engine reading its own rule files is still refused next to an engine
 * with other rules, in either order, and a swap is advertised at the next renewal.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { createLogger } from '../../platform/logger';
import { LeaseStore } from './lease-store';
import { Ownership, OwnershipConflictError, type OwnershipOptions } from './ownership';

let nats: NatsServerHandle;
let nc: NatsConnection;
let leases: LeaseStore;
const started: Ownership[] = [];
const runner = { start: () => undefined, stop: async () => undefined, abandon: () => undefined };

async function engine(id: string, fingerprint: string, followsDeployedRules?: OwnershipOptions['followsDeployedRules']): Promise<Ownership> {
  const ownership = new Ownership({ leases, engineId: id, fingerprint, ...(followsDeployedRules ? { followsDeployedRules } : {}), partitionCount: 4, staticPartitions: null, resolver: 'off', runner, log: createLogger('test', 'silent') });
  await ownership.start();
  started.push(ownership);
  return ownership;
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  leases = await LeaseStore.open(nc, 2000);
});

afterAll(async () => {
  for (const o of started) await o.stop();
  await nc?.close();
  await nats?.stop();
});

describe('fingerprints and the deployed rule set', () => {
  it('engines following KV on different revisions share; a files engine with other rules is refused; swaps are advertised', async () => {
    const a = await engine('a', 'fp-rev-1', { revision: 1 });
    await engine('b', 'fp-rev-2', { revision: 2 });
    await expect(engine('c', 'fp-files', undefined)).rejects.toBeInstanceOf(OwnershipConflictError);
    a.ruleSetChanged('fp-rev-2', 2);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const member = (await leases.all()).get('m.a')!.record;
    expect(member).toMatchObject({ fingerprint: 'fp-rev-2', rulesRevision: 2 });
  });

  it('a KV engine is refused next to a files engine with other rules (it would never converge)', async () => {
    for (const o of started.splice(0)) await o.stop();
    await engine('files', 'fp-files', undefined);
    await expect(engine('kv', 'fp-rev-2', { revision: 2 })).rejects.toThrow(/runs a different rule set/);
  });
});
