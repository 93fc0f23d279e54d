/**
 * Deployed rule set revisions in the NATS KV bucket `nudge_rules`. Each revision is immutable and kept
 * (history is append-only; a rollback is a new revision): its content — the gzipped JSON source —
 * under `blob.<id>.<i>` in chunks well under the server's max_payload (1 MB by default), and its
 * manifest under `rev.<n>` (written after every chunk, with the content's sha256). `current` names the
 * revision engines and workers run and moves only by compare-and-set, so two deploys racing cannot
 * both win and a reader that sees `current` always finds a complete revision.
 */
import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { parseRuleSetSource, UnreadableRevisionError, type RuleSetSource } from '../../rules/revision/rule-set-source';
import { isCasFailure } from '../../platform/nats/compare-and-set';

export const RULES_BUCKET = 'nudge_rules';
const CURRENT_KEY = 'current';
const manifestKey = (revision: number) => `rev.${revision}`;
/** Content is stored under a key of its own writer, so two deploys racing for one number never mix chunks. */
const chunkKey = (blob: string, chunk: number) => `blob.${blob}.${chunk}`;
/** Headroom under max_payload for the message's headers and subject. */
const CHUNK_HEADROOM = 16 * 1024;
const MAX_CHUNK = 512 * 1024;

export const RevisionManifestSchema = z
  .object({
    revision: z.number().int().min(1),
    contentHash: z.string().describe('sha256 of what the source says (file base names and texts): equal content, equal hash.'),
    sha256: z.string().describe('sha256 of the stored (gzipped) bytes, checked when read.'),
    bytes: z.number().int().min(0),
    chunks: z.number().int().min(1),
    blob: z.string().describe('Where the chunks are: blob.<blob>.<i>.'),
    deployedAt: z.string(),
    deployedBy: z.string(),
    message: z.string().optional(),
    rollbackOf: z.number().int().optional().describe('The revision whose content this one republished.'),
    rules: z.array(z.object({ id: z.string(), version: z.number(), enabled: z.boolean() })),
    tags: z.array(z.string()),
  })
  .strict();
export type RevisionManifest = z.output<typeof RevisionManifestSchema>;

const PointerSchema = z.object({ revision: z.number().int().min(1), at: z.string() }).strict();

export interface DeployedRevision {
  manifest: RevisionManifest;
  source: RuleSetSource;
}

/** Another deploy moved `current` first; nothing of ours stays published. Retryable: run the deploy again. */
export class DeployConflictError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'DeployConflictError';
  }
}

export class RevisionStore {
  constructor(private readonly kv: KV, private readonly chunkBytes: number) {}

  static async open(nc: NatsConnection, replicas = 1): Promise<RevisionStore> {
    const kv = await new Kvm(nc).create(RULES_BUCKET, { history: 1, replicas });
    return new RevisionStore(kv, Math.min(MAX_CHUNK, nc.info!.max_payload - CHUNK_HEADROOM));
  }

  /** The revision `current` points at, with the KV revision of the pointer (for compare-and-set); null before the first deploy. */
  async currentPointer(): Promise<{ revision: number; kvRevision: number } | null> {
    const entry = await this.kv.get(CURRENT_KEY);
    if (!entry || entry.operation !== 'PUT') return null;
    return { revision: PointerSchema.parse(entry.json()).revision, kvRevision: entry.revision };
  }

  /** Every revision's manifest, oldest first. */
  async history(): Promise<RevisionManifest[]> {
    const numbers: number[] = [];
    for await (const key of await this.kv.keys('rev.*')) {
      const match = /^rev\.(\d+)$/.exec(key);
      if (match) numbers.push(Number(match[1]));
    }
    const manifests = await Promise.all(numbers.sort((a, b) => a - b).map((n) => this.manifest(n)));
    return manifests.filter((m): m is RevisionManifest => m !== null);
  }

  async manifest(revision: number): Promise<RevisionManifest | null> {
    const entry = await this.kv.get(manifestKey(revision));
    if (!entry || entry.operation !== 'PUT') return null;
    const parsed = RevisionManifestSchema.safeParse(entry.json());
    if (!parsed.success) throw new UnreadableRevisionError(revision, `its manifest does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }

  /** A revision's manifest and source; null when it does not exist. Throws UnreadableRevisionError for content this build cannot read. */
  async read(revision: number): Promise<DeployedRevision | null> {
    const manifest = await this.manifest(revision);
    if (!manifest) return null;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const entry = await this.kv.get(chunkKey(manifest.blob, i));
      if (!entry || entry.operation !== 'PUT') throw new UnreadableRevisionError(revision, `chunk ${i + 1} of ${manifest.chunks} is missing`);
      parts.push(entry.value);
    }
    const bytes = Buffer.concat(parts);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) throw new UnreadableRevisionError(revision, 'its content does not match the sha256 of its manifest');
    let value: unknown;
    try {
      value = JSON.parse(gunzipSync(bytes).toString('utf8'));
    } catch (error) {
      throw new UnreadableRevisionError(revision, `its content is not gzipped JSON: ${(error as Error).message}`, { cause: error });
    }
    return { manifest, source: parseRuleSetSource(revision, value) };
  }

  /**
   * Publishes `source` as the next revision and points `current` at it, if `current` is still at
   * `expected` (the revision the caller validated against; null: none deployed). Chunks first, then the
   * manifest, then the pointer: a crash leaves at most an unreferenced revision, which history shows
   * as never current and the next deploy numbers past.
   */
  async publish(source: RuleSetSource, meta: Omit<RevisionManifest, 'revision' | 'sha256' | 'bytes' | 'chunks' | 'blob' | 'deployedAt'>, expected: { revision: number; kvRevision: number } | null): Promise<RevisionManifest> {
    const highest = (await this.history()).at(-1)?.revision ?? 0;
    const revision = Math.max(highest, expected?.revision ?? 0) + 1;
    const bytes = gzipSync(Buffer.from(JSON.stringify(source), 'utf8'));
    const chunks = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    const blob = randomUUID();
    for (let i = 0; i < chunks; i++) await this.kv.put(chunkKey(blob, i), bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes));
    const manifest: RevisionManifest = { ...meta, revision, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, chunks, blob, deployedAt: new Date().toISOString() };
    let numbered = false;
    try {
      await this.kv.create(manifestKey(revision), JSON.stringify(manifest));
      numbered = true;
      const pointer = JSON.stringify({ revision, at: manifest.deployedAt });
      if (expected) await this.kv.update(CURRENT_KEY, pointer, expected.kvRevision);
      else await this.kv.create(CURRENT_KEY, pointer);
    } catch (error) {
      if (!isCasFailure(error)) throw error;
      for (let i = 0; i < chunks; i++) await this.kv.delete(chunkKey(blob, i)).catch(() => undefined);
      if (numbered) await this.kv.delete(manifestKey(revision)).catch(() => undefined);
      throw new DeployConflictError(`another deploy published a revision while this one was being written; nothing was changed by this one — run it again (it validates against the new current revision)`);
    }
    return manifest;
  }

  /** Calls `onChange` with the revision `current` points at now and after every change, until `stop`. */
  async watchCurrent(onChange: (revision: number) => Promise<void>, stop: AbortSignal): Promise<void> {
    const watcher = await this.kv.watch({ key: CURRENT_KEY });
    stop.addEventListener('abort', () => watcher.stop(), { once: true });
    for await (const entry of watcher) {
      if (entry.operation !== 'PUT') continue;
      const pointer = PointerSchema.safeParse(entry.json());
      if (pointer.success) await onChange(pointer.data.revision);
    }
  }
}
