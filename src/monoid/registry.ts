import { MonoidError, MonoidErrorCode } from './errors.js';
import { BUILTIN_BYTES, type MetricDef, MetricKind, MetricMode } from './options.js';
import { countMonoid } from './reducers/count.js';
import { exactDistinctMonoid } from './reducers/distinct-exact.js';
import { hllMonoid } from './reducers/hll.js';
import { KLL_DEFAULT_K, kllMonoid } from './reducers/kll.js';
import { maxMonoid, minMonoid } from './reducers/minmax.js';
import { exactQuantileMonoid } from './reducers/quantile-exact.js';
import { avgMonoid, sumMonoid } from './reducers/sum.js';
import { topkMonoid } from './reducers/topk.js';
import type { AnyMonoid } from './types.js';

export const TOPK_DEFAULT_K = 10;
export const QUANTILE_DEFAULT_Q = 0.5;

/** The reducer for a metric definition (validate the definition first). */
export function reducerFor(def: MetricDef): AnyMonoid {
  switch (def.kind) {
    case MetricKind.count:
      return countMonoid();
    case MetricKind.sum:
      return sumMonoid();
    case MetricKind.avg:
      return avgMonoid();
    case MetricKind.min:
      return minMonoid();
    case MetricKind.max:
      return maxMonoid();
    case MetricKind.quantile:
      return def.mode === MetricMode.kll
        ? kllMonoid(def.q ?? QUANTILE_DEFAULT_Q, def.k ?? KLL_DEFAULT_K)
        : exactQuantileMonoid(def.q ?? QUANTILE_DEFAULT_Q);
    case MetricKind.topk:
      return topkMonoid(def.k ?? TOPK_DEFAULT_K);
    case MetricKind.distinct:
      return def.mode === MetricMode.hll ? hllMonoid() : exactDistinctMonoid();
    default: {
      const never: never = def.kind;
      throw new MonoidError(MonoidErrorCode.BadMetric, `unknown metric kind ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Turns an extracted field value into the reducer's input, or undefined to skip the event for
 * this metric. Numeric kinds take JSON numbers only; topk/distinct take strings as they are and
 * other values as their JSON text (so the number 1 and the string "1" are the same key).
 * count with a field counts events where the field is present and not null.
 */
export function inputFor(def: MetricDef, v: unknown): unknown {
  if (def.name === BUILTIN_BYTES) return v;
  switch (def.kind) {
    case MetricKind.count:
      return v === undefined || v === null ? undefined : 1;
    case MetricKind.sum:
    case MetricKind.avg:
    case MetricKind.min:
    case MetricKind.max:
    case MetricKind.quantile:
      return typeof v === 'number' ? v : undefined;
    case MetricKind.topk:
    case MetricKind.distinct:
      return v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
    default: {
      const never: never = def.kind;
      return never;
    }
  }
}

/** Canonical form of a definition for compatibility checks (defaults filled in). */
export function canonicalDef(def: MetricDef): MetricDef {
  const out: MetricDef = { name: def.name, kind: def.kind };
  if (def.field !== undefined) out.field = def.field;
  if (def.kind === MetricKind.quantile) {
    out.q = def.q ?? QUANTILE_DEFAULT_Q;
    out.mode = def.mode ?? MetricMode.exact;
    if (out.mode === MetricMode.kll) out.k = def.k ?? KLL_DEFAULT_K;
  }
  if (def.kind === MetricKind.distinct) out.mode = def.mode ?? MetricMode.exact;
  if (def.kind === MetricKind.topk) out.k = def.k ?? TOPK_DEFAULT_K;
  return out;
}
