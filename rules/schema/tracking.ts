/** A rule's engagement tracking (`tracking`): which of its messages' engagement comes back as events. */
import { z } from 'zod';

export const RuleTracking = z
  .object({
    clicks: z.boolean().default(false).meta({
      description:
        'Rewrite the http(s) links of this rule\'s emails (html and text) and SMS to signed redirects through `nudge inbound` (NUDGE_PUBLIC_URL/c/…): each click is an `email_clicked` / `sms_clicked` event. mailto:, tel: and nudge\'s own links (unsubscribe) are left alone. Default false: messages go out with their links unchanged.',
    }),
    opens: z.boolean().default(false).meta({
      description:
        'Add a 1×1 open pixel (NUDGE_PUBLIC_URL/o/…) to this rule\'s html emails: loading it is an `email_opened` event. Mail clients that prefetch images (Apple Mail Privacy Protection) report opens nobody made; clicks are the stronger signal. Default false.',
    }),
  })
  .strict()
  .meta({ examples: [{ clicks: true, opens: true }] });

export type RuleTracking = z.output<typeof RuleTracking>;
