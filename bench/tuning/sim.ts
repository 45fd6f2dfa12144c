/** The emulator as a child process, plus the few control calls the scenarios make. */
import { type SimChild, startSimChild } from '../../src/sim/child.js';

export interface SimArgs {
  partitions: number;
  /** events/s per partition */
  applyRate: number;
  /** events/s across partitions (0 = none) */
  liveRate?: number;
}

export function startSim(a: SimArgs): Promise<SimChild> {
  return startSimChild([
    '--partitions',
    String(a.partitions),
    '--apply-rate',
    String(a.applyRate),
    '--live-rate',
    String(a.liveRate ?? 0),
    '--no-applied-log',
  ]);
}

async function call(url: string, method: string, body?: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return text.length ? JSON.parse(text) : null;
}

/** PATCH /v1/config at the top level (all partitions). */
export const patchConfig = (base: string, cfg: Record<string, number>) =>
  call(`${base}/v1/config`, 'PATCH', cfg);
/** Queues, stats and config back to start (the config must be PATCHed again afterwards). */
export const resetSim = (base: string) => call(`${base}/sim/reset`, 'POST');

export interface StatsTotals {
  replay_applied: number;
  live_applied: number;
  applied: number;
  late_dropped: number;
  queue_depth: number;
}

export async function simTotals(base: string): Promise<StatsTotals> {
  const s = (await call(`${base}/sim/stats`, 'GET')) as { totals: StatsTotals };
  return s.totals;
}

/**
 * L wide enough that year-old replay events are not late: the sim's watermark is
 * max(WM, min(max_ts_seen − L, now − G)) per partition, and live traffic stamps now; the seed is
 * 2025-08-01, so L must exceed (now − 2025-08-01). 1000 days.
 */
export const WIDE_LATENESS_MS = 86_400_000_000;
