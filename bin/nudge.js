#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step): tsx registers a loader for .ts files first.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
