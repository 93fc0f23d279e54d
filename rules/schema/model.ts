/**
 * Model files (rules/models/<id>.json): a prediction nudge trains from the behavior stream (`nudge
 * train`) and scores at event time (the `score` fact). The file names the label, the features, where the
 * training events come from and how snapshots are sampled. Features are the facts rules use (count,
 * secondsSinceLast, tags, traits), always as of a snapshot time: a window is a length that reaches back
 * from the snapshot, never a position, so no feature can read behavior after it (the label's period).
 * This schema is the single source of the ModelFile type, its validation and rules/model.schema.json.
 */
import { z } from 'zod';
import { PropertyFilter, TAG_NAME_PATTERN } from './conditions';
import { Duration, parseDuration } from './duration';

/** Model ids: a file name, a JSONPath member of `scores` and a Liquid key (`scores["churn-30d"]`). */
export const MODEL_ID_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

const FeatureName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a feature name is 1-64 lowercase letters, digits or "_", starting with a letter')
  .meta({ description: 'The feature\'s name in the model card and the trained artifact; unique in the file.' });

const EventName = z.string().min(1).meta({ description: 'Event name (a track event\'s, or page_viewed / screen_viewed).' });

/**
 * A look-back window. Written as a length only: it always ends at the snapshot, and a sign ("+1d",
 * "-7d") is refused with the reason, since "+" would mean reading the label's period.
 */
const LookBack = z
  .string()
  .refine((text) => !/^\s*\+/.test(text), 'a feature window ends at the snapshot and reaches back from it: "+…" would read behavior after the snapshot, which is what the label is made of (leakage)')
  .refine((text) => !/^\s*-/.test(text), 'write the window as a length ("7d"): it always reaches back from the snapshot')
  .pipe(Duration)
  .meta({ description: 'How far back from the snapshot, e.g. "7d". The window always ends at the snapshot time.' });

/** The fields of a feature read from one event's occurrences (as the count and secondsSinceLast facts read them). */
const eventFeature = { event: EventName, where: PropertyFilter.optional() };

const CountFeature = z
  .object({
    name: FeatureName,
    kind: z.literal('count').meta({ description: 'How many times the person sent an event in the window (the `count` fact).' }),
    ...eventFeature,
    within: LookBack,
    max: z.number().int().min(1).max(1000).default(100).meta({ description: 'The count stops here (default 100), as a rule comparing with it would see.' }),
  })
  .strict();

const RecencyFeature = z
  .object({
    name: FeatureName,
    kind: z.literal('recency').meta({ description: 'Days since the person last sent an event (the `secondsSinceLast` fact), at most `cap`; never: `cap`.' }),
    ...eventFeature,
    cap: Duration.default('90d').meta({ description: 'Recency stops here and a person who never sent the event reads it (default "90d").' }),
  })
  .strict();

const TagFeature = z
  .object({
    name: FeatureName,
    kind: z.literal('tag').meta({ description: 'A behavior tag\'s value (rules/tags): a number, a boolean as 0/1, or a category (distinct pages: a `distinct` tag).' }),
    tag: z.string().regex(TAG_NAME_PATTERN, 'a tag name').meta({ description: 'The tag\'s name.' }),
    categories: z.array(z.string().min(1)).min(1).optional().meta({ description: 'For a string tag (stages): one 0/1 column per listed value.' }),
  })
  .strict();

const TraitFeature = z
  .object({
    name: FeatureName,
    kind: z.literal('trait').meta({ description: 'A profile trait as of the snapshot: a number (non-numbers read 0), or with `categories` one 0/1 column per value.' }),
    trait: z.string().regex(/^[A-Za-z_][\w-]*$/, 'a top-level trait name').meta({ description: 'The trait\'s name, e.g. "plan".' }),
    categories: z.array(z.string().min(1)).min(1).optional().meta({ description: 'The values to tell apart, e.g. ["free", "pro"]; any other value is all zeros.' }),
  })
  .strict();

export const FeatureSchema = z.discriminatedUnion('kind', [CountFeature, RecencyFeature, TagFeature, TraitFeature]);
export type Feature = z.infer<typeof FeatureSchema>;

const ConversionLabel = z
  .object({
    event: EventName.meta({ description: 'The goal event, e.g. "order_completed".' }),
    where: PropertyFilter.optional(),
    within: Duration.meta({ description: 'The person is positive when the event follows the snapshot within this long (after it, never at it).' }),
  })
  .strict();

const ChurnLabel = z
  .object({
    noActivity: Duration.meta({ description: 'The person is positive (churned) when no behavior event follows the snapshot within this long.' }),
  })
  .strict();

export const LabelSchema = z.union([ConversionLabel, ChurnLabel]).meta({ description: 'What is predicted: {"event", "within"} (conversion) or {"noActivity"} (churn).' });
export type Label = z.infer<typeof LabelSchema>;

const IsoTime = z.iso.datetime({ offset: true }).meta({ description: 'An ISO 8601 time, e.g. "2026-01-01T00:00:00Z".' });

const TrainingSource = z
  .union([
    z.object({ jsonl: z.string().min(1).meta({ description: 'A JSONL file of event envelopes (as `nudge simulate` reads), relative to the model file.' }) }).strict(),
    z.object({ stream: z.literal('raw').meta({ description: 'The raw JetStream stream (what the collector stored): every event from `from` to `to`, which are then required.' }) }).strict(),
  ])
  .meta({ description: 'Where the training events come from.' });

export const TrainingSchema = z
  .object({
    source: TrainingSource,
    from: IsoTime.optional().meta({ description: 'Events before this are ignored (default: the first event).' }),
    to: IsoTime.optional().meta({ description: 'Events after this are ignored (default: the last event).' }),
    evaluateFrom: IsoTime.optional().meta({ description: 'Snapshots from here on are the evaluation period; earlier ones whose label period ends before it train (default: the last quarter of snapshot times).' }),
    minPositives: z.number().int().min(1).default(500).meta({ description: 'Training is refused with fewer positive labels in the training period (default 500).' }),
  })
  .strict();

export const SamplingSchema = z
  .object({
    every: Duration.meta({ description: 'One snapshot per active person this often, e.g. "7d".' }),
    activeWithin: Duration.meta({ description: 'A person is sampled at a snapshot when they sent a behavior event within this long before it.' }),
  })
  .strict();

export const ModelFileSchema = z
  .object({
    $schema: z.string().optional().meta({ description: 'Path to model.schema.json, for editor autocompletion.' }),
    id: z.string().regex(MODEL_ID_PATTERN, 'a model id is 1-64 lowercase letters, digits, "_" or "-", starting with a letter').meta({ description: 'The model\'s id in rules ({"fact": "score", "params": {"model": "<id>"}}) and templates ({{ scores["<id>"] }}).' }),
    description: z.string().optional(),
    label: LabelSchema,
    features: z
      .array(FeatureSchema)
      .min(1)
      .refine((features) => new Set(features.map((f) => f.name)).size === features.length, 'feature names must be unique')
      .meta({ description: 'What the model reads, as of each snapshot.' }),
    training: TrainingSchema,
    sampling: SamplingSchema,
  })
  .strict();

export type ModelFile = z.infer<typeof ModelFileSchema>;

/** The label's period after a snapshot (ms). */
export const labelHorizonOf = (label: Label): number => parseDuration('within' in label ? label.within : label.noActivity);
