/** The unit tier refuses processes and sockets, even when the code under test swallows the error. */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { takeAttempts, UnitTierViolation } from './unit-guard';

describe('unit tier guard', () => {
  it('refuses to start a process, naming it and where the test belongs', () => {
    expect(() => spawn('nats-server', ['-p', '0'])).toThrow(UnitTierViolation);
    expect(() => spawnSync('node', ['bin/nudge.js'])).toThrow(/may not start a process \(child_process\.spawnSync node\).*\*\.int\.test\.ts/);
    expect(takeAttempts()).toEqual(['start a process (child_process.spawn nats-server)', 'start a process (child_process.spawnSync node)']);
  });

  it('refuses to listen or connect, and remembers an attempt whose error was caught', async () => {
    expect(() => createServer().listen(0, '127.0.0.1')).toThrow(/may not listen on a socket/);
    try {
      connect({ host: '127.0.0.1', port: 4222 });
    } catch {
      // swallowed, as a connector turning a refused connection into a retryable failure would
    }
    await expect(fetch('http://127.0.0.1:4222/')).rejects.toThrow();
    expect(takeAttempts()).toEqual(['listen on a socket (listen 0 127.0.0.1)', 'open a socket (connect {"host":"127.0.0.1","port":4222})', expect.stringMatching(/^open a socket \(connect .*4222/)]);
  });
});
