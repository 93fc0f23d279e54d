/** The in-memory cap store (the simulator's) passes the cap store suite (cap-store.conformance.ts). */
import { describe } from 'vitest';
import { capStoreConformance } from './cap-store.conformance';
import { MemoryCapStore } from './frequency-caps';

describe('memory cap store', () => {
  capStoreConformance(async () => {
    const store = new MemoryCapStore();
    return [store, store, store, store];
  });
});
