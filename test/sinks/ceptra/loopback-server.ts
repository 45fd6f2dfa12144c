/**
 * A scripted CEPtra stand-in on 127.0.0.1 (node:http, port 0) for client tests: the prefix rule
 * of `/append/batch`, optional replay sequencing, event-id dedup, and scripted faults per
 * request number (HTTP statuses, dropped sockets, hangs) and per event (throttle once, permanent).
 * It records what it applied, in order, so tests can assert nothing was lost, reordered or
 * applied twice. Independent of the client's encoder/decoder on purpose.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'destroy' }
  | { kind: 'destroyAfterApply' }
  | { kind: 'hang' };

export interface Applied {
  eventId: string;
  key: string;
  seq: string | undefined;
}

export interface LoopbackOptions {
  sequencing?: boolean;
  /** Advertised on every result. */
  hint?: { client_window_size: number; retry_backoff_ms: number } | null;
  /** 1-based request number (ingest routes only) → fault. */
  faults?: Map<number, Fault> | ((n: number) => Fault | undefined);
  /** Event id → reason: answered TransientBackpressure the first time it is seen. */
  throttleOnce?: Map<string, string>;
  /** Event id → permanent reason, every time. */
  permanent?: Map<string, string>;
  /** `/v1/state` status (404 to pretend it is not served). */
  stateStatus?: number;
  /** Event id → how many times it is answered OUT_OF_ORDER_SEQUENCE although it is next in line. */
  outOfOrder?: Map<string, number>;
  /** Forced status of `GET /v1/replay/streams/…` (e.g. 500: the target cannot say). */
  streamsStatus?: number;
}

type Wire = Record<string, unknown>;

export class LoopbackCeptra {
  readonly applied: Applied[] = [];
  readonly requests: Array<{ path: string; contentType: string; events: Wire[] }> = [];
  readonly seen = new Map<string, number>();
  /** Paths of control-plane GETs (`/v1/state`, `/v1/replay/streams/…`), in order. */
  readonly gets: string[] = [];
  private readonly appliedIds = new Set<string>();
  private readonly lastSeq = new Map<string, bigint>();
  private ingestCount = 0;
  private server: Server | undefined;
  private readonly hung: ServerResponse[] = [];
  url = '';

  constructor(readonly opts: LoopbackOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  private fault(n: number): Fault | undefined {
    const f = this.opts.faults;
    return typeof f === 'function' ? f(n) : f?.get(n);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/v1/state') {
      const status = this.opts.stateStatus ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        status === 200 ? JSON.stringify({ partitions: [], replay_sequencing: !!this.opts.sequencing }) : '{}',
      );
      return;
    }
    if (req.method === 'GET') this.gets.push(path);
    if (req.method === 'GET' && path.startsWith('/v1/replay/streams/') && this.opts.streamsStatus) {
      res.writeHead(this.opts.streamsStatus).end('{}');
      return;
    }
    if (req.method === 'GET' && path.startsWith('/v1/replay/streams/') && this.opts.sequencing) {
      const stream = decodeURIComponent(path.slice('/v1/replay/streams/'.length));
      const last = this.lastSeq.get(stream);
      res.writeHead(last === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(
        last === undefined ? '{"error":"not_found"}' : JSON.stringify({ stream, last_seq: String(last) }),
      );
      return;
    }
    if (req.method !== 'POST' || (path !== '/append' && path !== '/append/batch')) {
      res.writeHead(404).end();
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const events: Wire[] =
      path === '/append'
        ? [JSON.parse(text) as Wire]
        : contentType.includes('ndjson')
          ? text
              .split('\n')
              .filter((l) => l !== '')
              .map((l) => JSON.parse(l) as Wire)
          : (JSON.parse(text) as { events: Wire[] }).events;
    this.requests.push({ path, contentType, events });
    const fault = this.fault(++this.ingestCount);
    if (fault?.kind === 'destroy') return void req.socket.destroy();
    if (fault?.kind === 'hang') return void this.hung.push(res);
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '{}');
      return;
    }
    const results = this.process(events);
    if (fault?.kind === 'destroyAfterApply') return void req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(path === '/append' ? results[0] : { results, extra_field: 1 }));
  }

  private process(events: Wire[]): Wire[] {
    const blocked = new Set<string>();
    return events.map((e) => {
      const id = String(e.event_id);
      const key = Buffer.from(String(e.partition_key_b64), 'base64').toString('utf8');
      this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
      const out = (status: string, reason: string | null, extra: Wire = {}): Wire => {
        if (status !== 'Healthy') blocked.add(key);
        return {
          event_id: id,
          status,
          credit_hint: status === 'Healthy' ? 'Recover' : 'Hold',
          cep_credit_hint: this.opts.hint ?? null,
          cep_status_reason: reason,
          term: 1,
          index: String(this.applied.length),
          ...extra,
        };
      };
      if (blocked.has(key)) return out('TransientBackpressure', 'TRANSIENT_RETRY');
      const stream = typeof e.replay_stream === 'string' ? e.replay_stream : undefined;
      const seq = typeof e.replay_seq === 'string' ? BigInt(e.replay_seq) : undefined;
      if (this.opts.sequencing && stream !== undefined && seq !== undefined) {
        const last = this.lastSeq.get(stream) ?? 0n;
        if (seq <= last) return out('Healthy', null, { duplicate: true });
        if (seq > last + 1n) return out('TransientBackpressure', 'OUT_OF_ORDER_SEQUENCE');
        const ooo = this.opts.outOfOrder?.get(id) ?? 0;
        if (ooo > 0) {
          this.opts.outOfOrder!.set(id, ooo - 1);
          return out('TransientBackpressure', 'OUT_OF_ORDER_SEQUENCE');
        }
      } else if (this.appliedIds.has(id)) {
        return out('Healthy', null, { duplicate: true });
      }
      const perm = this.opts.permanent?.get(id);
      if (perm !== undefined) {
        if (stream !== undefined && seq !== undefined) this.lastSeq.set(stream, seq);
        return out('PermanentDurability', perm);
      }
      const throttle = this.opts.throttleOnce?.get(id);
      if (throttle !== undefined) {
        this.opts.throttleOnce!.delete(id);
        return out('TransientBackpressure', throttle);
      }
      if (stream !== undefined && seq !== undefined) this.lastSeq.set(stream, seq);
      this.appliedIds.add(id);
      this.applied.push({ eventId: id, key, seq: e.replay_seq as string | undefined });
      return out('Healthy', '0');
    });
  }
}
