/** Numbered migrations, applied in order by `migrate.ts`. Append only; never edit a released one. */
import { migration0001 } from './0001_init.js';
import { migration0002 } from './0002_dead_letters.js';
import { migration0003 } from './0003_stream_epochs_locks.js';
import { migration0004 } from './0004_panes.js';
import { migration0005 } from './0005_pane_blocks.js';
import { migration0006 } from './0006_cursor_resume.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];
