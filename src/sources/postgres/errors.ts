/**
 * The source's reading of Postgres failures: every failure of a source query is a
 * ReplayError('SOURCE_ERROR') through the shared table in src/common/pg-errors.ts. The engine and
 * the chaos tests use `classifyPgError` for every source failure; `classifyPgConnectError` and
 * `pgConnectFailure` (connecting to the source or state database) are re-exported for the CLI.
 */

import type { ReplayError } from '../../common/errors.js';
import { ErrorCode } from '../../common/errors.js';
import { classifyPgQueryError } from '../../common/pg-errors.js';

export {
  classifyPgConnectError,
  type PgEndpoint,
  type PgErrorRule,
  pgConnectFailure,
  pgErrorTable,
} from '../../common/pg-errors.js';

/** A failure of a source query (or its connection) as ReplayError('SOURCE_ERROR'). */
export function classifyPgError(e: unknown): ReplayError {
  return classifyPgQueryError(e, { code: ErrorCode.SourceError, label: 'Postgres source' });
}
