/**
 * The trained artifact `nudge train` writes beside a model file (rules/models/<id>.model.json): the
 * model file's features as they were trained, the columns they expand to, the fitted coefficients and
 * what the training measured. The engine and the simulator score with it; nothing else is needed, so a
 * score at event time is the trained model itself, not a re-derivation. This schema is its one source.
 */
import { z } from 'zod';
import { FeatureSchema, LabelSchema, MODEL_ID_PATTERN } from './model';

/** Bumped when the artifact's meaning changes; a reader refuses other formats. */
export const TRAINED_MODEL_FORMAT = 1;

const Decile = z.object({
  decile: z.number().int().min(1).max(10),
  count: z.number().int().min(0),
  meanScore: z.number(),
  positiveRate: z.number(),
  lift: z.number(),
}).strict();

export const MetricsSchema = z
  .object({
    rows: z.number().int().min(0),
    positives: z.number().int().min(0),
    auc: z.number().min(0).max(1),
    logLoss: z.number().min(0),
    /** Largest |mean score - positive rate| over the deciles. */
    calibrationError: z.number().min(0),
    deciles: z.array(Decile).meta({ description: 'Decile 1 holds the highest scores.' }),
    roc: z.array(z.tuple([z.number(), z.number()])).meta({ description: 'ROC curve points [false positive rate, true positive rate].' }),
  })
  .strict();
export type Metrics = z.infer<typeof MetricsSchema>;

const Period = z.object({ from: z.string(), to: z.string(), snapshots: z.number().int().min(0) }).strict();

export const TrainedModelSchema = z
  .object({
    format: z.literal(TRAINED_MODEL_FORMAT),
    id: z.string().regex(MODEL_ID_PATTERN),
    /** Increases by one each time the model is trained again into the same file. */
    version: z.number().int().min(1),
    trainedAt: z.string(),
    label: LabelSchema,
    features: z.array(FeatureSchema).min(1),
    /** One name per input column, in order: a categorical feature expands to "<name>=<value>" columns. */
    columns: z.array(z.string()).min(1),
    /** Logistic regression on standardised columns: p = 1 / (1 + exp(-(intercept + Σ weights[i]·(x[i] - mean[i]) / scale[i]))). */
    intercept: z.number(),
    weights: z.array(z.number()),
    mean: z.array(z.number()),
    scale: z.array(z.number().positive()),
    algorithm: z.string(),
    training: z.object({ train: Period, evaluate: Period, source: z.string() }).strict(),
    metrics: z.object({ train: MetricsSchema, evaluate: MetricsSchema }).strict(),
  })
  .strict()
  .refine((m) => m.weights.length === m.columns.length && m.mean.length === m.columns.length && m.scale.length === m.columns.length, 'weights, mean and scale need one entry per column');

export type TrainedModel = z.infer<typeof TrainedModelSchema>;
