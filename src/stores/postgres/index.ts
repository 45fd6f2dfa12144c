/** The Postgres adapters: schema `ceptra_replay`, its numbered migrations, run locks, state and pane stores. */
export { MIGRATION_LOCK_KEY, migrate, STATE_SCHEMA } from './migrate.js';
export { type Migration, migrations } from './migrations/index.js';
export {
  defaultPgLockOptions,
  defaultPgPaneStoreOptions,
  defaultPgStateStoreOptions,
  type PgLockOptions,
  type PgPaneStoreOptions,
  type PgStateStoreOptions,
} from './options.js';
export { PgPaneStore } from './pane-store.js';
export { RUN_LOCK_CLASS, takePgLock } from './run-lock.js';
export { PgStateStore } from './state-store.js';
