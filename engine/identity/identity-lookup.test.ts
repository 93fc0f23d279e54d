/** Finding a person by anything an operator has: a person id (also a merged-away one) or any identifier, written any accepted way. */
import { describe, expect, it } from 'vitest';
import { IdentifierTypes } from '../events/identifier-types';
import { absorbedPeople, resolveAnyIdentifier } from './identity-lookup';
import { MemoryIdentityStore, type MergeRecord, type PersonRecord } from './identity-store';

const types = IdentifierTypes.defaults('CN');

const person = (id: string, identifiers: Record<string, string[]>, extra: Partial<PersonRecord> = {}): PersonRecord => ({ v: 1, id, createdAt: 0, identifiers, merges: [], refusals: [], ...extra });
const merge = (from: string, into: string): MergeRecord => ({ at: '2026-03-04T10:00:00.000Z', from, into, via: { type: 'email', value: 'x@example.com' }, messageId: `m-${from}` });

/** Writes the person and an identifier record for each of its identifiers (pointing at `owner`, default the person). */
async function add(store: MemoryIdentityStore, record: PersonRecord, owner = record.id) {
  await store.putPerson(record, 0);
  for (const [type, values] of Object.entries(record.identifiers)) for (const value of values) await store.putIdentifier({ type, value }, owner, 0);
}

/** p-1 absorbed p-2, which had absorbed p-3; p-2's identifier records still name p-2 (resolution follows the chain). */
async function mergedGraph() {
  const store = new MemoryIdentityStore();
  await add(store, person('p-1', { userId: ['ann'], email: ['ann@example.com'], phone: ['+8613800138000'] }, { merges: [merge('p-2', 'p-1')] }));
  await add(store, person('p-2', { anonymousId: ['device-1'] }, { mergedInto: 'p-1', merges: [merge('p-3', 'p-2')] }));
  await add(store, person('p-3', { anonymousId: ['device-0'] }, { mergedInto: 'p-2' }));
  return store;
}

describe('resolveAnyIdentifier', () => {
  it('finds a person by id, and a merged-away id leads to the live person', async () => {
    const store = await mergedGraph();
    expect(await resolveAnyIdentifier(store, types, 'p-1')).toEqual({ personId: 'p-1', via: 'person id' });
    expect(await resolveAnyIdentifier(store, types, 'p-3')).toEqual({ personId: 'p-1', via: 'person id', mergedFrom: 'p-3' });
  });

  it('finds a person by any identifier, normalised like incoming events', async () => {
    const store = await mergedGraph();
    expect(await resolveAnyIdentifier(store, types, 'ann')).toEqual({ personId: 'p-1', via: 'userId', value: 'ann' });
    expect(await resolveAnyIdentifier(store, types, ' Ann@Example.COM ')).toEqual({ personId: 'p-1', via: 'email', value: 'ann@example.com' });
    for (const phone of ['+86 138 0013 8000', '13800138000']) {
      expect(await resolveAnyIdentifier(store, types, phone)).toEqual({ personId: 'p-1', via: 'phone', value: '+8613800138000' });
    }
    // The anonymousId's record still names p-3, merged into p-2, merged into p-1.
    expect(await resolveAnyIdentifier(store, types, 'device-0')).toEqual({ personId: 'p-1', via: 'anonymousId', value: 'device-0' });
  });

  it('a text that is a value of several types finds the owner of the strongest', async () => {
    const store = new MemoryIdentityStore();
    await add(store, person('p-anon', { anonymousId: ['shared'] }));
    await add(store, person('p-user', { userId: ['shared'] }));
    expect(await resolveAnyIdentifier(store, types, 'shared')).toMatchObject({ personId: 'p-user', via: 'userId' });
  });

  it('answers null when nobody has it, and never matches a value a type cannot hold', async () => {
    const store = await mergedGraph();
    expect(await resolveAnyIdentifier(store, types, 'nobody')).toBeNull();
    expect(await resolveAnyIdentifier(store, types, '   ')).toBeNull();
    expect(await resolveAnyIdentifier(store, IdentifierTypes.defaults('US'), '13800138000')).toBeNull(); // read as a US number: not valid
  });

  it('still names the person when a redirect leads to a record that is gone (an interrupted erase)', async () => {
    const store = new MemoryIdentityStore();
    await add(store, person('p-old', { email: ['old@example.com'] }, { mergedInto: 'p-gone' }));
    expect(await resolveAnyIdentifier(store, types, 'old@example.com')).toEqual({ personId: 'p-gone', via: 'email', value: 'old@example.com' });
  });
});

describe('absorbedPeople', () => {
  it('finds everyone merged in, through chains, and those only a tombstone scan knows', async () => {
    const store = await mergedGraph();
    await add(store, person('p-4', { anonymousId: ['device-4'] }, { mergedInto: 'p-3' })); // its merge record dropped out of p-3's history
    const live = (await store.getPerson('p-1'))!.value;
    const absorbed = await absorbedPeople(store, live, new Map([['p-3', ['p-4']], ['p-1', ['p-gone']]]));
    expect(absorbed.map((a) => [a.personId, a.record?.mergedInto ?? null])).toEqual([
      ['p-2', 'p-1'],
      ['p-gone', null],
      ['p-3', 'p-2'],
      ['p-4', 'p-3'],
    ]);
    expect(await absorbedPeople(store, person('alone', {}))).toEqual([]);
  });
});
