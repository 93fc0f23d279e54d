/**
 * Reading a tracker's request body: raw bytes (gzip allowed), at most a limit, parsed as JSON. Not
 * inbound's `readBody`: that one decodes text and stops reading at the limit, and a tracker that is
 * still sending when the connection closes sees a reset instead of the 413 and its reason, so an
 * oversize body here is read to the end (up to DRAIN_FACTOR times the limit) before it is refused.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { HttpError } from '../inbound/http-io';
import { jsonShapeProblem, MAX_JSON_DEPTH, MAX_OBJECT_KEYS } from '../events/json-shape';

const gunzipAsync = promisify(gunzip);

/** How much of an oversize body is still read (and dropped) so the client gets its 413. */
const DRAIN_FACTOR = 4;

const tooLarge = (limit: number, what = 'request body') => new HttpError(413, `${what} larger than ${limit} bytes (${limit / 1024} KB), Segment's limit for this endpoint`);

export async function readRequestBytes(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit * DRAIN_FACTOR) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit * DRAIN_FACTOR) throw tooLarge(limit);
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  if (size > limit) throw tooLarge(limit);
  return Buffer.concat(chunks);
}

/** Reads and drops a body the request is refused for anyway (bounded like readRequestBytes). */
export async function discardBody(request: IncomingMessage, limit: number): Promise<void> {
  await readRequestBytes(request, limit).catch(() => undefined);
}

/** The body as JSON: `Content-Encoding: gzip` is inflated (to at most `limit` bytes); any content type is read as JSON, as Segment does. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  let bytes = await readRequestBytes(request, limit);
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: limit });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit, 'inflated request body');
      throw new HttpError(400, `the body is not valid gzip: ${(error as Error).message}`);
    }
  } else if (encoding !== 'identity') {
    throw new HttpError(415, `unsupported Content-Encoding "${encoding}": send gzip or an uncompressed body`);
  }
  // Before JSON.parse and everything after it that recurses (the size check, the publish).
  const shape = jsonShapeProblem(bytes);
  if (shape) throw new HttpError(400, `${shape}: the body is refused (limits: ${MAX_JSON_DEPTH} levels, ${MAX_OBJECT_KEYS} keys per object)`);
  const text = bytes.toString('utf8');
  if (!text.trim()) throw new HttpError(400, 'empty body: expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message}`);
  }
}
