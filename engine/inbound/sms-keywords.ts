/**
 * Twilio's default opt-out keywords. Twilio itself blocks further messages to a number that sends one of
 * them (error 21610) and forwards the message to our inbound webhook, where it becomes an `unsubscribed`
 * event, so the profile agrees with Twilio and journeys stop trying. Like Twilio, the whole message must
 * be the keyword: "stop " counts, "please stop texting me" does not.
 */
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] as const;

export type OptOutKeyword = (typeof OPT_OUT_KEYWORDS)[number];

/** The keyword a message body is (trimmed, any case), or null when it is not an opt-out. */
export function optOutKeywordOf(body: string): OptOutKeyword | null {
  const word = body.trim().toUpperCase();
  return (OPT_OUT_KEYWORDS as readonly string[]).includes(word) ? (word as OptOutKeyword) : null;
}
