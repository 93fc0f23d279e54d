/**
 * Twilio's webhooks: inbound messages (`POST /twilio/inbound`, what someone texted our number) and
 * message status callbacks (`POST /twilio/status`, how a send went). Both are accepted only with a valid
 * X-Twilio-Signature, which Twilio computes over the public URL it called (NUDGE_PUBLIC_URL + path +
 * query) and the form fields, keyed with the account's auth token.
 */
import twilio from 'twilio';
import { parseConfig, type Env } from '../../config';
import { DELIVERY_REF_PARAM, InboundRequestError, requireMediaType, requiredField, type InboundRequest, type ProviderInbound, type SmsNotice } from '../../inbound';
import { inboundFromEnv, twilioInboundConfigSchema, type TwilioInboundConfig } from './twilio.config';

/** An empty TwiML document: Twilio sends no reply to the inbound message. */
const EMPTY_TWIML = { contentType: 'text/xml; charset=utf-8', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' };

export function twilioInbound(config: TwilioInboundConfig): ProviderInbound<SmsNotice> {
  const { authToken } = parseConfig('sms/twilio', twilioInboundConfigSchema, config);
  const verifiedForm = (request: InboundRequest): Record<string, string> => {
    if (!authToken) throw new InboundRequestError(503, 'Twilio webhooks are not configured: set TWILIO_AUTH_TOKEN');
    const signature = request.headers['x-twilio-signature'];
    if (!signature) throw new InboundRequestError(403, 'missing X-Twilio-Signature header');
    requireMediaType(request, 'application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(request.body));
    if (!twilio.validateRequest(authToken, signature, request.publicUrl, form)) {
      throw new InboundRequestError(403, `X-Twilio-Signature does not match ${request.publicUrl} and its fields (check TWILIO_AUTH_TOKEN and NUDGE_PUBLIC_URL)`);
    }
    return form;
  };

  return {
    provider: 'twilio',
    unconfigured: authToken ? undefined : 'TWILIO_AUTH_TOKEN is not set: Twilio webhooks will be refused',
    routes: [
      {
        path: '/twilio/inbound',
        read(request) {
          const form = verifiedForm(request);
          return { kind: 'inbound_message', from: requiredField(form, 'From', /^.{1,64}$/), body: form.Body ?? '' };
        },
        reply: EMPTY_TWIML,
      },
      {
        path: '/twilio/status',
        read(request) {
          const form = verifiedForm(request);
          return {
            kind: 'delivery_status',
            providerMessageId: requiredField(form, 'MessageSid', /^[A-Za-z0-9]{2,64}$/),
            status: requiredField(form, 'MessageStatus', /^[a-z_-]{1,32}$/),
            errorCode: form.ErrorCode ? requiredField(form, 'ErrorCode', /^\d{1,10}$/) : undefined,
            // Ours, in the StatusCallback URL the connector sent (covered by the signature like the rest of the URL).
            deliveryRef: new URL(request.url, 'http://twilio').searchParams.get(DELIVERY_REF_PARAM) ?? undefined,
          };
        },
      },
    ],
  };
}

export async function twilioInboundFromEnv(env: Env): Promise<ProviderInbound<SmsNotice>> {
  return twilioInbound(inboundFromEnv(env));
}
