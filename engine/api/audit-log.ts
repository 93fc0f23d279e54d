/**
 * The audit stream: every operator action of the HTTP API (export, erase, posting events) — done,
 * refused for the role, or failed — as one JetStream message on `nudge.audit` in the stream
 * `nudge_audit`, written before the answer is sent. Append-only from the API's side: it never deletes
 * from it (an erase keeps the record that it happened; the record names the id the operator gave).
 */
import { randomUUID } from 'node:crypto';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { z } from 'zod';
import { ApiRole } from '../../platform/api-token-entry';

export const AUDIT_STREAM = 'nudge_audit';
export const AUDIT_SUBJECT = 'nudge.audit';

export const AuditAction = z.enum(['export', 'erase', 'post_events']);

export const AuditRecord = z
  .object({
    id: z.uuid().describe('The record\'s id (also its Nats-Msg-Id).'),
    at: z.iso.datetime().describe('When the action was answered (ISO-8601, UTC).'),
    actor: z.string().describe('The token\'s name (NUDGE_API_TOKENS), i.e. who.'),
    role: ApiRole,
    action: AuditAction,
    subject: z.string().nullable().describe('Whom: the id given (any identifier or person id); null for posting events.'),
    personId: z.string().nullable().describe('The person the identity graph resolved the subject to, when known.'),
    result: z.enum(['ok', 'denied', 'failed']).describe('ok: done; denied: the token lacks the role (nothing changed); failed: an error (see detail).'),
    detail: z.string().max(1000).optional().describe('A summary: counts erased, events published, or the error.'),
  })
  .strict()
  .meta({ id: 'AuditRecord' });
export type AuditRecord = z.output<typeof AuditRecord>;

/** Creates the stream when missing (file storage, no age limit: audit records outlive the data they describe). */
export async function ensureAuditStream(jsm: JetStreamManager, replicas = 1): Promise<void> {
  if (await jsm.streams.info(AUDIT_STREAM).catch(() => null)) return;
  await jsm.streams.add({ name: AUDIT_STREAM, subjects: [AUDIT_SUBJECT], num_replicas: replicas, deny_delete: true, deny_purge: true });
}

export interface AuditLog {
  write(record: Omit<AuditRecord, 'id' | 'at'>): Promise<AuditRecord>;
}

export function jetStreamAuditLog(js: JetStreamClient, now: () => Date = () => new Date()): AuditLog {
  return {
    async write(fields) {
      const record = AuditRecord.parse({ id: randomUUID(), at: now().toISOString(), ...fields });
      await js.publish(AUDIT_SUBJECT, JSON.stringify(record), { msgID: record.id });
      return record;
    },
  };
}
