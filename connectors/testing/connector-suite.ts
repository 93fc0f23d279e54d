/**
 * Shared specifications every connector must meet, one suite per channel. A provider's test file is a
 * call into its channel's suite with a `setup()` that starts the provider's local fake (the network
 * edge) and builds the connector against it; provider-specific cases go beside it.
 *
 * Each test calls `setup()` afresh and `stop()` afterwards, so tests never share a fake's state.
 */
export { describeCouponConnector, type CouponHarness } from './coupon-suite';
export { describeEmailConnector, type EmailHarness, type ReceivedEmail } from './email-suite';
export { describeSmsConnector, type ReceivedSms, type SmsHarness } from './sms-suite';
export { describeWebhookConnector, type ReceivedWebhook, type WebhookHarness } from './webhook-suite';
export type { InjectedFailure, ChannelHarness } from './harness';
export { describeSmsWebhooks, readWith, refusalOf, type SmsWebhooksHarness, type StatusReport } from './sms-webhooks-suite';
