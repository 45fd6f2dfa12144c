/**
 * Ground truth: the emulator's apply log per partition against the source's `(event_time,
 * event_id)` order. Independent of the emulator's own counters (which are reported beside).
 */
import type { SimClient, SimTruth } from './sim-client.js';

export interface Verdict {
  events: number;
  applied: number;
  /** Source events never applied. */
  lost: number;
  /** Applies beyond the first of the same event id. */
  appliedTwice: number;
  /** Applies whose source rank is below the previous apply's rank in the same partition. */
  outOfOrder: number;
  /** Applied ids the source does not have. */
  unknown: number;
  /** Emulator counters, summed over partitions. */
  sim: { appliedTwice: number; outOfOrder: number; lateDropped: number };
  /** First partitions that differ (for the report). */
  examples: string[];
}

export function emptyVerdict(): Verdict {
  return {
    events: 0,
    applied: 0,
    lost: 0,
    appliedTwice: 0,
    outOfOrder: 0,
    unknown: 0,
    sim: { appliedTwice: 0, outOfOrder: 0, lateDropped: 0 },
    examples: [],
  };
}

/** Compares one partition's apply log with its source order; adds into `v`. */
export function comparePartition(p: number, expected: string[], applied: string[], v: Verdict): void {
  const rank = new Map<string, number>();
  for (let i = 0; i < expected.length; i++) rank.set(expected[i]!, i);
  const seen = new Uint8Array(expected.length);
  let prev = -1;
  let twice = 0;
  let ooo = 0;
  let unknown = 0;
  for (const id of applied) {
    const r = rank.get(id);
    if (r === undefined) {
      unknown++;
      continue;
    }
    if (seen[r]) twice++;
    seen[r] = 1;
    if (r < prev) ooo++;
    prev = r;
  }
  let lost = 0;
  for (const s of seen) if (!s) lost++;
  v.events += expected.length;
  v.applied += applied.length;
  v.lost += lost;
  v.appliedTwice += twice;
  v.outOfOrder += ooo;
  v.unknown += unknown;
  if ((lost || twice || ooo || unknown) && v.examples.length < 5)
    v.examples.push(`partition ${p}: lost ${lost}, twice ${twice}, out of order ${ooo}, unknown ${unknown}`);
}

export async function verify(
  sim: SimClient,
  expected: Map<number, string[]>,
  partitions: number,
): Promise<Verdict> {
  const truth: SimTruth = await sim.settle();
  const v = emptyVerdict();
  for (let p = 0; p < partitions; p++) comparePartition(p, expected.get(p) ?? [], await sim.applied(p), v);
  for (const t of truth.partitions) {
    v.sim.appliedTwice += t.applied_twice;
    v.sim.outOfOrder += t.replay_out_of_order;
    v.sim.lateDropped += t.late_dropped;
  }
  return v;
}

export function addVerdict(into: Verdict, v: Verdict): void {
  into.events += v.events;
  into.applied += v.applied;
  into.lost += v.lost;
  into.appliedTwice += v.appliedTwice;
  into.outOfOrder += v.outOfOrder;
  into.unknown += v.unknown;
  into.sim.appliedTwice += v.sim.appliedTwice;
  into.sim.outOfOrder += v.sim.outOfOrder;
  into.sim.lateDropped += v.sim.lateDropped;
  for (const e of v.examples) if (into.examples.length < 5) into.examples.push(e);
}
