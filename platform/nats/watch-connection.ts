/**
 * Follows a NATS connection's status for a service that answers requests while connected (collector,
 * API): `setConnected(false)` on a disconnect, `true` on the reconnect, each logged once with what it
 * means for the service's callers. Ends when the connection closes.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger';

export async function watchConnection(nc: NatsConnection, log: Logger, setConnected: (connected: boolean) => void, whileDisconnected: string): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') {
      setConnected(false);
      log.warn(`NATS disconnected: ${whileDisconnected} until it is back`);
    } else if (status.type === 'reconnect') {
      setConnected(true);
      log.info('NATS reconnected');
    }
  }
}
