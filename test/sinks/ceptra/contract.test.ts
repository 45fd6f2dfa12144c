/** CeptraSink passes the shared Sink contract in every production configuration. */
import { createCeptraSink } from '../../../src/sinks/ceptra/index.js';
import { sinkContract } from '../sink-contract.js';

sinkContract('CeptraSink batch (ndjson), sequencing', () => ({
  open: (sim) => createCeptraSink({ url: sim.url, retryBaseMs: 5, retryCapMs: 40 }),
}));

sinkContract('CeptraSink batch (json), sequencing', () => ({
  open: (sim) => createCeptraSink({ url: sim.url, batchEncoding: 'json', retryBaseMs: 5, retryCapMs: 40 }),
}));

sinkContract('CeptraSink single (/append), sequencing', () => ({
  open: (sim) => createCeptraSink({ url: sim.url, mode: 'single', retryBaseMs: 5, retryCapMs: 40 }),
}));

sinkContract('CeptraSink batch, target without replay sequencing', () => ({
  replaySequencing: false,
  open: (sim) => createCeptraSink({ url: sim.url, retryBaseMs: 5, retryCapMs: 40 }),
}));
