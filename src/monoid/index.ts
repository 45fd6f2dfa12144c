export { MonoidError, MonoidErrorCode } from './errors.js';
export { ExactSum, roundScaled } from './exact-sum.js';
export { decodeF64, encodeF64 } from './f64.js';
export { HASH, xxh64, xxh64Into, xxh64StringInto } from './hash64.js';
export { compileJsonPath, extractPath, type JsonPath } from './json-path.js';
export {
  BUILTIN_BYTES,
  BUILTIN_EVENTS,
  builtinMetrics,
  defaultPaneFolderOptions,
  type MetricDef,
  MetricKind,
  MetricMode,
  type PaneFolderOptions,
  resolvePaneFolderOptions,
  validateMetricDef,
} from './options.js';
export { PaneFolder, paneOf } from './pane-folder.js';
export { countMonoid } from './reducers/count.js';
export { exactDistinctMonoid } from './reducers/distinct-exact.js';
export { HLL_P, hllEstimate, hllMonoid } from './reducers/hll.js';
export { KLL_DEFAULT_K, type KllState, kllMonoid, kllQuantile } from './reducers/kll.js';
export { maxMonoid, minMonoid } from './reducers/minmax.js';
export { type ExactSamples, exactQuantileMonoid, nearestRankIndex } from './reducers/quantile-exact.js';
export { type AvgState, avgMonoid, sumMonoid } from './reducers/sum.js';
export { compareTopk, TOPK_MAX_K, type TopkEntry, type TopkInput, topkMonoid } from './reducers/topk.js';
export { canonicalDef, inputFor, QUANTILE_DEFAULT_Q, reducerFor, TOPK_DEFAULT_K } from './registry.js';
export {
  compareEntries,
  comparePanes,
  type DiffOptions,
  diffSnapshots,
  diffWindows,
  mergeSnapshots,
  panesToWindows,
} from './snapshot.js';
export {
  type DivergentPane,
  type PaneEntry,
  type PaneKey,
  type PaneSnapshot,
  SNAPSHOT_FORMAT,
  type SnapshotDiff,
} from './snapshot-types.js';
export type { AnyMonoid, Json, Monoid, TimeWindow } from './types.js';
