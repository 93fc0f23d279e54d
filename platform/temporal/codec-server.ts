/**
 * The codec server of Temporal's Web UI and CLI (`temporal workflow show --codec-endpoint`): POST /encode
 * and /decode take `{"payloads": [...]}` in proto JSON (base64 bytes) and answer the same shape, run
 * through nudge's payload codec. The Temporal server keeps only ciphertext; whoever holds the token
 * reads journeys decrypted. Browsers call it cross-origin from the Web UI, so the UI's origins are
 * allowed (preflight answered without a token; the POST itself needs it).
 *
 * The token comes as `Authorization: Bearer <token>` (the CLI's --codec-auth), or as the first path
 * segment (`<url>/<token>` as the Web UI's codec endpoint: the UI sends no custom header of its own
 * unless it runs with single sign-on and passes the user's access token, which is not ours).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError, type Config } from '../config';
import { AesGcmPayloadCodec, PayloadDecryptError, UnknownPayloadKeyError } from './payload-codec';
import { payloadKeysOf } from './payload-keys';

/** The protocol's payload: metadata values and data base64-encoded (proto3 JSON). */
const JsonPayload = z.object({ metadata: z.record(z.string(), z.base64()).optional(), data: z.base64().optional() });
export const CodecRequest = z.object({ payloads: z.array(JsonPayload) });
type JsonPayload = z.infer<typeof JsonPayload>;

const MAX_BODY_BYTES = 16 * 1024 * 1024; // a page of history's payloads; Temporal's own limit is 2 MB per payload

export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  /** Browser origins allowed to call (the Web UI's). */
  origins: readonly string[];
  host: string;
  port: number;
}

export interface CodecServerHandle {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const digest = (text: string) => createHash('sha256').update(text).digest();

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServerHandle> {
  const expected = digest(`Bearer ${options.token}`);
  // The CLI's --codec-auth sends the header value as given; accept the bare token too.
  const bare = digest(options.token);
  const authorized = (header: string | undefined) => header !== undefined && [expected, bare].some((want) => timingSafeEqual(digest(header), want));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin && options.origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    const route = /^\/(?:([^/]+)\/)?(encode|decode)$/.exec((req.url ?? '/').split('?')[0]!);
    if (req.method === 'OPTIONS') return void res.writeHead(origin && !options.origins.includes(origin) ? 403 : 204).end();
    if (!route) throw new HttpError(404, 'no such route: POST /encode or /decode (or /<token>/encode, /<token>/decode)');
    if (req.method !== 'POST') throw new HttpError(405, `/${route[2]} takes POST`);
    const pathToken = route[1] === undefined ? undefined : decodeURIComponent(route[1]);
    if (!authorized(req.headers.authorization) && !(pathToken !== undefined && authorized(pathToken))) {
      throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <NUDGE_CODEC_SERVER_TOKEN>, or use <url>/<token> as the endpoint');
    }
    const path = `/${route[2]}`;
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw new HttpError(400, `body is not JSON: ${(error as Error).message}`);
    }
    const parsed = CodecRequest.safeParse(body);
    if (!parsed.success) throw new HttpError(400, `body is not {"payloads": [...]}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
    const payloads = parsed.data.payloads.map(fromJson);
    const result = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: result.map(toJson) }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // An unknown key or a tampered payload is the caller's data, not a server fault: 400 with the reason.
      const status = error instanceof HttpError ? error.status : error instanceof UnknownPayloadKeyError || error instanceof PayloadDecryptError ? 400 : 500;
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: (error as Error).message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    server,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The codec server `nudge codec-server` and the demo run: the configured keys, token, origins and address. */
export async function codecServerOf(config: Config): Promise<CodecServerHandle> {
  const keys = payloadKeysOf(config);
  if (!keys) throw new ConfigError('NUDGE_PAYLOAD_KEYS: the codec server needs the payload keys (the same ones the engine and worker use)');
  if (!config.NUDGE_CODEC_SERVER_TOKEN) throw new ConfigError('NUDGE_CODEC_SERVER_TOKEN: needed, so only those who hold it read decrypted journeys (make one: openssl rand -hex 24)');
  const origins = config.NUDGE_CODEC_SERVER_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  return startCodecServer({ codec: new AesGcmPayloadCodec(keys), token: config.NUDGE_CODEC_SERVER_TOKEN, origins, host: config.NUDGE_CODEC_SERVER_HOST, port: config.NUDGE_CODEC_SERVER_PORT });
}
