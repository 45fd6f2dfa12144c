/**
 * Test-only pool worker entry: the production partition task and drivers, with a sink that ends
 * its worker thread (`process.exit` in a worker thread ends the thread, not the process) on the
 * first send of one partition after `afterAcks` of that partition's batches were acknowledged.
 * So a batch is always in flight when the thread dies. It happens once per spec: the flag lives in
 * shared memory, so the fresh thread piscina starts for the resumed partition sees it.
 */
import { createWorkerPorts } from '../../../src/app/worker-ports.js';
import { makePartitionTask } from '../../../src/engine/pool/worker.js';

export interface CrashSpec {
  /** What the production factory builds its ports from. */
  ports: unknown;
  partition: number;
  afterAcks: number;
  /** One Int32: 1 once a thread has been killed. */
  crashed: SharedArrayBuffer;
}

export const CRASH_WORKER_FILE = new URL('./crash-worker.ts', import.meta.url).href;

export function crashSpec(ports: unknown, partition: number, afterAcks: number): CrashSpec {
  return { ports, partition, afterAcks, crashed: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT) };
}

export function hasCrashed(spec: CrashSpec): boolean {
  return Atomics.load(new Int32Array(spec.crashed), 0) === 1;
}

export default makePartitionTask(async (spec, hooks) => {
  const s = spec as CrashSpec;
  const ports = await createWorkerPorts(s.ports, hooks);
  const flag = new Int32Array(s.crashed);
  const send = ports.sink.send.bind(ports.sink);
  let acked = 0;
  ports.sink.send = async (batch, signal) => {
    const victim = batch.partition === s.partition;
    if (victim && acked >= s.afterAcks && Atomics.compareExchange(flag, 0, 0, 1) === 0) process.exit(86);
    const ack = await send(batch, signal);
    if (victim) acked++;
    return ack;
  };
  return ports;
});
