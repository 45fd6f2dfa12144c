export { type CompareScope, compareFolds, type FoldComparison, scopeSnapshot } from './compare.js';
export { byPartition, canonicalMetrics, compareEntries, sameMetrics, snapshotOf } from './entries.js';
export { BatchFolder, type FoldSpec, PaneAccumulator } from './fold.js';
export { defaultVerifyOptions, type VerifyOptions } from './options.js';
export {
  decideFold,
  FoldDecision,
  type FoldDecisionInput,
  type FoldRecordResult,
  positionOf,
  RunFoldRecorder,
  storedFoldUsable,
} from './record.js';
export {
  GAP_REPORT_FORMAT,
  gapJobName,
  gapWindowsYaml,
  readGapWindows,
  renderVerifyText,
  verifyReportJson,
} from './report.js';
export { foldFromSource, type SourceFoldOptions, type SourceFoldResult } from './source-fold.js';
export { targetSnapshotFrom } from './target-export.js';
export { type FoldPosition, type FoldStatus, type FoldWrite, type PaneStore, samePosition } from './types.js';
export { type VerifyJobDeps, type VerifyJobInput, type VerifyReport, verifyJob } from './verify-job.js';
