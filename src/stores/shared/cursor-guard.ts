/** The cursor fence both stores apply: a save never moves a cursor backwards. */
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { Cursor } from '../../engine/cursor.js';

/** Whether `next` may replace `stored`: a later epoch, or the same epoch at the same or a later seq. */
export function cursorMayMove(
  stored: Pick<Cursor, 'epoch' | 'seq'>,
  next: Pick<Cursor, 'epoch' | 'seq'>,
): boolean {
  return next.epoch > stored.epoch || (next.epoch === stored.epoch && next.seq >= stored.seq);
}

export function cursorRegression(job: string, refused: readonly Cursor[]): ReplayError {
  const parts = refused.map((c) => `${c.partition} (epoch ${c.epoch}, seq ${c.seq})`).join(', ');
  return new ReplayError(
    ErrorCode.CursorRegression,
    `job "${job}": refused to move the cursor of partition ${parts} backwards: another run of this job ` +
      'wrote a later position. Only one run of a job may write at a time; stop the other run first.',
    { details: { partitions: refused.map((c) => c.partition) } },
  );
}
