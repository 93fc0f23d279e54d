/** Request reading and response writing for the inbound service (node:http, no framework). */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request refused with a status and a reason the caller can read. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Form posts and provider webhooks here are tiny (a Twilio webhook is ~1 KB); anything bigger is refused before it is read. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  if (Number(request.headers['content-length'] ?? 0) > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const mediaTypeOf = (request: IncomingMessage) => (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * The fields of an `application/x-www-form-urlencoded` body; `multipart/form-data` too when `allowMultipart`
 * (RFC 8058 lets one-click POSTs use either). Repeated names keep the last value.
 */
export async function readForm(request: IncomingMessage, options: { allowMultipart?: boolean } = {}): Promise<Record<string, string>> {
  const mediaType = mediaTypeOf(request);
  if (mediaType === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(await readBody(request)));
  if (mediaType === 'multipart/form-data' && options.allowMultipart) return parseMultipart(request, await readBody(request));
  const accepted = options.allowMultipart ? 'application/x-www-form-urlencoded or multipart/form-data' : 'application/x-www-form-urlencoded';
  throw new HttpError(415, `expected a ${accepted} body, got ${mediaType ? `"${mediaType}"` : 'no content type'}`);
}

/** Enough of multipart/form-data for small text fields (no files). */
function parseMultipart(request: IncomingMessage, body: string): Record<string, string> {
  const boundary = /boundary="?([^";]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new HttpError(400, 'multipart/form-data without a boundary');
  const fields: Record<string, string> = {};
  for (const part of body.split(`--${boundary}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(part.slice(0, split))?.[1];
    if (name !== undefined) fields[name] = part.slice(split + 4).replace(/\r\n$/, '');
  }
  return fields;
}

/** Pages here carry a secret token in their URL: never cache, frame or leak it through Referer. */
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

export function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', ...PAGE_HEADERS });
  response.end(html);
}

export function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  response.end(`${text}\n`);
}
