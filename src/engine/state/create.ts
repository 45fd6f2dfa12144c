/** Picks the state store for `config.state`: `{ url }` → Postgres, `{ file }` → JSON file. */
import type { Logger } from 'pino';
import type { StateConfig } from '../../config/types.js';
import type { StateStore } from '../cursor.js';
import { FileStateStore } from './file-store.js';
import { PgStateStore } from './pg-store.js';

export function createStateStore(state: StateConfig, opts: { logger?: Logger } = {}): StateStore {
  if ('url' in state) return new PgStateStore({ url: state.url, ...opts });
  if ('file' in state) return new FileStateStore({ file: state.file, ...opts });
  const unreachable: never = state;
  throw new Error(`unknown state config ${JSON.stringify(unreachable)}`);
}
