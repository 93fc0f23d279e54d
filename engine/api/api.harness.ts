/**
 * What the API's test files share: a person written straight into the identity graph and the state
 * store (as the resolver and the engine would have left them), and the audit stream read back whole.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { IDENTITY_BUCKET, KvIdentityStore } from '../identity/identity-store';
import { emptyState, type UserState } from '../state/behavior-state';
import { AUDIT_STREAM, AuditRecord } from './audit-log';

/**
 * `identifiers`: the person record's identifiers by type; those in `lookUp` also get an identifier
 * record (what a lookup by that identifier finds). `state`: fields of the person's state beyond an empty one.
 */
export async function seedPerson(nc: NatsConnection, person: { id: string; identifiers: Record<string, string[]>; lookUp: string[]; state: Partial<UserState> }): Promise<void> {
  const store = new KvIdentityStore(await new Kvm(nc).create(IDENTITY_BUCKET));
  await store.putPerson({ v: 1, id: person.id, createdAt: 0, identifiers: person.identifiers, merges: [], refusals: [] }, 0);
  for (const type of person.lookUp) for (const value of person.identifiers[type] ?? []) await store.putIdentifier({ type, value }, person.id, 0);
  await new StateStore(await openBucket(nc, USERS_BUCKET)).save({ ...emptyState(person.id), ...person.state }, 0);
}

export async function auditRecords(jsm: JetStreamManager): Promise<AuditRecord[]> {
  const info = await jsm.streams.info(AUDIT_STREAM);
  const records: AuditRecord[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    records.push(AuditRecord.parse((await jsm.streams.getMessage(AUDIT_STREAM, { seq }))!.json()));
  }
  return records;
}
