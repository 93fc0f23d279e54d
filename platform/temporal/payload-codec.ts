/**
 * Encrypts every Temporal payload (journey inputs, signals, activity arguments and results, failure
 * messages) with AES-256-GCM before it leaves the process, so the Temporal server and anyone reading its
 * histories see ciphertext. The key id travels in the payload's metadata: rotation adds a key and makes
 * it current, and older histories still decrypt with the key they name.
 *
 * Runs in the worker's main thread and in clients (the data converter's codec step), never inside the
 * workflow sandbox: nothing under workflows/ imports this file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS module whose names Node's ESM loader cannot see: imported whole.
import proto from '@temporalio/proto';
import type { PayloadKeys } from './payload-keys';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const METADATA_ENCODING = 'encoding';
const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload names a key this process does not hold: adding the key (NUDGE_PAYLOAD_KEYS) fixes it, a retry does not. */
export class UnknownPayloadKeyError extends Error {
  readonly code = 'UNKNOWN_PAYLOAD_KEY';
  constructor(readonly keyId: string, known: readonly string[]) {
    super(`payload is encrypted with key "${keyId}", which is not in NUDGE_PAYLOAD_KEYS (known: ${known.join(', ') || 'none'})`);
    this.name = 'UnknownPayloadKeyError';
  }
}

/** The ciphertext or its authentication tag does not match: tampered with, truncated, or a wrong key under the same id. */
export class PayloadDecryptError extends Error {
  readonly code = 'PAYLOAD_DECRYPT_FAILED';
  constructor(readonly keyId: string, cause: unknown) {
    super(`payload encrypted with key "${keyId}" failed authentication (tampered, truncated, or a different key under that id): ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PayloadDecryptError';
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : '');

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keys.current;
    const key = this.keys.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated with the data, so moving a ciphertext under another id fails.
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING]: Buffer.from(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: Buffer.from(keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on (or by a client without it) pass through.
      if (text(payload.metadata?.[METADATA_ENCODING]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      const key = this.keys.keys.get(keyId);
      if (!key) throw new UnknownPayloadKeyError(keyId, [...this.keys.keys.keys()]);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      try {
        if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`${data.length} bytes is shorter than an IV and a tag`);
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(keyId, 'utf8'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain);
      } catch (error) {
        throw new PayloadDecryptError(keyId, error);
      }
    });
  }
}
