/** What every scenario gets: options, the database, seeded tables, a logger, the results sink. */
import type { TuningOptions } from './options.js';

export interface TuningContext {
  opts: TuningOptions;
  dbUrl: string;
  /** events_<rows> (seeded once, reused) */
  table: string;
  log: (line: string) => void;
  /** Header line of every RESULTS.md section: machine, date, load. */
  stamp: () => string;
}

/** One goal of issue 4 §3, measured. */
export interface GoalRow {
  goal: string;
  measured: string;
  verdict: string;
}

export const staticFlow = (batchSize: number, maxInFlight: number, parallel: number) =>
  `mode: static, batchSize: ${batchSize}, maxInFlight: ${maxInFlight}, parallelPartitions: ${parallel}`;
