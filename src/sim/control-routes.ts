/** Control plane of the emulator: /healthz, /readyz, /v1/state, /v1/config (+ rollback). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REPLAY_STREAMS_PATH } from '../common/contract.js';
import { ConfigError } from '../common/errors.js';
import type { SimEngine } from './engine.js';
import { readJson, sendError, sendJson } from './http-util.js';

const APPLY_LAG_LIMIT_MS = 200;
const REPLICATION_LAG_LIMIT_MS = 250;

/**
 * `/readyz`: a partition is not ready with reason `apply_lag` above 200 ms and `replication_lag`
 * above 250 ms. HTTP 200 when ready, 503 when not (the body is the same JSON either way).
 * `?format=array` emits `partitions` as `[{partition_id, ready, reasons}]` (the code's spelling).
 */
export function handleReadyz(engine: SimEngine, url: URL, res: ServerResponse): void {
  const now = performance.now();
  const reasons = new Set<string>();
  const obj: Record<string, unknown> = {};
  const arr: unknown[] = [];
  for (const p of engine.partitions) {
    const applyLag = p.applyLagMs(now);
    const replLag = engine.replicationLagMs(p.id);
    const r: string[] = [];
    if (applyLag > APPLY_LAG_LIMIT_MS) r.push('apply_lag');
    if (replLag > REPLICATION_LAG_LIMIT_MS) r.push('replication_lag');
    for (const x of r) reasons.add(x);
    const metrics = { apply_lag_ms: Math.round(applyLag), replication_lag_ms: Math.round(replLag) };
    obj[String(p.id)] = { ready: r.length === 0, reasons: r, metrics };
    arr.push({ partition_id: p.id, ready: r.length === 0, reasons: r, metrics });
  }
  const ready = reasons.size === 0;
  const partitions = url.searchParams.get('format') === 'array' ? arr : obj;
  sendJson(res, ready ? 200 : 503, { ready, reasons: [...reasons], partitions });
}

export function handleState(engine: SimEngine, res: ServerResponse): void {
  const now = performance.now();
  const wall = Date.now();
  sendJson(res, 200, {
    replay_sequencing: engine.replaySequencing,
    config_version: engine.config.current.version,
    partitions: engine.partitions.map((p) => ({
      partition_id: p.id,
      routing_epoch: 1,
      applied_index: String(p.appliedIndex),
      committed_index: String(p.committedIndex),
      apply_lag_ms: Math.round(p.applyLagMs(now)),
      watermark_ts_ns: p.watermarkTsNs(wall),
    })),
  });
}

/**
 * `GET /v1/replay/streams/{stream}` (contract §2): the last seq the stream consumed, as a decimal
 * string; 404 when the stream was never seen. The id may arrive percent-encoded (`job%2F3%2F1`)
 * or raw (`job/3/1`). A target without replay sequencing does not serve the route at all.
 */
export function handleReplayStream(engine: SimEngine, path: string, res: ServerResponse): void {
  if (!engine.replaySequencing) {
    sendError(res, 404, 'not_found', `GET ${path}`);
    return;
  }
  let stream: string;
  try {
    stream = decodeURIComponent(path.slice(REPLAY_STREAMS_PATH.length));
  } catch {
    sendError(res, 400, 'bad_request', 'stream: invalid percent-encoding');
    return;
  }
  const last = engine.seq.get(stream);
  if (last === undefined) sendError(res, 404, 'stream_not_found', `replay stream ${stream} was never seen`);
  else sendJson(res, 200, { stream, last_seq: String(last) });
}

export async function handleConfig(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (url.pathname === '/v1/config/rollback') {
    if (req.method !== 'POST') return sendError(res, 405, 'method_not_allowed', 'use POST');
    const to = url.searchParams.get('to');
    if (to === null || !/^\d+$/.test(to))
      return sendError(res, 400, 'bad_request', `to: must be a version number (got ${to})`);
    const t0 = performance.now();
    const change = engine.config.rollback(Number(to));
    if (change === undefined) return sendError(res, 404, 'not_found', `to: unknown config version ${to}`);
    engine.applyConfig();
    return sendJson(res, 200, { ...change, duration_ms: performance.now() - t0 });
  }
  if (req.method === 'GET') return sendJson(res, 200, engine.config.current);
  if (req.method !== 'PATCH') return sendError(res, 405, 'method_not_allowed', 'use GET or PATCH');
  let body: unknown;
  try {
    body = await readJson(req, 1024 * 1024);
  } catch (e) {
    return sendError(res, 400, 'malformed_body', `invalid JSON (${(e as Error).message})`);
  }
  const t0 = performance.now();
  try {
    const change = engine.config.patch(body);
    engine.applyConfig();
    sendJson(res, 200, { ...change, duration_ms: performance.now() - t0 });
  } catch (e) {
    if (e instanceof ConfigError) return sendError(res, 400, 'invalid_config', e.message, { field: e.field });
    throw e;
  }
}
