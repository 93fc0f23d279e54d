/** `nudge dead-letters`: shows dead-lettered events with their reason and origin. */
import { jetstreamManager } from '@nats-io/jetstream';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { connect } from '@nats-io/transport-node';
import type { Config } from '../platform/config';
import { DEAD_LETTER_STREAM } from '../engine/events/subjects';

export async function runDeadLetters(config: Config, limit: number, out: (line: string) => void = console.log): Promise<number> {
  const nc = await connect(natsConnectOptions(config, 'nudge-dead-letters'));
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(DEAD_LETTER_STREAM).catch(() => null);
    if (!info || info.state.messages === 0) {
      out('no dead letters');
      return 0;
    }
    const first = Math.max(info.state.first_seq, info.state.last_seq - limit + 1);
    for (let seq = first; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq }).catch(() => null);
      if (!msg) continue;
      out(`#${seq} ${msg.time.toISOString()} from ${msg.header?.get('Nudge-Source-Subject')} seq ${msg.header?.get('Nudge-Source-Seq')}`);
      out(`   reason: ${msg.header?.get('Nudge-Reason')}`);
      out(`   data:   ${msg.string().slice(0, 500)}`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
