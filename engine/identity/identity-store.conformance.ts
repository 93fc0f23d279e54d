/**
 * One suite for both graph stores: the KV bucket (pipelined compare-and-set writes, many reads in one
 * request; identity-store.int.test.ts) and the in-memory twin the simulator uses (identity-store.test.ts)
 * must agree on revisions, conflicts and reads.
 */
import { expect, it } from 'vitest';
import { identifierKey, IdentityConflictError, personKey, type IdentityGraphStore, type PersonRecord } from './identity-store';

export const person = (id: string, anonymousIds: string[] = []): PersonRecord => ({ v: 1, id, createdAt: 1, identifiers: { anonymousId: anonymousIds }, merges: [], refusals: [] });
export const device = (value: string) => ({ type: 'anonymousId', value });

/** The cases, each on an empty store from `open`. */
export function identityStoreConformance(open: () => Promise<IdentityGraphStore>): void {
  it('creates, updates on the revision read and refuses a stale revision as IdentityConflictError', async () => {
    const store = await open();
    const created = await store.putPerson(person('a'), 0);
    await expect(store.putPerson(person('a', ['x']), 0)).rejects.toBeInstanceOf(IdentityConflictError);
    const updated = await store.putPerson(person('a', ['d1']), created);
    expect(await store.getPerson('a')).toEqual({ value: person('a', ['d1']), revision: updated });
    await expect(store.putPerson(person('a', ['d2']), created)).rejects.toBeInstanceOf(IdentityConflictError);
    await store.putIdentifier(device('d1'), 'a', 0, 7);
    expect((await store.getIdentifier(device('d1')))!.value).toEqual({ person: 'a', seq: 7 });
  });

  it('reads many records at once: those it has, null for those it has not', async () => {
    const store = await open();
    const revision = await store.putPerson(person('a', ['d1']), 0);
    await store.putIdentifier(device('d1'), 'a', 0);
    const records = await store.getMany!([{ person: 'a' }, { person: 'nobody' }, { identifier: device('d1') }, { identifier: device('unknown') }]);
    expect(records.get(personKey('a'))).toEqual({ value: person('a', ['d1']), revision });
    expect(records.get(personKey('nobody'))).toBeNull();
    expect(records.get(identifierKey(device('d1')))?.value).toEqual({ person: 'a' });
    expect(records.get(identifierKey(device('unknown')))).toBeNull();
  });
}
