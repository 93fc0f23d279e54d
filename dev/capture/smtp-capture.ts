/**
 * A local SMTP server that keeps every message it receives in memory. The demo sends its email here,
 * and connector tests use it as the network edge instead of mocking nodemailer.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { MessageLog } from '../../connectors/testing/message-log';

export interface CapturedEmail {
  /** Envelope recipients (RCPT TO), comma-separated: who the message was actually delivered to. */
  to: string;
  /** The From header as written, e.g. `nudge <nudge@localhost>`. */
  from: string;
  subject: string;
  text: string;
  /** The HTML body, or undefined for a text-only message. */
  html?: string;
  messageId?: string;
  /** Header name (lower case) -> raw value; the last occurrence wins. */
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface SmtpCaptureOptions {
  /** Port to listen on; a free one is chosen when absent. */
  port?: number;
  /** Recipients refused at RCPT TO with `550 5.1.1`, to exercise the permanent-failure path. */
  rejectRecipients?: string[];
}

export interface SmtpCapture {
  host: string;
  port: number;
  messages(): CapturedEmail[];
  waitFor(predicate?: (message: CapturedEmail) => boolean, timeoutMs?: number): Promise<CapturedEmail>;
  /** Answers the next message's DATA with this reply code (e.g. 451 transient, 554 permanent). */
  failNext(responseCode: number, text?: string): void;
  /** Takes the next message, then never answers its DATA: the server holds it, the client cannot know. */
  hangNext(): void;
  clear(): void;
  stop(): Promise<void>;
}

type SmtpReplyError = Error & { responseCode: number };

function smtpError(responseCode: number, text: string): SmtpReplyError {
  return Object.assign(new Error(text), { responseCode });
}

export async function startSmtpCapture(options: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
  const host = '127.0.0.1';
  const log = new MessageLog<CapturedEmail>();
  const rejected = new Set((options.rejectRecipients ?? []).map((address) => address.toLowerCase()));
  const pendingFailures: SmtpReplyError[] = [];
  let pendingHangs = 0;

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    // Tests stop the server right after sending; do not wait the default 30 s for idle clients.
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      if (rejected.has(address.address.toLowerCase())) {
        return callback(smtpError(550, `5.1.1 <${address.address}>: recipient address rejected`));
      }
      callback();
    },
    onData(stream, session, callback) {
      const failure = pendingFailures.shift();
      const hang = !failure && pendingHangs > 0;
      if (hang) pendingHangs--;
      simpleParser(stream)
        .then((parsed) => {
          if (failure) return callback(failure);
          log.push(toCapturedEmail(parsed, session.envelope.rcptTo.map((rcpt) => rcpt.address)));
          if (hang) return; // no reply: the client times out with the message already here
          callback();
        })
        .catch((error: Error) => callback(smtpError(451, `4.3.0 could not parse message: ${error.message}`)));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    messages: () => log.all(),
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    failNext(responseCode, text = responseCode >= 500 ? '5.7.1 message refused' : '4.7.1 try again later') {
      pendingFailures.push(smtpError(responseCode, text));
    },
    hangNext: () => void pendingHangs++,
    clear: () => log.clear(),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function toCapturedEmail(parsed: ParsedMail, recipients: string[]): CapturedEmail {
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    headers[key] = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  }
  return {
    to: recipients.join(', '),
    from: headers.from ?? '',
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html === false ? undefined : parsed.html,
    messageId: parsed.messageId,
    headers,
    receivedAt: new Date(),
  };
}
