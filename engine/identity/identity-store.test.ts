/** The in-memory identity store (the simulator's) passes the graph store suite (identity-store.conformance.ts). */
import { describe } from 'vitest';
import { identityStoreConformance } from './identity-store.conformance';
import { MemoryIdentityStore } from './identity-store';

describe('memory identity store', () => {
  identityStoreConformance(async () => new MemoryIdentityStore());
});
