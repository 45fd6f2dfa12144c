/** Small HTTP helpers over node:http (no framework on the hot path). */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLarge extends Error {}

/** Reads the whole body up to `limit` bytes; over it, keeps draining and rejects with BodyTooLarge. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
    });
    req.on('end', () =>
      over ? reject(new BodyTooLarge()) : resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  // Encode once: Buffer.byteLength + res.end(string) walked a 230 KB batch response twice
  // (writev was ~20 % of the emulator's CPU profile in bench/sim-ingest.ts).
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': contentType, 'content-length': buf.length, ...headers });
  res.end(buf);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, typeof body === 'string' ? body : JSON.stringify(body), 'application/json', headers);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error, detail, ...extra });
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const buf = await readBody(req, limit);
  if (buf.length === 0) return {};
  return JSON.parse(buf.toString('utf8'));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
