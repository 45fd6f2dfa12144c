/** Ground truth and test controls: /sim/stats, /sim/applied, /sim/panes, /sim/reset, /sim/faults. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError } from '../common/errors.js';
import type { SimEngine } from './engine.js';
import { IdDigest } from './hash.js';
import { readJson, sendError, sendJson } from './http-util.js';
import { handlePanes } from './panes-route.js';
import type { PartitionStats } from './types.js';

export interface SimStats {
  partitions: PartitionStats[];
  totals: Omit<PartitionStats, 'partition_id' | 'first_applied' | 'last_applied'>;
  live_generated: number;
  live_refused: number;
  /** Ingest requests processed (`/append/batch`, `/append`) and the events they carried. */
  requests: { batch: number; single: number; events: number };
  faults_injected: Record<string, number>;
}

const SUMMED = [
  'committed',
  'applied',
  'late_dropped',
  'duplicates_event_id',
  'duplicates_replay_seq',
  'divergent',
  'replay_applied',
  'live_applied',
  'client_applied',
  'replay_out_of_order',
  'applied_twice',
  'past_skew',
  'queue_depth',
] as const;

export function collectStats(engine: SimEngine): SimStats {
  const partitions = engine.partitions.map((p) => p.stats());
  const digest = new IdDigest();
  const totals = { rejected: {}, transient: {}, digest: '' } as SimStats['totals'];
  for (const k of SUMMED) totals[k] = 0;
  for (const [i, s] of partitions.entries()) {
    for (const k of SUMMED) totals[k] += s[k];
    for (const [r, n] of Object.entries(s.rejected)) totals.rejected[r] = (totals.rejected[r] ?? 0) + n;
    for (const [r, n] of Object.entries(s.transient)) totals.transient[r] = (totals.transient[r] ?? 0) + n;
    const d = engine.partitions[i]!.digest;
    digest.addParts(d.hi, d.lo);
  }
  totals.digest = digest.hex();
  return {
    partitions,
    totals,
    live_generated: engine.liveGenerated,
    live_refused: engine.liveRefused,
    requests: { ...engine.requests },
    faults_injected: { ...engine.faults.injected },
  };
}

/** NDJSON `{event_id, ts_ns, flags}` in apply order, written in chunks with back-pressure. */
async function streamApplied(engine: SimEngine, url: URL, res: ServerResponse): Promise<void> {
  const raw = url.searchParams.get('partition');
  const pid = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || pid >= engine.partitionCount) {
    return sendError(
      res,
      400,
      'bad_request',
      `partition: must be 0..${engine.partitionCount - 1} (got ${raw})`,
    );
  }
  const log = engine.partitions[pid]!.log;
  if (log === null) return sendError(res, 409, 'no_log', 'the applied log is off (keepAppliedLog: false)');
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const end = log.length;
  for (let from = 0; from < end; from += 10_000) {
    const ok = res.write(log.lines(from, Math.min(end, from + 10_000), engine.flagTable));
    if (!ok) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

/**
 * `PUT /sim/streams/{stream}` `{"last_seq": N}`: sets where a replay stream stands, as a target
 * restored from a backup (or rewound by another writer) would; 0 forgets the stream.
 */
async function setStream(engine: SimEngine, req: IncomingMessage, res: ServerResponse, path: string) {
  let stream: string;
  let body: unknown;
  try {
    stream = decodeURIComponent(path.slice('/sim/streams/'.length));
    body = await readJson(req, 4096);
  } catch (e) {
    return sendError(res, 400, 'bad_request', (e as Error).message);
  }
  const raw = (body as { last_seq?: unknown } | null)?.last_seq;
  const last = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0)
    return sendError(
      res,
      400,
      'bad_request',
      `last_seq: must be an integer ≥ 0 (got ${JSON.stringify(raw)})`,
    );
  if (last === 0) engine.seq.delete(stream);
  else engine.seq.set(stream, last);
  sendJson(res, 200, { stream, last_seq: String(last) });
}

export async function handleSim(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname;
  if (path === '/sim/stats' && req.method === 'GET') return sendJson(res, 200, collectStats(engine));
  if (path === '/sim/applied' && req.method === 'GET') return streamApplied(engine, url, res);
  if (path === '/sim/panes' && req.method === 'GET') return handlePanes(engine, url, res);
  if (path.startsWith('/sim/streams/') && req.method === 'PUT') return setStream(engine, req, res, path);
  if (path === '/sim/reset' && req.method === 'POST') {
    engine.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/sim/faults') {
    if (req.method === 'GET') return sendJson(res, 200, engine.faults.view(performance.now()));
    if (req.method === 'DELETE') {
      engine.faults.clear();
      return sendJson(res, 200, engine.faults.view(performance.now()));
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      try {
        engine.faults.setFromJson(await readJson(req, 1024 * 1024));
      } catch (e) {
        if (e instanceof ConfigError)
          return sendError(res, 400, 'invalid_faults', e.message, { field: e.field });
        return sendError(res, 400, 'malformed_body', (e as Error).message);
      }
      return sendJson(res, 200, engine.faults.view(performance.now()));
    }
  }
  sendError(res, 404, 'not_found', `${req.method} ${path}`);
}
