/** Shared emulator types. */

/** Runtime knobs (contract §6), settable top-level or per partition through `/v1/config`. */
export interface Knobs {
  lateness_allowance_ms: number;
  correction_horizon_ms: number;
  pane_size_ms: number;
  dedup_capacity_per_partition: number;
  apply_rate: number;
}
export type KnobName = keyof Knobs;

export const Impact = { Hot: 'Hot', Reconfigure: 'Reconfigure', Restart: 'Restart' } as const;
export type Impact = (typeof Impact)[keyof typeof Impact];

/** Kind bits of a queued event. */
export const EventKind = { Client: 0, Replay: 1, Live: 2 } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** Ground truth of one partition (`GET /sim/stats`). */
export interface PartitionStats {
  partition_id: number;
  committed: number;
  applied: number;
  late_dropped: number;
  rejected: Record<string, number>;
  transient: Record<string, number>;
  duplicates_event_id: number;
  duplicates_replay_seq: number;
  divergent: number;
  replay_applied: number;
  live_applied: number;
  client_applied: number;
  replay_out_of_order: number;
  applied_twice: number;
  past_skew: number;
  queue_depth: number;
  first_applied: { ts_ns: string; event_id: string } | null;
  last_applied: { ts_ns: string; event_id: string } | null;
  digest: string;
}
