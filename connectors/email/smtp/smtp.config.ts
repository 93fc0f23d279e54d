/** Configuration of the SMTP email connector: one zod schema, read from the environment by `fromEnv`. */
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { envBoolean, envNumber, envString, parseConfig, type Env } from '../../config';

/** Parses a From header value ("Name <addr@host>" or "addr@host") into its single mailbox, if it is one. */
export function parseFromAddress(from: string): { name: string; address: string } | undefined {
  const mailboxes = addressparser(from, { flatten: true });
  const only = mailboxes.length === 1 ? mailboxes[0] : undefined;
  return only && /^[^@\s]+@[^@\s]+$/.test(only.address) ? only : undefined;
}

export const smtpConfigSchema = z.object({
  host: z.string().min(1).describe('SMTP server host name or IP. Example: "smtp.example.com".'),
  port: z.number().int().min(1).max(65535).describe('SMTP server port. Example: 587.'),
  secure: z
    .boolean()
    .default(false)
    .describe('Connect with implicit TLS (usually port 465). False still upgrades with STARTTLS when offered.'),
  user: z.string().min(1).optional().describe('SMTP AUTH user name; omit for servers without authentication.'),
  pass: z.string().min(1).optional().describe('SMTP AUTH password; required when `user` is set.'),
  from: z
    .string()
    .refine((value) => parseFromAddress(value) !== undefined, 'expected one address, e.g. "nudge <nudge@example.com>"')
    .describe('The From header of every message. Its domain is also the right-hand side of Message-IDs.'),
  connectionTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Milliseconds to wait for the TCP connection, the greeting and each reply before giving up (retryable).'),
}).refine((config) => (config.user === undefined) === (config.pass === undefined), {
  message: 'user and pass must be given together',
  path: ['pass'],
});

export type SmtpConfigInput = z.input<typeof smtpConfigSchema>;
export type SmtpConfig = z.output<typeof smtpConfigSchema>;

const envNames = {
  host: 'SMTP_HOST',
  port: 'SMTP_PORT',
  secure: 'SMTP_SECURE',
  user: 'SMTP_USER',
  pass: 'SMTP_PASS',
  from: 'EMAIL_FROM',
  connectionTimeoutMs: 'SMTP_TIMEOUT_MS',
};

/** Reads the SMTP config from the environment; the defaults point at the local capture server of `nudge demo`. */
export function fromEnv(env: Env): SmtpConfig {
  const input = {
    host: envString(env.SMTP_HOST) ?? '127.0.0.1',
    port: envNumber(env.SMTP_PORT) ?? 2525,
    secure: envBoolean(env.SMTP_SECURE) ?? false,
    user: envString(env.SMTP_USER),
    pass: envString(env.SMTP_PASS),
    from: envString(env.EMAIL_FROM) ?? 'nudge <nudge@localhost>',
    connectionTimeoutMs: envNumber(env.SMTP_TIMEOUT_MS),
  };
  return parseConfig('email/smtp', smtpConfigSchema, input, envNames);
}
