/** Sends email over SMTP with nodemailer, mapping SMTP replies onto the typed delivery errors. */
import { createHash } from 'node:crypto';
import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import type { EmailConnector, EmailMessage, SendResult } from '../../channels';
import { parseConfig, type Env } from '../../config';
import { DeliveryError, NonRetryableError, OutcomeUnknownError, TransientDeliveryError } from '../../errors';
import { fromEnv, parseFromAddress, smtpConfigSchema, type SmtpConfig, type SmtpConfigInput } from './smtp.config';

/**
 * The same idempotency key always yields the same Message-ID, so a retried send after a lost reply is
 * recognisable as a duplicate by receiving servers and by anyone reading the capture.
 */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  return `<nudge.${digest}@${domain}>`;
}

export class SmtpEmailConnector implements EmailConnector {
  readonly channel = 'email' as const;
  readonly provider = 'smtp';
  private readonly config: SmtpConfig;
  private readonly transporter: Transporter;
  private readonly messageIdDomain: string;

  constructor(config: SmtpConfigInput) {
    this.config = parseConfig('email/smtp', smtpConfigSchema, config);
    this.messageIdDomain = parseFromAddress(this.config.from)!.address.split('@')[1]!;
    const timeout = this.config.connectionTimeoutMs;
    this.transporter = nodemailer.createTransport({
      host: this.config.host,
      port: this.config.port,
      secure: this.config.secure,
      auth: this.config.user ? { user: this.config.user, pass: this.config.pass } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
  }

  static async fromEnv(env: Env): Promise<SmtpEmailConnector> {
    return new SmtpEmailConnector(fromEnv(env));
  }

  async send(message: EmailMessage): Promise<SendResult> {
    const messageId = messageIdFor(message.idempotencyKey, this.messageIdDomain);
    try {
      await this.transporter.sendMail({
        from: this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
        messageId,
      });
    } catch (error) {
      throw toDeliveryError(error as NodemailerError, message.to);
    }
    return { providerMessageId: messageId };
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

/**
 * 5xx replies are permanent: the same message would be refused again. A refused envelope (bad or
 * rejected recipient) gets its own reason so the journey can mark the address. Everything else —
 * 4xx replies, refused connections, timeouts — may succeed later and is retried.
 */
function toDeliveryError(error: NodemailerError, to: string): DeliveryError {
  const reply = error.response ? ` (${error.response})` : '';
  // nodemailer marks 503 "bad sequence" as not permanent although it is a 5xx; trust its judgement.
  const permanent = error.permanent ?? (error.responseCode !== undefined && error.responseCode >= 500);
  const envelopeRefused = error.code === 'EENVELOPE' && (permanent || error.responseCode === undefined);
  if (envelopeRefused) {
    const who = JSON.stringify(to);
    const message = error.responseCode === undefined ? `recipient ${who} is not a valid address: ${error.message}` : `SMTP server refused recipient ${who}${reply}`;
    return new NonRetryableError(message, 'rejected_address', { cause: error });
  }
  if (permanent) {
    return new NonRetryableError(`SMTP server rejected the message${reply}`, 'smtp_5xx', { cause: error });
  }
  // No SMTP reply and not a failure to connect: nodemailer reports a socket timeout or reset in any
  // stage the same way (command "CONN"), so the server may already hold the message. Better reported
  // as unknown than sent twice.
  if (error.responseCode === undefined && !neverConnected(error)) {
    return new OutcomeUnknownError(`SMTP server stopped answering; it may have received the message: ${error.message}`, { cause: error });
  }
  return new TransientDeliveryError(`SMTP delivery failed: ${error.message}`, { cause: error });
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EDNS', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The connection never got as far as an SMTP conversation, so nothing was handed over. */
function neverConnected(error: NodemailerError): boolean {
  const errno = (error as NodemailerError & { errno?: string }).errno;
  return CONNECT_FAILURES.has(error.code ?? '') || CONNECT_FAILURES.has(errno ?? '') || /Greeting never received|connect ECONNREFUSED/i.test(error.message);
}
