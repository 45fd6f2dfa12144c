/** How both pane stores keep a fold's coverage (`FoldStatus`): text for the wide integers. */
import type { FoldStatus } from '../../engine/verify/types.js';

/** A fold status as both stores keep it (text for the wide integers). */
export interface StatusRow {
  partition: number;
  complete: boolean;
  covered_to_ts_ns: string | null;
  covered_seq: string | null;
  pane_ns: string;
  metrics: FoldStatus['metrics'];
}

export function statusToRow(s: FoldStatus): StatusRow {
  return {
    partition: s.partition,
    complete: s.complete,
    covered_to_ts_ns: s.coveredTo?.tsNs.toString() ?? null,
    covered_seq: s.coveredTo?.seq.toString() ?? null,
    pane_ns: s.paneNs.toString(),
    metrics: s.metrics,
  };
}

export function statusFromRow(r: StatusRow): FoldStatus {
  return {
    partition: r.partition,
    complete: r.complete,
    coveredTo:
      r.covered_to_ts_ns === null || r.covered_seq === null
        ? null
        : { tsNs: BigInt(r.covered_to_ts_ns), seq: BigInt(r.covered_seq) },
    paneNs: BigInt(r.pane_ns),
    metrics: r.metrics,
  };
}
