/** The in-memory Source test double (test/engine/memory-ports.ts) passes the shared contract too. */
import { MemorySource } from '../engine/memory-ports.js';
import { sourceContract } from './source-contract.js';

sourceContract('MemorySource (test double)', () => ({
  open: async (data) => new MemorySource(data),
}));
