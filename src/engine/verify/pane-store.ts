/**
 * The pane store: where a job's source-side fold is kept between `run` and `verify`, beside the
 * job's state (Postgres tables in schema `ceptra_replay`, or `<state file>.panes.ndjson`).
 */
import type { Logger } from '../../common/logger.js';
import type { StateConfig } from '../../config/types.js';
import { FilePaneStore } from './file-pane-store.js';
import { PgPaneStore } from './pg-pane-store.js';
import type { PaneStore } from './types.js';

export type { FoldStatus, FoldWrite, PaneStore } from './types.js';

export function createPaneStore(state: StateConfig, opts: { logger?: Logger } = {}): PaneStore {
  if ('url' in state) return new PgPaneStore(state.url, opts.logger);
  if ('file' in state) return new FilePaneStore(state.file);
  const unreachable: never = state;
  throw new Error(`unknown state config ${JSON.stringify(unreachable)}`);
}
