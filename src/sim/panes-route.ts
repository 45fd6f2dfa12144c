/**
 * `GET /sim/panes?partition=P&from=<ts_ns>&to=<ts_ns>`: the pane aggregates of what the emulator
 * applied, for `verify` to diff against the source-side fold.
 *
 * Answer: `{"pane_size_ns": "<top-level pane_size_ms in ns>", "partitions": {"<P>": snapshot}}`,
 * where each snapshot is the monoid module's serializable `PaneSnapshot`
 * (`{format: "ceptra-replay.panes/1", paneNs, metrics, entries: [{partition, metric, pane, state}]}`,
 * entries sorted by (partition, metric, pane); `pane` = floor(ts_ns / paneNs) as a decimal string;
 * `paneNs` per partition, since `pane_size_ms` may be overridden per partition). Without
 * `partition`, every partition is listed (empty `entries` when nothing was applied there);
 * `from` / `to` (decimal ns, either optional) keep the panes that intersect [from, to).
 */
import type { ServerResponse } from 'node:http';
import type { PaneSnapshot } from '../monoid/index.js';
import type { SimEngine } from './engine.js';
import { sendError, sendJson } from './http-util.js';

class BadQuery extends Error {}

function nsParam(url: URL, name: string): bigint | null {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return null;
  if (!/^\d{1,20}$/.test(raw))
    throw new BadQuery(`${name}: must be a decimal ts_ns (got ${JSON.stringify(raw)})`);
  return BigInt(raw);
}

function panes(engine: SimEngine, url: URL): unknown {
  const lo = nsParam(url, 'from');
  const hi = nsParam(url, 'to');
  if (lo !== null && hi !== null && hi <= lo) throw new BadQuery(`to must be after from (got ${hi} ≤ ${lo})`);
  const raw = url.searchParams.get('partition');
  let parts = engine.partitions;
  if (raw !== null) {
    const pid = Number(raw);
    if (!/^\d+$/.test(raw) || pid >= engine.partitionCount)
      throw new BadQuery(`partition: must be 0..${engine.partitionCount - 1} (got ${JSON.stringify(raw)})`);
    parts = [engine.partitions[pid]!];
  }
  const partitions: Record<string, PaneSnapshot> = {};
  for (const p of parts) partitions[String(p.id)] = p.fold.snapshot(lo, hi);
  const paneNs = BigInt(engine.config.current.pane_size_ms) * 1_000_000n;
  return { pane_size_ns: paneNs.toString(), partitions };
}

export function handlePanes(engine: SimEngine, url: URL, res: ServerResponse): void {
  let body: unknown;
  try {
    body = panes(engine, url);
  } catch (e) {
    if (!(e instanceof BadQuery)) throw e;
    sendError(res, 400, 'bad_request', e.message);
    return;
  }
  sendJson(res, 200, body);
}
