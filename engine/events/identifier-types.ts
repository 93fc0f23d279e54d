/**
 * Identifier types: which ids of an event can name a person, how strongly, and how many of each one
 * person may hold. From NUDGE_IDENTIFIERS (JSON); `userId` and `anonymousId` always exist because every
 * event carries one of them, other types are read from traits (identify traits and `context.traits`),
 * from fields of the context (`context.device.id`: the ids Segment's mobile and web SDKs put there)
 * and from Segment's `context.externalIds`.
 *
 *   priority   1 is the strongest. An event belongs to the person of its strongest known identifier;
 *              when two people merge, the one whose strongest identifier is stronger keeps its id.
 *   unique     a person holds one value of this type (two member ids are two people): a link that would
 *              give a person a second value is refused and recorded.
 *   limit      at most this many values per person (a shared device or a test phone number linking
 *              thousands of people stops here); a link beyond it is refused and recorded.
 */
import { z } from 'zod';
import { normalisePhone, type PhoneRegion } from '../../shared/phone';
import { identifierProblem } from './identifier-value';

export const IdentifierTypeName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/, 'a type name is a letter then letters, digits or "_" (at most 40)');

/** A field of Segment's `context`, as a dotted path: "device.id", "device.advertisingId". */
const ContextPath = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}(\.[a-zA-Z_][a-zA-Z0-9_]{0,63}){0,3}$/, 'a context path is up to four field names joined by ".", e.g. "device.id"');

export const IdentifierTypeSettings = z
  .object({
    priority: z.number().int().min(1).max(1000).meta({ description: '1 is the strongest identifier.' }),
    unique: z.boolean().default(false).meta({ description: 'A person holds at most one value of this type; two different values are two people.' }),
    limit: z.number().int().min(1).max(1000).optional().meta({ description: 'Most values of this type one person may hold (default 1 when unique, else 25).' }),
    traits: z.array(z.string().min(1)).default([]).meta({ description: 'Trait names that carry this identifier (identify traits and context.traits).' }),
    context: z.array(ContextPath).default([]).meta({ description: 'Dotted paths in the event\'s context that carry this identifier. Example: ["device.id"].' }),
    normalize: z.enum(['none', 'email', 'phone']).default('none').meta({ description: 'email: trimmed and lower-cased; phone: E.164 using NUDGE_PHONE_REGION for numbers without a country code (shared/phone.ts, as SMS sends read them).' }),
  })
  .strict()
  .refine((t) => !(t.unique && t.limit !== undefined && t.limit !== 1), { message: 'a unique type holds one value per person: drop "limit" or set "unique": false', path: ['limit'] });

export const IdentifierTypesConfig = z
  .record(IdentifierTypeName, IdentifierTypeSettings)
  .superRefine((types, ctx) => {
    for (const builtIn of ['userId', 'anonymousId']) {
      if (!types[builtIn]) ctx.addIssue({ code: 'custom', message: `the built-in type "${builtIn}" must be listed (every event carries userId or anonymousId)`, path: [builtIn] });
    }
    const byPriority = new Map<number, string>();
    for (const [name, settings] of Object.entries(types)) {
      const other = byPriority.get(settings.priority);
      if (other) ctx.addIssue({ code: 'custom', message: `priority ${settings.priority} is also "${other}"'s; priorities must differ so merges have one answer`, path: [name, 'priority'] });
      byPriority.set(settings.priority, name);
    }
  });

export type IdentifierTypesConfig = z.output<typeof IdentifierTypesConfig>;

export const DEFAULT_IDENTIFIER_TYPES: z.input<typeof IdentifierTypesConfig> = {
  userId: { priority: 1, unique: true },
  wechat_unionid: { priority: 2, unique: true, traits: ['wechat_unionid'] },
  email: { priority: 3, limit: 5, traits: ['email'], normalize: 'email' },
  phone: { priority: 4, limit: 5, traits: ['phone'], normalize: 'phone' },
  // Segment's standard device identifiers (its Identity Resolution defaults: device id, IDFA / Android
  // advertising id, push token). Weaker than the person's own ids, stronger than a cookie; a limit
  // because one person has a few devices, and a shared device must not link a household into one.
  device_id: { priority: 6, limit: 10, context: ['device.id'] },
  advertising_id: { priority: 7, limit: 10, context: ['device.advertisingId'] },
  push_token: { priority: 8, limit: 10, context: ['device.token'] },
  anonymousId: { priority: 10, limit: 25 },
};

export interface IdentifierType {
  name: string;
  priority: number;
  unique: boolean;
  limit: number;
  traits: string[];
  context: string[];
  normalize: 'none' | 'email' | 'phone';
}

const PHONES_KEPT = 10_000;

/** The configured types, strongest first, with limits filled in. */
export class IdentifierTypes {
  readonly ordered: IdentifierType[];
  private readonly byName: Map<string, IdentifierType>;
  /**
   * Phone numbers read lately, as written → E.164 (or null: not a valid number). libphonenumber costs
   * ~50 µs a number, the dearest step of resolving an identify event, and a person's identify events
   * carry the same number again and again. Forgotten all at once when full: a bound, not an LRU.
   */
  private readonly phones = new Map<string, string | null>();

  constructor(config: IdentifierTypesConfig, readonly phoneRegion: PhoneRegion) {
    this.ordered = Object.entries(config)
      .map(([name, t]) => ({ name, priority: t.priority, unique: t.unique, limit: t.unique ? 1 : (t.limit ?? 25), traits: t.traits, context: t.context, normalize: t.normalize }))
      .sort((a, b) => a.priority - b.priority);
    this.byName = new Map(this.ordered.map((t) => [t.name, t]));
  }

  static defaults(phoneRegion: PhoneRegion = 'US'): IdentifierTypes {
    return new IdentifierTypes(IdentifierTypesConfig.parse(DEFAULT_IDENTIFIER_TYPES), phoneRegion);
  }

  get(name: string): IdentifierType | undefined {
    return this.byName.get(name);
  }

  /** The value as it is stored and compared, or an error saying why it cannot identify anyone. */
  normalize(type: IdentifierType, raw: unknown): { ok: true; value: string } | { ok: false; reason: string } {
    if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
    if (typeof raw !== 'string') return { ok: false, reason: `${type.name} must be a string, got ${raw === null ? 'null' : typeof raw}` };
    const trimmed = raw.trim();
    // The one definition the envelope and the collector use too, so what they accept links here.
    const problem = identifierProblem(trimmed);
    if (problem) return { ok: false, reason: `${type.name} ${problem}` };
    switch (type.normalize) {
      case 'none':
        return { ok: true, value: trimmed };
      case 'email':
        return /^[^\s@]+@[^\s@]+$/.test(trimmed) ? { ok: true, value: trimmed.toLowerCase() } : { ok: false, reason: `${type.name} "${trimmed}" is not an email address` };
      case 'phone': {
        const phone = this.phone(trimmed);
        if (!phone) return { ok: false, reason: `${type.name} "${trimmed}" is not a valid phone number (numbers without a country code are read as ${this.phoneRegion}, NUDGE_PHONE_REGION)` };
        return { ok: true, value: phone };
      }
    }
  }

  private phone(written: string): string | null {
    let phone = this.phones.get(written);
    if (phone === undefined) {
      if (this.phones.size >= PHONES_KEPT) this.phones.clear();
      this.phones.set(written, (phone = normalisePhone(written, this.phoneRegion)));
    }
    return phone;
  }
}

export interface Identifier {
  type: string;
  value: string;
}

export const identifierText = (id: Identifier) => `${id.type}:${id.value}`;
