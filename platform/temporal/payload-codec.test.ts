import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, PayloadDecryptError, UnknownPayloadKeyError } from './payload-codec';
import { PayloadKeysSetting, payloadKeyProblems } from './payload-keys';

const converter = new DefaultPayloadConverter();
const person = { email: 'ann@example.com', phone: '+4915112345678', traits: { plan: 'pro' } };
const keysOf = (ids: string[]) => new Map(ids.map((id) => [id, randomBytes(32)]));

describe('AesGcmPayloadCodec', () => {
  it('round-trips a payload, and the ciphertext holds neither the email nor the phone', async () => {
    const codec = new AesGcmPayloadCodec({ keys: keysOf(['k1']), current: 'k1' });
    const [encrypted] = await codec.encode([converter.toPayload(person)]);
    expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    const stored = Buffer.from(encrypted!.data!).toString('latin1');
    expect(stored).not.toContain('ann@example.com');
    expect(stored).not.toContain('4915112345678');
    const [decoded] = await codec.decode([encrypted!]);
    expect(converter.fromPayload(decoded!)).toEqual(person);
  });

  it('rotation: a payload encrypted with the old key still decrypts, new payloads use the current key', async () => {
    const keys = keysOf(['old', 'new']);
    const before = new AesGcmPayloadCodec({ keys, current: 'old' });
    const after = new AesGcmPayloadCodec({ keys, current: 'new' });
    const [old] = await before.encode([converter.toPayload(person)]);
    expect(converter.fromPayload((await after.decode([old!]))[0]!)).toEqual(person);
    const [fresh] = await after.encode([converter.toPayload(person)]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('new');
  });

  it('a payload under a key this process does not hold is refused, naming the key id', async () => {
    const [encrypted] = await new AesGcmPayloadCodec({ keys: keysOf(['gone']), current: 'gone' }).encode([converter.toPayload(person)]);
    const error = await new AesGcmPayloadCodec({ keys: keysOf(['k1']), current: 'k1' }).decode([encrypted!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownPayloadKeyError);
    expect((error as Error).message).toContain('"gone"');
  });

  it('a tampered ciphertext, a truncated one and a ciphertext moved under another key id are refused', async () => {
    const keys = keysOf(['a', 'b']);
    const codec = new AesGcmPayloadCodec({ keys, current: 'a' });
    const [encrypted] = await codec.encode([converter.toPayload(person)]);
    const flipped = Buffer.from(encrypted!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data: flipped }])).rejects.toBeInstanceOf(PayloadDecryptError);
    await expect(codec.decode([{ ...encrypted!, data: flipped.subarray(0, 10) }])).rejects.toBeInstanceOf(PayloadDecryptError);
    const moved = { ...encrypted!, metadata: { ...encrypted!.metadata, 'encryption-key-id': Buffer.from('b') } };
    await expect(codec.decode([moved])).rejects.toThrow(/key "b" failed authentication/);
  });

  it('payloads written before encryption was on pass through decode unchanged', async () => {
    const plain = converter.toPayload(person);
    const [decoded] = await new AesGcmPayloadCodec({ keys: keysOf(['k1']), current: 'k1' }).decode([plain]);
    expect(decoded).toBe(plain);
  });
});

describe('NUDGE_PAYLOAD_KEYS', () => {
  const key = randomBytes(32).toString('base64');
  it('parses ids and 32-byte keys, and names the key that is wrong', () => {
    expect([...PayloadKeysSetting.parse(`k1:${key}, k2:${key}`).keys()]).toEqual(['k1', 'k2']);
    expect(PayloadKeysSetting.parse(undefined).size).toBe(0);
    expect(PayloadKeysSetting.safeParse(`short:${randomBytes(16).toString('base64')}`).error?.issues[0]?.message).toMatch(/key "short": 16 bytes/);
    expect(PayloadKeysSetting.safeParse(key).error?.issues[0]?.message).toMatch(/<id>:<base64 key>/);
    expect(PayloadKeysSetting.safeParse(`k1:${key},k1:${key}`).error?.issues[0]?.message).toMatch(/"k1" is listed twice/);
  });
  it('needs a current key that exists when more than one is listed', () => {
    const two = PayloadKeysSetting.parse(`k1:${key},k2:${key}`);
    expect(payloadKeyProblems(two, undefined)[0]).toMatch(/NUDGE_PAYLOAD_KEY_CURRENT: needed/);
    expect(payloadKeyProblems(two, 'k3')[0]).toMatch(/"k3" is not one of NUDGE_PAYLOAD_KEYS \(k1, k2\)/);
    expect(payloadKeyProblems(two, 'k2')).toEqual([]);
    expect(payloadKeyProblems(new Map(), 'k1')[0]).toMatch(/lists no keys/);
  });
});
