export { type FileOps, writeFileAtomic } from './atomic.js';
export { createStateStore } from './create.js';
export { deadLetterKey } from './dead-letter-key.js';
export { FileStateStore } from './file-store.js';
export { MIGRATION_LOCK_KEY, migrate, STATE_SCHEMA } from './migrate.js';
export { type Migration, migrations } from './migrations/index.js';
export * from './options.js';
export { PgStateStore } from './pg-store.js';
