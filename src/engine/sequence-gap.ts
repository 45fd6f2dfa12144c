/**
 * What the engine does with a SEQUENCE_GAP from the sink (the target's `last_seq` is behind the
 * batch it refused OUT_OF_ORDER_SEQUENCE, see `sinks/ceptra/resync.ts`). Resuming the partition
 * from its committed cursor re-sends every seq after it, which closes the gap exactly when the
 * target already has every seq up to the cursor (`cursor ≤ last_seq`): what it has comes back as
 * duplicates, the rest is applied. Two cases cannot be closed, and fail the partition with a
 * message naming the stream, the expected and the refused seq:
 * - the cursor is past `last_seq`: the target lost events it had acknowledged (restored from a
 *   backup, another writer rewound it); the seqs in between cannot be re-sent from the cursor;
 * - the same `last_seq` again after a resume: the target does not move past it (a refusal that
 *   does not consume its seq, against contract §2) — re-sending would loop forever.
 */
import { ErrorCode, ReplayError } from '../common/errors.js';

export class GapTracker {
  private lastSeen: bigint | null = null;

  /** The error to act on: the gap itself (resume from the cursor) or a non-retryable failure. */
  judge(gap: ReplayError, cursorSeq: bigint): ReplayError {
    const d = gap.details ?? {};
    const stream = String(d.stream ?? '?');
    const last = BigInt(String(d.lastSeq ?? '0'));
    const refused = String(d.refusedSeq ?? '?');
    const details = {
      stream,
      lastSeq: last.toString(),
      refusedSeq: refused,
      cursorSeq: cursorSeq.toString(),
    };
    if (cursorSeq > last) {
      return new ReplayError(
        ErrorCode.SequenceGapUnclosable,
        `replay stream ${stream}: CEPtra expects seq ${last + 1n} and refused seq ${refused}, but this job's ` +
          `committed cursor is at seq ${cursorSeq}: the target no longer has events it acknowledged ` +
          '(restored from a backup, or another writer). Resuming from the cursor cannot re-send them; ' +
          'start the job over under a new replay stream with `run --restart`.',
        { details },
      );
    }
    if (this.lastSeen === last) {
      return new ReplayError(
        ErrorCode.SequenceUnresolvable,
        `replay stream ${stream}: CEPtra expects seq ${last + 1n} but refused seq ${refused} ` +
          'OUT_OF_ORDER_SEQUENCE again after a re-send from the cursor: the target does not move past ' +
          `seq ${last + 1n} (a refusal that does not consume its seq?), so re-sending cannot close the gap.`,
        { details },
      );
    }
    this.lastSeen = last;
    return gap;
  }
}
