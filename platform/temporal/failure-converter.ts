/**
 * The failure converter of every nudge client and worker (loaded by path: the worker bundles it into
 * the workflow sandbox, so it imports nothing but @temporalio/common). Error messages and stack traces
 * travel inside a payload instead of the failure's plain text fields, so the payload codec encrypts them:
 * an activity error may quote an email address or a phone number.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
