/**
 * The unit tier's setup file (runs in every unit test file's process): a unit test starts no server,
 * opens no socket and spawns no process. Each of those fails the test that tried, even when the code
 * under test catches the error (a connector turning a refused connection into a retryable failure):
 * the attempt is recorded and the test fails after it, naming what was tried. A test that needs any of
 * it belongs in another tier: `*.int.test.ts` (NATS, local fakes, child processes) or `test/e2e/`
 * (Temporal).
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterEach, expect } from 'vitest';

const require = createRequire(import.meta.url);
const attempts: string[] = [];

export class UnitTierViolation extends Error {
  constructor(what: string) {
    super(`a unit test may not ${what}: name the file *.int.test.ts (cheap local servers, processes) or move it to test/e2e/ (Temporal)`);
    this.name = 'UnitTierViolation';
  }
}

function refuse(what: string): never {
  attempts.push(what);
  throw new UnitTierViolation(what);
}

const describeArgs = (args: unknown[]) => args.filter((arg) => typeof arg === 'string' || typeof arg === 'number').slice(0, 2).join(' ');

const childProcess = require('node:child_process') as Record<string, unknown>;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = (...args: unknown[]) => refuse(`start a process (child_process.${name} ${describeArgs(args)})`);
}
const net = require('node:net') as typeof import('node:net');
net.Socket.prototype.connect = function connect(...args: unknown[]) {
  // net.connect() passes its normalised arguments as one array: [options, callback].
  const [target] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const where = typeof target === 'object' && target !== null ? JSON.stringify(target) : describeArgs(args);
  return refuse(`open a socket (connect ${where})`);
} as typeof net.Socket.prototype.connect;
net.Server.prototype.listen = function listen(...args: unknown[]) {
  return refuse(`listen on a socket (listen ${describeArgs(args)})`);
} as typeof net.Server.prototype.listen;
// ESM named imports of built-ins (`import { spawn } from 'node:child_process'`) see the replacements.
syncBuiltinESMExports();

/** What tests tried since the last call (and forgets it): the check after every test reads it. */
export const takeAttempts = (): string[] => attempts.splice(0);

afterEach(() => {
  expect(takeAttempts(), 'this unit test tried to use servers, sockets or processes').toEqual([]);
});
