/** The piscina worker entry of `run`: the engine's partition task with the CLI's drivers. */
import { makePartitionTask } from '../engine/pool/worker.js';
import { createWorkerPorts } from './worker-ports.js';

export default makePartitionTask(createWorkerPorts);
