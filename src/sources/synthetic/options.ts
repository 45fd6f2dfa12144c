/** Options of the synthetic events seeder (demo, tests, benchmarks). */
import type { Logger } from 'pino';

export interface SeedOptions {
  /** Table name, optionally schema-qualified. Dropped and recreated unless `replace: false`. */
  table?: string;
  rows: number;
  /** CEPtra partition count N: `part_id = FNV-1a-64(key) mod N`. */
  partitions?: number;
  /** First event time (ns; truncated to µs, the resolution of timestamptz). */
  startNs?: bigint;
  /** Events are spread evenly over [startNs, startNs + spanMs). */
  spanMs?: number;
  seed?: number;
  /** Every N-th row starts a burst of 2-4 rows with the same key and timestamp (0 = none). */
  equalTsEvery?: number;
  /** Approximate JSON payload size in bytes. */
  payloadBytes?: number;
  /** Distinct keys (`user-<n>`). */
  keys?: number;
  /** One LIST partition (child table) per part_id. */
  listPartitioned?: boolean;
  eventIdType?: 'text' | 'bigint';
  /** Constant schema_key of every row. */
  schemaKey?: string;
  /** Drop an existing table first (default true); false fails if it exists. */
  replace?: boolean;
  logger?: Logger;
}

/** 2025-08-01T00:00:00Z, the demo window's start (config/demo-job.yaml). */
export const DEMO_START_NS = 1_754_006_400_000_000_000n;

export const defaultSeedOptions = {
  table: 'events',
  partitions: 16,
  startNs: DEMO_START_NS,
  spanMs: 3_600_000,
  seed: 1,
  equalTsEvery: 50,
  payloadBytes: 200,
  keys: 10_000,
  listPartitioned: false,
  eventIdType: 'text',
  schemaKey: 'json:1.0:synthetic',
  replace: true,
} as const satisfies Omit<Required<SeedOptions>, 'rows' | 'logger'>;

export type ResolvedSeedOptions = Omit<Required<SeedOptions>, 'logger'> & { logger?: Logger };

export function resolveSeedOptions(opts: SeedOptions): ResolvedSeedOptions {
  const o = { ...defaultSeedOptions, ...opts };
  const fail = (msg: string) => {
    throw new RangeError(`seedEvents: ${msg}`);
  };
  if (!Number.isSafeInteger(o.rows) || o.rows < 0)
    fail(`rows must be a non-negative integer (got ${o.rows})`);
  if (!Number.isInteger(o.partitions) || o.partitions < 1)
    fail(`partitions must be ≥ 1 (got ${o.partitions})`);
  if (!(o.spanMs > 0)) fail(`spanMs must be > 0 (got ${o.spanMs})`);
  if (!Number.isInteger(o.keys) || o.keys < 1) fail(`keys must be ≥ 1 (got ${o.keys})`);
  if (!Number.isInteger(o.equalTsEvery) || o.equalTsEvery < 0)
    fail(`equalTsEvery must be ≥ 0 (got ${o.equalTsEvery})`);
  if (o.startNs < 0n) fail('startNs must be ≥ 0');
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(o.table)) fail(`bad table name ${o.table}`);
  return o;
}
