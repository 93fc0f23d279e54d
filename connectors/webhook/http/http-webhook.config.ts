/** Configuration of the HTTP webhook connector: one zod schema, read from the environment by `fromEnv`. */
import { z } from 'zod';
import { envNumber, envString, parseConfig, type Env } from '../../config';

export const httpWebhookConfigSchema = z.object({
  signingSecret: z
    .string()
    .min(16)
    .describe('HMAC-SHA256 key for the X-Nudge-Signature header; receivers verify with the same secret.'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Milliseconds to wait for the whole response before the attempt counts as a (retryable) failure.'),
});

export type HttpWebhookConfigInput = z.input<typeof httpWebhookConfigSchema>;
export type HttpWebhookConfig = z.output<typeof httpWebhookConfigSchema>;

const envNames = { signingSecret: 'WEBHOOK_SECRET', timeoutMs: 'WEBHOOK_TIMEOUT_MS' };

export function fromEnv(env: Env): HttpWebhookConfig {
  const input = {
    signingSecret: envString(env.WEBHOOK_SECRET) ?? 'nudge-dev-webhook-secret-change-me',
    timeoutMs: envNumber(env.WEBHOOK_TIMEOUT_MS),
  };
  return parseConfig('webhook/http', httpWebhookConfigSchema, input, envNames);
}
