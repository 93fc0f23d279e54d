/**
 * kill -9 the engine (which runs the resolver and every partition) three times while it works through
 * 20,000 queued events of 500 people, restarting it each time: every person ends with exactly the count
 * they were sent and exactly the journeys the simulator starts for the same events — nothing lost,
 * nothing counted twice, no journey started twice. Before checkpoints, this lost hundreds of events
 * (JetStream redelivered unacknowledged messages after newer ones).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore, RESOLVER_TASK } from '../../engine/ownership/checkpoints';
import { journeysOf, productStream, publishAll, simulatedJourneys, startFleet, waitForCounts, type Fleet } from '../support/fleet';
import { eventually } from '../support/poll';

const PEOPLE = 500;
const PER_PERSON = 40;

describe('engine crashes', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    // A short lease TTL: the restarted engine may take the dead one's partitions after 3 s.
    fleet = await startFleet({ NUDGE_LEASE_TTL: '3s' });
  });
  afterAll(async () => fleet?.stop());

  it('three kill -9s mid-stream lose nothing and double nothing (the simulator is the oracle)', async () => {
    const { events, people } = productStream(PEOPLE, PER_PERSON);
    const oracle = simulatedJourneys(events);
    await publishAll(fleet.js, events);
    const checkpoints = await CheckpointStore.open(fleet.nc);

    let engine = await fleet.startEngine();
    for (const share of [0.15, 0.4, 0.65]) {
      // Kill once the resolver has moved on past a share of the stream (the partitions lag behind it).
      await eventually(async () => ((await checkpoints.load(RESOLVER_TASK)).seq >= events.length * share ? true : undefined), 120_000, `the resolver past ${share * 100}%`);
      await engine.kill();
      engine = await fleet.startEngine();
    }
    await waitForCounts(fleet.nc, new Map(people.map((p) => [p, PER_PERSON])), 180_000);
    const expected = await oracle;
    expect(expected).toHaveLength(PEOPLE); // the 25th event of each person
    await eventually(async () => ((await journeysOf(fleet)).length >= expected.length ? true : undefined), 30_000, 'every journey in Temporal');
    expect(await journeysOf(fleet)).toEqual(expected);
  }, 420_000);
});
