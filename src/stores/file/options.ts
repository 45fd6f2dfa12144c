/** Options of the file adapters: the state store, its run lock, and the pane store beside it. */
import type { Logger } from '../../common/logger.js';
import type { FileOps } from './atomic.js';

export interface FileStateStoreOptions {
  /** The state file (JSON); audit, dead letters and the lock live beside it as `<file>.*`. */
  file: string;
  logger?: Logger;
  /** File-system calls used for writes; tests inject failures here. */
  fsOps?: Partial<FileOps>;
}

export interface FileLockOptions {
  logger?: Logger;
  /** How often the holder touches `<file>.lock` (its mtime is the heartbeat a second run shows). */
  heartbeatMs?: number;
}

export const defaultFileLockOptions = {
  heartbeatMs: 10_000,
} satisfies Partial<FileLockOptions>;

export interface FilePaneStoreOptions {
  /** The job's state file: the folds go to `<file>.panes.ndjson`. */
  file: string;
}
