export { type CopyRow, CopyTextSplitter, splitCopyRow, unescapeCopyField } from './copy-text.js';
export { classifyPgError, type PgErrorRule, pgErrorTable } from './errors.js';
export type { ExplainReport } from './explain.js';
export {
  columnField,
  defaultPostgresSourceOptions,
  EventTimeUnit,
  type PostgresColumns,
  type PostgresSourceInput,
  type PostgresSourceOptions,
  resolvePostgresOptions,
} from './options.js';
export { createPostgresSource, PostgresSource, type PostgresSourceDeps } from './postgres-source.js';
export {
  defaultPayloadLimit,
  type PayloadLimit,
  type RoutingExample,
  type RoutingPoisonExample,
  type RoutingReport,
} from './routing.js';
export { formatPgTimestamp, parsePgTimestamp, type TimeCodec, timeCodec } from './time.js';
export type { TableMeta } from './types.js';
