/**
 * Temporal reached over mutual TLS by configuration alone: a TLS-terminating proxy (a private CA, client
 * certificates required, ALPN h2 as a TLS frontend offers) in front of the test's dev server. The client
 * (engine, CLI) and the worker's native connection both get through with TEMPORAL_TLS_*; without a
 * client certificate the handshake is refused.
 */
import { connect as tcpConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../platform/config';
import { connectTemporalClient, temporalConnectOptions } from '../../platform/temporal/temporal-connection';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates';

let certs: TestCertificates;
let proxy: Server;
let address: string;

beforeAll(async () => {
  certs = makeTestCertificates();
  const [host, port] = inject('temporalAddress').split(':');
  proxy = createServer({
    key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca),
    requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'],
  }, (socket) => {
    const upstream = tcpConnect(Number(port), host!);
    socket.pipe(upstream).pipe(socket);
    const close = () => { socket.destroy(); upstream.destroy(); };
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  address = `localhost:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
});

describe('Temporal over mutual TLS', () => {
  it('the client and the worker connection reach Temporal with TEMPORAL_TLS_CA, _CERT and _KEY', async () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: certs.clientKey });
    const { connection } = await connectTemporalClient(config);
    try {
      expect((await connection.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
    const native = await NativeConnection.connect(temporalConnectOptions(config));
    await native.close();
  }, 30_000);

  it('without a client certificate the connection is refused', async () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA: certs.ca });
    await expect(connectTemporalClient(config, { connectTimeout: 3000 })).rejects.toThrow(/cannot reach Temporal at localhost:/);
  }, 30_000);
});
