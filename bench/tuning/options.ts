/** Options of the tuning harness (`npm run bench:tuning -- [--quick] [--full] [--rows N] …`). */
import { parseArgs } from 'node:util';

export const Scenario = {
  throughput: 'throughput',
  utilisation: 'utilisation',
  step: 'step',
  scaling: 'scaling',
} as const;
export type Scenario = (typeof Scenario)[keyof typeof Scenario];

export interface TuningOptions {
  /** Rows of the main table (scenario 1 and the 1M point of scenario 4). */
  rows: number;
  /** Rows of the big table (scenario 4): 3M by default, 10M with --full. */
  bigRows: number;
  partitions: number;
  /** Per-partition apply rate of the emulator in scenarios 2-3 (C = partitions × this). */
  applyRate: number;
  /** Live traffic as a fraction of C. */
  liveFraction: number;
  /** Job window minutes (out of the seeded hour) replayed in scenario 2 / scenario 3. */
  utilWindowMin: number;
  stepWindowMin: number;
  /** Seconds from the first replayed event to the halving, and from the halving to the doubling. */
  stepPhaseS: number;
  /** Static sweep of scenario 1: [workers, batchSize, maxInFlight]. */
  sweep: readonly (readonly [number, number, number])[];
  /** Static sweep of scenario 2: [batchSize, maxInFlight]. */
  utilSweep: readonly (readonly [number, number])[];
  parallelPartitions: number;
  scenarios: readonly Scenario[];
  /** One extra --cpu-prof run of the adaptive replay (scenario 1) for the evidence. */
  profile: boolean;
  quick: boolean;
  record: boolean;
  /** Write the headline figures as JSON here (bench/regression.ts reads them). */
  json?: string;
}

/** Corners and middle of {1,2} × {250,1000,4000} × {1,4,16}: 8 static runs. */
const FULL_SWEEP = [
  [1, 250, 1],
  [1, 4000, 16],
  [1, 1000, 4],
  [2, 250, 1],
  [2, 250, 16],
  [2, 4000, 1],
  [2, 4000, 16],
  [2, 1000, 4],
] as const;

export const defaultTuningOptions: TuningOptions = {
  rows: 1_000_000,
  bigRows: 3_000_000,
  partitions: 16,
  applyRate: 1500,
  liveFraction: 0.1,
  utilWindowMin: 30,
  stepWindowMin: 40,
  stepPhaseS: 12,
  sweep: FULL_SWEEP,
  utilSweep: [
    [250, 1],
    [500, 2],
    [1000, 4],
  ],
  parallelPartitions: 16,
  scenarios: Object.values(Scenario),
  profile: true,
  quick: false,
  record: true,
};

/** `--quick`: ~3 minutes — fewer sweep points, shorter windows, 1M vs 1.5M for memory, no profile. */
const QUICK: Partial<TuningOptions> = {
  rows: 1_000_000,
  bigRows: 1_500_000,
  utilWindowMin: 12,
  stepWindowMin: 20,
  stepPhaseS: 6,
  sweep: [
    [1, 1000, 4],
    [2, 250, 1],
    [2, 4000, 16],
  ],
  utilSweep: [[500, 2]],
  profile: false,
  quick: true,
};

export function parseTuningArgs(argv: string[]): TuningOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      rows: { type: 'string' },
      'big-rows': { type: 'string' },
      only: { type: 'string' },
      'no-profile': { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const o: TuningOptions = { ...defaultTuningOptions, ...(values.quick ? QUICK : {}) };
  if (values.full) o.bigRows = 10_000_000;
  if (values.rows) o.rows = Number(values.rows);
  if (values['big-rows']) o.bigRows = Number(values['big-rows']);
  if (values['no-profile']) o.profile = false;
  if (values['no-record']) o.record = false;
  if (values.json) o.json = values.json;
  if (values.only) {
    const want = values.only.split(',');
    for (const w of want)
      if (!(Object.values(Scenario) as string[]).includes(w))
        throw new Error(`--only: unknown scenario ${w}`);
    o.scenarios = want as Scenario[];
  }
  if (!(o.rows >= 1000) || !(o.bigRows >= o.rows)) throw new Error('--rows ≥ 1000 and --big-rows ≥ --rows');
  return o;
}
