/**
 * One token of the HTTP API (`nudge api`) as configured in NUDGE_API_TOKENS: never the token itself,
 * only its SHA-256, so a leaked configuration lets nobody in. `nudge api token create` prints a token
 * once with the entry to add here.
 */
import { z } from 'zod';

export const API_ROLES = ['viewer', 'operator'] as const;
export const ApiRole = z.enum(API_ROLES).describe('viewer: reads profiles and journeys; operator: also exports, erases and posts events.');
export type ApiRole = z.output<typeof ApiRole>;

export const ApiTokenEntry = z
  .object({
    name: z.string().min(1).max(100).describe('Who holds the token, recorded as the actor of every audited action. Example: "zendesk".'),
    role: ApiRole,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the token\'s SHA-256 as 64 lowercase hex digits').describe('SHA-256 of the token (hex).'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the token stops working (ISO-8601); absent: never.'),
  })
  .strict();
export type ApiTokenEntry = z.output<typeof ApiTokenEntry>;

export const ApiTokens = z.array(ApiTokenEntry).superRefine((tokens, ctx) => {
  const names = new Set<string>();
  tokens.forEach((token, index) => {
    if (names.has(token.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${token.name}" is used by two tokens; names identify the actor in the audit stream` });
    names.add(token.name);
  });
});
