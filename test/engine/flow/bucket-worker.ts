/**
 * Worker side of the shared token-bucket test: attaches to the parent's SharedArrayBuffer and
 * takes single-event grants until told to stop. The clock is read from the same shared buffer
 * (slot 0, ms as Float64) so both threads see one fake time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TokenBucket } from '../../../src/engine/flow/index.js';

const { bucket, clock, control } = workerData as {
  bucket: SharedArrayBuffer;
  clock: SharedArrayBuffer;
  control: SharedArrayBuffer;
};
const now = new Float64Array(clock);
const ctl = new Int32Array(control); // [0] = round requested by the parent, [1] = stop
const b = TokenBucket.attach(bucket, () => now[0]!);

let round = 0;
for (;;) {
  // Wait (not spin) for the parent to start the next round or stop.
  Atomics.wait(ctl, 0, round);
  if (Atomics.load(ctl, 1) === 1) break;
  round = Atomics.load(ctl, 0);
  let grants = 0;
  while (b.tryAcquire(1)) grants++;
  parentPort!.postMessage({ round, grants });
}
parentPort!.postMessage({ done: true });
