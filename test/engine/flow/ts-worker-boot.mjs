// Boots a TypeScript worker entry under tsx: `new Worker(bootUrl, { workerData: { entry, ... } })`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
