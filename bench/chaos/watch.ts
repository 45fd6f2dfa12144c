/**
 * Watches the emulator while one run is alive: when the run first touched the target (any
 * ingest activity) and when its first *new* event was applied — a partition whose `applied`
 * passes what it had committed when the run started (events committed before that are drained
 * by the emulator on its own, after a kill too, so they do not count as recovery). At a slow
 * apply rate the ring's backlog delays that first apply, so the first new *accepted* event is
 * recorded too: it measures the replay's own restart.
 */
import { type SimClient, type SimTruth, sums } from './sim-client.js';

export interface RunWatch {
  /** ms after process start of the first ingest activity, or null. */
  activityAt(): number | null;
  /** ms after process start of the first new applied event, or null. */
  firstAppliedAt(): number | null;
  /** ms after process start of the first new event the target accepted (committed, not a duplicate), or null. */
  firstAcceptedAt(): number | null;
  /** Resolves when activity is seen or `timeoutMs` passes (true when seen). */
  untilActivity(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export function watchRun(sim: SimClient, before: SimTruth, startedAt: number, periodMs = 40): RunWatch {
  const base = sums(before);
  const committed0 = before.partitions.map((p) => p.committed);
  let activity: number | null = null;
  let applied: number | null = null;
  let accepted: number | null = null;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const s = await sim.stats();
        const now = Date.now() - startedAt;
        if (activity === null && sums(s).activity > base.activity) activity = now;
        if (applied === null && s.partitions.some((p, i) => p.applied > (committed0[i] ?? 0))) applied = now;
        if (accepted === null && s.partitions.some((p, i) => p.committed > (committed0[i] ?? 0)))
          accepted = now;
      } catch {
        // the emulator is local and should answer; a missed sample only delays a reading
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    activityAt: () => activity,
    firstAppliedAt: () => applied,
    firstAcceptedAt: () => accepted,
    async untilActivity(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (activity === null && !stopped && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, periodMs));
      return activity !== null;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
