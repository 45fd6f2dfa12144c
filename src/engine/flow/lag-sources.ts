/**
 * Reads per-partition lag out of the two places a CEPtra target publishes it (contract §5):
 * Prometheus `/metrics` and `/readyz` JSON, in every spelling seen in spec and code.
 */
import { parsePromText } from './prom-text.js';
import { HEALTHY_APPLY_LAG_MS, HEALTHY_REPLICATION_LAG_MS, type PartitionLag } from './types.js';

type Kind = 'apply' | 'replication';

/** Series name → kind, unit scale to ms and rank (lower wins when one partition has several). */
const SERIES: Record<string, { kind: Kind; scale: number; rank: number }> = {
  ceptra_apply_lag_ms: { kind: 'apply', scale: 1, rank: 0 },
  apply_lag_ms: { kind: 'apply', scale: 1, rank: 1 },
  ceptra_apply_lag_seconds: { kind: 'apply', scale: 1000, rank: 2 },
  apply_lag_seconds: { kind: 'apply', scale: 1000, rank: 3 },
  ceptra_replication_lag_ms: { kind: 'replication', scale: 1, rank: 0 },
  replication_lag_ms: { kind: 'replication', scale: 1, rank: 1 },
  ceptra_replication_lag_seconds: { kind: 'replication', scale: 1000, rank: 2 },
  replication_lag_seconds: { kind: 'replication', scale: 1000, rank: 3 },
};

const PARTITION_LABELS = ['partition_id', 'part_id', 'partition'] as const;

export function partitionIdOf(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Negative or NaN readings are unusable; +Inf stays (it means "very late" and forces a cut). */
function usable(ms: number): number | null {
  if (Number.isNaN(ms) || ms === Number.NEGATIVE_INFINITY) return null;
  return Math.max(ms, 0);
}

/** Apply lag per partition from a `/metrics` body, or null when it carries no apply-lag series. */
export function lagFromMetrics(text: string): Map<number, PartitionLag> | null {
  const best = new Map<number, { apply?: [number, number]; replication?: [number, number] }>();
  for (const s of parsePromText(text, (n) => n in SERIES)) {
    const spec = SERIES[s.name]!;
    let pid: number | null = null;
    for (const l of PARTITION_LABELS) {
      if (s.labels[l] !== undefined) {
        pid = partitionIdOf(s.labels[l]);
        break;
      }
    }
    const ms = usable(s.value * spec.scale);
    if (pid === null || ms === null) continue;
    const entry = best.get(pid) ?? {};
    const cur = entry[spec.kind];
    if (!cur || spec.rank < cur[1]) entry[spec.kind] = [ms, spec.rank];
    best.set(pid, entry);
  }
  const out = new Map<number, PartitionLag>();
  for (const [pid, e] of best) {
    if (!e.apply) continue;
    const lag: PartitionLag = { applyLagMs: e.apply[0], exact: true };
    if (e.replication) lag.replicationLagMs = e.replication[0];
    out.set(pid, lag);
  }
  return out.size > 0 ? out : null;
}

/**
 * Apply lag per partition from a `/readyz` body (served with 200 or 503 alike). Object form:
 * `partitions["<id>"].metrics.apply_lag_ms`. Array form `[{partition_id, ready, reasons}]`:
 * `metrics` when present, else the `apply_lag` / `replication_lag` reasons as booleans.
 */
export function lagFromReadyz(body: string): Map<number, PartitionLag> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return null;
  }
  const parts = (doc as { partitions?: unknown } | null)?.partitions;
  const entries: [unknown, unknown][] = Array.isArray(parts)
    ? parts.map((p) => [(p as { partition_id?: unknown } | null)?.partition_id, p])
    : parts && typeof parts === 'object'
      ? Object.entries(parts)
      : [];
  const out = new Map<number, PartitionLag>();
  for (const [id, p] of entries) {
    const pid = partitionIdOf(id);
    if (pid === null || !p || typeof p !== 'object') continue;
    const lag = readyzPartition(p as Record<string, unknown>);
    if (lag) out.set(pid, lag);
  }
  return out.size > 0 ? out : null;
}

function readyzPartition(p: Record<string, unknown>): PartitionLag | null {
  const m = p.metrics as Record<string, unknown> | undefined;
  const apply = m ? msField(m, 'apply_lag') : null;
  if (apply !== null) {
    const lag: PartitionLag = { applyLagMs: apply, exact: true };
    const repl = msField(m!, 'replication_lag');
    if (repl !== null) lag.replicationLagMs = repl;
    return lag;
  }
  if (!Array.isArray(p.reasons)) return null;
  const reasons = p.reasons.map(String);
  return {
    applyLagMs: reasons.includes('apply_lag') ? HEALTHY_APPLY_LAG_MS + 1 : 0,
    replicationLagMs: reasons.includes('replication_lag') ? HEALTHY_REPLICATION_LAG_MS + 1 : 0,
    exact: false,
  };
}

/** `<base>_ms`, else `<base>_seconds` × 1000; numbers or decimal strings (contract §1). */
function msField(m: Record<string, unknown>, base: string): number | null {
  const ms = num(m[`${base}_ms`]);
  if (ms !== null) return usable(ms);
  const s = num(m[`${base}_seconds`]);
  return s === null ? null : usable(s * 1000);
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}
