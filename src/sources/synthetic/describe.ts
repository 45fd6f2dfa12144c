/**
 * What `seedEvents` will write, computed without a database from the same PRNG stream: counts
 * and first/last event time per partition, and how many (partition, time) groups repeat a
 * timestamp. Tests compare it with the table.
 */
import { resolveSeedOptions, type SeedOptions } from './options.js';
import { rowShapes } from './rows.js';

export interface SeedDescription {
  rows: number;
  partitions: number;
  perPartition: number[];
  /** First / last event time per partition in ns (µs resolution), null for an empty partition. */
  firstTsNs: (bigint | null)[];
  lastTsNs: (bigint | null)[];
  /** (partition, event_time) pairs shared by more than one row. */
  equalTsGroups: number;
  /** Rows that share their (partition, event_time) with an earlier row. */
  equalTsRows: number;
}

export function describeSeed(opts: SeedOptions): SeedDescription {
  const o = resolveSeedOptions(opts);
  const perPartition = new Array<number>(o.partitions).fill(0);
  const first = new Array<number>(o.partitions).fill(-1);
  const last = new Array<number>(o.partitions).fill(-1);
  const run = new Array<number>(o.partitions).fill(0);
  let equalTsGroups = 0;
  let equalTsRows = 0;
  for (const r of rowShapes(o)) {
    const p = r.partition;
    perPartition[p]!++;
    if (first[p] === -1) first[p] = r.tsUs;
    // Times never decrease, so equal times of one partition are consecutive within it.
    if (last[p] === r.tsUs) {
      run[p]!++;
      equalTsRows++;
      if (run[p] === 2) equalTsGroups++;
    } else {
      run[p] = 1;
    }
    last[p] = r.tsUs;
  }
  const ns = (us: number) => (us < 0 ? null : BigInt(us) * 1000n);
  return {
    rows: o.rows,
    partitions: o.partitions,
    perPartition,
    firstTsNs: first.map(ns),
    lastTsNs: last.map(ns),
    equalTsGroups,
    equalTsRows,
  };
}
