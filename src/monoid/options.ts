import { MonoidError, MonoidErrorCode } from './errors.js';
import { compileJsonPath } from './json-path.js';
import { TOPK_MAX_K } from './reducers/topk.js';

export const MetricKind = {
  count: 'count',
  sum: 'sum',
  avg: 'avg',
  min: 'min',
  max: 'max',
  quantile: 'quantile',
  topk: 'topk',
  distinct: 'distinct',
} as const;
export type MetricKind = (typeof MetricKind)[keyof typeof MetricKind];

export const MetricMode = { exact: 'exact', kll: 'kll', hll: 'hll' } as const;
export type MetricMode = (typeof MetricMode)[keyof typeof MetricMode];

/**
 * One pane metric. `field` is a JSON path into the parsed payload (`$.a.b`, `$.a[0]`); without
 * it, count counts events and the numeric kinds are not allowed. `q` is the quantile in [0, 1]
 * (kind `quantile`; default 0.5) — not the pane width, which is `paneNs` on the folder.
 * `mode`: quantile `exact` (default) | `kll`; distinct `exact` (default) | `hll`.
 * `k`: topk size (default 10, ≤ 100); KLL k (default 200).
 */
export interface MetricDef {
  name: string;
  kind: MetricKind;
  field?: string;
  q?: number;
  mode?: MetricMode;
  k?: number;
}

export const BUILTIN_EVENTS = 'ingest_events_total';
export const BUILTIN_BYTES = 'ingest_payload_bytes';

/** The two metrics CEPtra folds for every event (contract §7). */
export const builtinMetrics: readonly MetricDef[] = Object.freeze([
  Object.freeze({ name: BUILTIN_EVENTS, kind: MetricKind.count }),
  Object.freeze({ name: BUILTIN_BYTES, kind: MetricKind.sum }),
]);

export interface PaneFolderOptions {
  /** Pane width in ns; pane = floor(ts_ns / paneNs). CEPtra spec default 250 ms (code: 1000 ms). */
  paneNs: bigint;
  /** Extra payload-field metrics, folded after the two built-ins. */
  metrics: readonly MetricDef[];
}

export const defaultPaneFolderOptions = {
  paneNs: 250_000_000n,
  metrics: [],
} as const satisfies PaneFolderOptions;

const NAME = /^[A-Za-z_][A-Za-z0-9_:.-]*$/;
const MODES: Record<MetricKind, readonly MetricMode[]> = {
  count: [],
  sum: [],
  avg: [],
  min: [],
  max: [],
  quantile: [MetricMode.exact, MetricMode.kll],
  topk: [],
  distinct: [MetricMode.exact, MetricMode.hll],
};

function bad(field: string, msg: string): MonoidError {
  return new MonoidError(MonoidErrorCode.BadMetric, `${field}: ${msg}`);
}

/** Validates one metric definition; `at` names it in messages (e.g. `metrics[2]`). */
export function validateMetricDef(def: MetricDef, at = 'metric'): void {
  if (typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw bad(`${at}.name`, `must match ${NAME} (got ${JSON.stringify(def.name)})`);
  }
  const kinds = Object.values(MetricKind) as string[];
  if (!kinds.includes(def.kind))
    throw bad(`${at}.kind`, `must be one of ${kinds.join('|')} (got ${JSON.stringify(def.kind)})`);
  if (def.field !== undefined) {
    try {
      compileJsonPath(def.field);
    } catch (e) {
      throw bad(`${at}.field`, (e as Error).message);
    }
  } else if (def.kind !== MetricKind.count) {
    throw bad(`${at}.field`, `kind ${def.kind} needs a field path, e.g. '$.amount'`);
  }
  if (def.mode !== undefined && !MODES[def.kind].includes(def.mode)) {
    const allowed = MODES[def.kind];
    throw bad(
      `${at}.mode`,
      allowed.length
        ? `must be ${allowed.join('|')} for ${def.kind} (got ${def.mode})`
        : `not used by ${def.kind}; remove it`,
    );
  }
  if (def.q !== undefined && (def.kind !== MetricKind.quantile || !(def.q >= 0 && def.q <= 1))) {
    throw bad(
      `${at}.q`,
      def.kind === MetricKind.quantile
        ? `must be in [0, 1] (got ${def.q})`
        : `only for kind quantile; remove it`,
    );
  }
  if (def.k !== undefined) {
    const kll = def.kind === MetricKind.quantile && def.mode === MetricMode.kll;
    if (def.kind !== MetricKind.topk && !kll)
      throw bad(`${at}.k`, 'only for topk and quantile mode kll; remove it');
    const max = kll ? 65536 : TOPK_MAX_K;
    const min = kll ? 8 : 1;
    if (!Number.isInteger(def.k) || def.k < min || def.k > max)
      throw bad(`${at}.k`, `must be an integer in [${min}, ${max}] (got ${def.k})`);
  }
}

/** Validates options and returns the full metric list (built-ins first), frozen. */
export function resolvePaneFolderOptions(opts: Partial<PaneFolderOptions> = {}): {
  paneNs: bigint;
  metrics: readonly MetricDef[];
} {
  const paneNs = opts.paneNs ?? defaultPaneFolderOptions.paneNs;
  if (typeof paneNs !== 'bigint' || paneNs <= 0n)
    throw bad('paneNs', `must be a positive bigint of nanoseconds (got ${String(paneNs)})`);
  const extra = opts.metrics ?? defaultPaneFolderOptions.metrics;
  const names = new Set(builtinMetrics.map((m) => m.name));
  extra.forEach((m, i) => {
    validateMetricDef(m, `metrics[${i}]`);
    if (names.has(m.name))
      throw bad(`metrics[${i}].name`, `duplicate or built-in metric name ${JSON.stringify(m.name)}`);
    names.add(m.name);
  });
  return Object.freeze({
    paneNs,
    metrics: Object.freeze([...builtinMetrics, ...extra.map((m) => Object.freeze({ ...m }))]),
  });
}
