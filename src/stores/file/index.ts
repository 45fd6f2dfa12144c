/** The file adapters: state (cursors, jobs, audit, dead letters, run lock) and source-side folds in files. */
export { defaultFileOps, type FileOps, writeFileAtomic } from './atomic.js';
export { FileDeadLetters } from './dead-letters.js';
export {
  defaultFileLockOptions,
  type FileLockOptions,
  type FilePaneStoreOptions,
  type FileStateStoreOptions,
} from './options.js';
export { FilePaneStore } from './pane-store.js';
export { takeFileLock } from './run-lock.js';
export {
  emptyStateFile,
  parseStateFile,
  type StateFile,
  type StoredCursor,
  stateFileSchema,
} from './state-format.js';
export { FileStateStore } from './state-store.js';
