/**
 * The dry run: what a `run` would do, per partition, before anything is sent. The JSON form of
 * the result is the plan artifact (`plan --json out.json`).
 */
import { formatNs } from '../common/civil.js';
import type { PartitionInfo, Source } from '../sources/source.js';
import type { CursorStore } from './cursor.js';
import type { JobSpec } from './types.js';

export interface PartitionPlan {
  partition: number;
  rows: number;
  exact: boolean;
  firstTsNs: bigint | null;
  lastTsNs: bigint | null;
  accessPath: string | null;
  resume: { tsNs: bigint; eventId: string; seq: bigint; acked: bigint; done: boolean } | null;
  /** Events still to send (rows minus what the cursor says was acknowledged; estimated when resuming). */
  remaining: number;
  requests: number;
}

/** Poison rows the preflight screen found in the window: `run` dead-letters them, never sends them. */
export interface PlanPoison {
  /** Rows screened (the routing check's rows: a sample of the window when `sampled`). */
  checked: number;
  sampled: boolean;
  /** Poison rows among them, and by reason. */
  total: number;
  byReason: Record<string, number>;
  /** The first few, in scan order; `eventId` as stored (null for NULL). */
  examples: { reason: string; partition: number; eventId: string | null }[];
}

export interface JobPlan {
  job: string;
  windows: { startNs: bigint; endNs: bigint }[];
  partitions: PartitionPlan[];
  totals: {
    rows: number;
    remaining: number;
    requests: number;
    exact: boolean;
    rate: number;
    etaSeconds: number;
  };
  notes: string[];
  warnings: string[];
  /** Set by `plan` from its preflight screen (absent from a bare `planJob`). */
  poison?: PlanPoison;
}

export interface PlanOptions {
  /** Events/s assumed for the ETA. */
  rate: number;
  exact: boolean;
  /** Estimated infos per window already read by the caller (used when not `exact`). */
  known?: PartitionInfo[][];
  notes?: string[];
  warnings?: string[];
}

export async function planJob(
  source: Source,
  store: CursorStore,
  spec: JobSpec,
  opts: PlanOptions,
): Promise<JobPlan> {
  const cursors = await store.load(spec.job);
  const merged = new Map<number, PartitionInfo>();
  for (const [i, w] of spec.windows.entries()) {
    const infos = (!opts.exact && opts.known?.[i]) || (await source.partitions(w, { exact: opts.exact }));
    for (const info of infos) {
      const prev = merged.get(info.partition);
      if (!prev) {
        merged.set(info.partition, { ...info });
        continue;
      }
      prev.rows += info.rows;
      prev.exact &&= info.exact;
      prev.firstTsNs = minTs(prev.firstTsNs, info.firstTsNs);
      prev.lastTsNs = maxTs(prev.lastTsNs, info.lastTsNs);
      prev.accessPath ??= info.accessPath;
    }
  }
  const partitions: PartitionPlan[] = spec.partitions.map((p) => {
    const info = merged.get(p);
    const c = cursors.get(p);
    const rows = info?.rows ?? 0;
    const remaining = c?.done ? 0 : Math.max(0, rows - (c ? Number(c.acked) : 0));
    return {
      partition: p,
      rows,
      exact: (info?.exact ?? true) && !c,
      firstTsNs: info?.firstTsNs ?? null,
      lastTsNs: info?.lastTsNs ?? null,
      accessPath: info?.accessPath ?? null,
      resume: c ? { tsNs: c.tsNs, eventId: c.eventId, seq: c.seq, acked: c.acked, done: c.done } : null,
      remaining,
      requests: Math.ceil(remaining / spec.batchSize),
    };
  });
  const rows = partitions.reduce((a, p) => a + p.rows, 0);
  const remaining = partitions.reduce((a, p) => a + p.remaining, 0);
  return {
    job: spec.job,
    windows: spec.windows.map((w) => ({ ...w })),
    partitions,
    totals: {
      rows,
      remaining,
      requests: partitions.reduce((a, p) => a + p.requests, 0),
      exact: partitions.every((p) => p.exact),
      rate: opts.rate,
      etaSeconds: opts.rate > 0 ? Math.ceil(remaining / opts.rate) : 0,
    },
    notes: opts.notes ?? [],
    warnings: opts.warnings ?? [],
  };
}

function minTs(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}
function maxTs(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** JSON with bigint as decimal strings (the plan artifact and `--json` outputs). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

export function nsToIso(ns: bigint | null): string | null {
  return ns === null ? null : formatNs(ns);
}
