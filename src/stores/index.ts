/**
 * The adapters of the engine's storage ports (`StateStore` in src/engine/cursor.ts, `PaneStore`
 * in src/engine/verify/types.ts), and the one place that picks one by config: `state: { url }` →
 * Postgres (schema `ceptra_replay`), `state: { file }` → files beside the state file.
 */
import { unreachable } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { StateConfig } from '../config/types.js';
import type { StateStore } from '../engine/cursor.js';
import type { PaneStore } from '../engine/verify/types.js';
import { FilePaneStore, FileStateStore } from './file/index.js';
import { PgPaneStore, PgStateStore } from './postgres/index.js';

export * from './file/index.js';
export * from './postgres/index.js';

export interface StoreDeps {
  logger?: Logger;
}

/** Cursors, job records, dead letters and run locks of `config.state`. */
export function createStateStore(state: StateConfig, deps: StoreDeps = {}): StateStore {
  if ('url' in state) return new PgStateStore({ url: state.url, ...deps });
  if ('file' in state) return new FileStateStore({ file: state.file, ...deps });
  return unreachable(state, 'state config');
}

/** Source-side folds of `config.state`, kept beside the job's state. */
export function createPaneStore(state: StateConfig, deps: StoreDeps = {}): PaneStore {
  if ('url' in state) return new PgPaneStore({ url: state.url, ...deps });
  if ('file' in state) return new FilePaneStore({ file: state.file });
  return unreachable(state, 'state config');
}
