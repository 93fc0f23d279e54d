/**
 * One nats-server for the calling test file (started before its tests, stopped after), for the
 * integration tier's store suites: `const nats = natsPerFile()` at the top of the file, then
 * `nats.connection()` inside tests and `nats.bucketName('state_store_test')` for a bucket no other
 * test in the file uses (each suite case wants an empty bucket).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';

export interface NatsPerFile {
  /** The file's first connection (opened with the server). */
  connection(): NatsConnection;
  /** Another connection to the same server, closed with the others (to make requests really interleave). */
  connect(): Promise<NatsConnection>;
  bucketName(prefix: string): string;
}

export function natsPerFile(): NatsPerFile {
  let server: NatsServerHandle | undefined;
  const connections: NatsConnection[] = [];
  let buckets = 0;
  const open = async () => {
    if (!server) throw new Error('natsPerFile: the server is not started yet (call this inside a test or hook)');
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    return nc;
  };
  beforeAll(async () => {
    server = await startNats();
    await open();
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await server?.stop();
  });
  return {
    connection: () => {
      if (!connections[0]) throw new Error('natsPerFile: no connection yet (call this inside a test or hook)');
      return connections[0];
    },
    connect: open,
    bucketName: (prefix) => `${prefix}_${++buckets}`,
  };
}
