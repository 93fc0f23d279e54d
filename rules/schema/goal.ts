/**
 * A rule's goal: the event that counts as a conversion, within an attribution window from entry. The
 * journey records a `converted` journey event the first time the goal happens in the window, for
 * treatment and holdout control persons alike (control persons are sent nothing, so comparing the two
 * groups measures what the journey adds). A journey whose steps are done keeps waiting for its goal
 * until the window ends, so both groups are watched for the same time.
 */
import { z } from 'zod';
import { TopLevelConditionSchema } from './conditions';
import { Duration } from './duration';

export const GoalSchema = z
  .object({
    event: z.string().min(1).meta({ description: 'The event that is a conversion, e.g. "order_completed".' }),
    conditions: TopLevelConditionSchema.optional().meta({ description: 'Only an event that also meets these conditions converts (facts as in the trigger, `event` being the goal event).' }),
    within: Duration.meta({ description: 'Attribution window from entry: a goal event later than this is no conversion. The journey lasts at least this long (it waits for the goal after its last step), so the person does not re-enter meanwhile. Example: "7d".', examples: ['7d'] }),
  })
  .strict()
  .meta({ description: 'What a conversion is: a goal event within a window from entry, recorded in the journey event log for treatment and holdout control persons.' });

export type Goal = z.infer<typeof GoalSchema>;
