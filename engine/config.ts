/**
 * Runtime configuration from environment variables, validated with zod. Defaults match `nudge demo`
 * and `nudge dev`, so a local setup needs no variables at all. Connector settings (SMTP_*, TWILIO_*,
 * WEBHOOK_*, coupon pools) are validated by each connector's own config schema.
 */
import { z } from 'zod';
import { parseDuration } from '../rules/schema/parse-duration';

const DurationMs = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const ConfigSchema = z.object({
  NATS_URL: z.string().default('nats://127.0.0.1:4222').describe('NATS server URL(s), comma-separated.'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe('Temporal frontend host:port.'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  NUDGE_TASK_QUEUE: z.string().default('nudge-journeys').describe('Temporal task queue of journey workflows.'),
  NUDGE_RULES_DIR: z.string().default('rules').describe('Directory (or comma-separated files/directories) of rule files.'),
  NUDGE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16).describe('Partition count of the events stream; fixed when the stream is created.'),
  NUDGE_OWNED_PARTITIONS: z.string().default('all').describe('Partitions this engine process consumes: "all", or ranges like "0-7,12".'),
  NUDGE_DUPLICATE_WINDOW: DurationMs.default(parseDuration('1d')).describe('How long JetStream drops a repeated messageId.'),
  NUDGE_DAY_LENGTH: DurationMs.default(parseDuration('1d')).describe('How long one day of journey waiting lasts; the demo sets "10s" so a 2-day wait takes 20 s. Real deployments keep "1d".'),
  NUDGE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(0).describe('Port of the engine\'s Prometheus /metrics and /healthz endpoint on 127.0.0.1; 0 turns it off.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError('invalid configuration:\n' + parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return parsed.data;
}

/** The factor journey waits are multiplied by (1 in production). */
export const waitScaleOf = (config: Config) => config.NUDGE_DAY_LENGTH / parseDuration('1d');

/** Parses NUDGE_OWNED_PARTITIONS ("all" or "0-3,7") against the partition count. */
export function ownedPartitions(spec: string, count: number): number[] {
  if (spec.trim() === 'all') return Array.from({ length: count }, (_, i) => i);
  const owned = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new ConfigError(`NUDGE_OWNED_PARTITIONS: "${part}" is not a partition number or range like "0-7"`);
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (from > to || to >= count) throw new ConfigError(`NUDGE_OWNED_PARTITIONS: "${part}" is outside 0-${count - 1}`);
    for (let p = from; p <= to; p++) owned.add(p);
  }
  return [...owned].sort((a, b) => a - b);
}
