/** The in-memory state store (the simulator's) passes the state store suite (state-store.conformance.ts). */
import { describe } from 'vitest';
import { MemoryStateStore } from './memory-state-store';
import { stateStoreConformance } from './state-store.conformance';

describe('memory state store', () => {
  stateStoreConformance(async () => new MemoryStateStore());
});
