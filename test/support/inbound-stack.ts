/**
 * A stack (startStack) with `nudge inbound` beside it, as the engagement and consent tests need: the
 * links and callbacks the engine's messages carry (NUDGE_PUBLIC_URL) must point at this run's inbound
 * service, so its port is chosen before the stack starts and the service takes it after.
 */
import { freePort } from '../../dev/servers/process';
import type { InboundServer } from '../../engine/inbound/inbound-server';
import { startInboundService } from '../../engine/inbound/inbound-service';
import { createLogger } from '../../platform/logger';
import { startStack, type Stack } from './stack';

export interface InboundStack extends Stack {
  inbound: InboundServer;
  /** Where the inbound service listens, as the messages' links name it (http://127.0.0.1:<port>). */
  publicUrl: string;
  /** Stops the inbound service, then the stack. */
  stop(): Promise<void>;
}

export async function startStackWithInbound(options: { rules: string; env?: Record<string, string> }): Promise<InboundStack> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const stack = await startStack({ rules: options.rules, env: { NUDGE_PUBLIC_URL: publicUrl, NUDGE_INBOUND_PORT: String(port), ...options.env } });
  let inbound: InboundServer;
  try {
    inbound = await startInboundService({ config: stack.config, env: { TWILIO_API_BASE: stack.twilio.url }, log: createLogger('inbound', 'silent') });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return {
    ...stack,
    inbound,
    publicUrl,
    async stop() {
      await inbound.stop();
      await stack.stop();
    },
  };
}
