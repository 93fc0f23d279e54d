/**
 * Issue 16, item 1: a journey's history in Temporal holds no email, phone or trait value. A person whose
 * userId is an email address and who has a phone trait runs the flagship journey with payload encryption
 * on; the finished history exported with the Temporal CLI does not contain them (neither as text nor
 * base64-encoded), its id, search attributes and memo neither; through the codec server they are there.
 * A workflow failure's message (which may quote input) is encrypted as well.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalBinary } from '../../dev/servers/binaries';
import { personRef } from '../../engine/match/person-ref';
import { withPrivacyContext } from '../../engine/privacy/privacy-context';
import { findUserJourneys } from '../../engine/privacy/user-journeys';
import { JOURNEY_WORKFLOW_TYPE } from '../../workflows/journey/journey-input';
import { startCodecServer, type CodecServerHandle } from '../../platform/temporal/codec-server';
import { AesGcmPayloadCodec } from '../../platform/temporal/payload-codec';
import { payloadKeysOf } from '../../platform/temporal/payload-keys';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const run = promisify(execFile);
const DAY = 86_400_000;
const TOKEN = randomBytes(24).toString('hex');
const email = `zoe.${randomUUID().slice(0, 8)}@example.com`;
const phoneDigits = `415555${String(1000 + Math.floor(Math.random() * 8999))}`;
const phone = `+1${phoneDigits}`;
const secretTrait = `trait-${randomUUID()}`;
let stack: Stack;
let codec: CodecServerHandle;

beforeAll(async () => {
  const key = randomBytes(32).toString('base64');
  stack = await startStack({ rules: 'rules', env: { NUDGE_DAY_LENGTH: '1s', NUDGE_PAYLOAD_KEYS: `e2e-1:${key}` } });
  codec = await startCodecServer({ codec: new AesGcmPayloadCodec(payloadKeysOf(stack.config)!), token: TOKEN, origins: [], host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await codec?.stop();
  await stack?.stop();
});

/** The text, plus every base64-looking string in it decoded: a plaintext payload would be found either way. */
function withBase64Decoded(text: string): string {
  const decoded = [...text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)].map((m) => Buffer.from(m[0], 'base64').toString('latin1'));
  return [text, ...decoded].join('\n');
}

const temporalCli = async (args: string[]) =>
  (await run(temporalBinary(), [...args, '--address', inject('temporalAddress'), '--namespace', 'default', '--output', 'json'], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' } })).stdout;

describe('PII encrypted in Temporal', () => {
  it('a finished journey\'s history, id, search attributes and memo hold no email, phone or trait; the codec server decrypts them', async () => {
    const event = (e: ReturnType<typeof track>) => ({ ...e, messageId: randomUUID() }); // as trackers send them
    await stack.publish({ ...identify(email, { email, phone, first_name: 'Zoe', favourite: secretTrait }, new Date(Date.now() - 10 * DAY)), messageId: randomUUID() });
    for (const ago of [3 * DAY, 2 * DAY, 60_000]) await stack.publish(event(track(email, 'page_viewed', new Date(Date.now() - ago), { page: 'pricing' })));
    await stack.twilio.waitFor((m) => m.to === phone, 30_000);

    const ref = personRef(email);
    const workflowId = await eventually(async () => {
      for await (const wf of stack.temporal.workflow.list({ query: `RuleId = "pricing-hesitation" AND UserId = "${ref}"` })) return wf.workflowId;
      return undefined;
    }, 15_000, 'the journey listed by the person ref');
    // The client decrypts: the journey ran on the real values.
    const result = await stack.temporal.workflow.getHandle(workflowId).result();
    expect(result.log.map((a: { action: string }) => a.action)).toEqual(['coupon', 'email', 'wait', 'sms', 'wait', 'exit']); // the last wait: the goal's window

    const history = await temporalCli(['workflow', 'show', '--workflow-id', workflowId]);
    const described = await temporalCli(['workflow', 'describe', '--workflow-id', workflowId]);
    const stored = withBase64Decoded(`${workflowId}\n${history}\n${described}`);
    expect(history.length).toBeGreaterThan(1000);
    for (const secret of [email, phoneDigits, secretTrait]) expect(stored, `Temporal stores ${secret}`).not.toContain(secret);

    const decoded = await temporalCli(['workflow', 'show', '--workflow-id', workflowId, '--codec-endpoint', codec.url, '--codec-auth', `Bearer ${TOKEN}`]);
    const readable = withBase64Decoded(decoded);
    for (const secret of [email, phone, secretTrait]) expect(readable, `the codec server shows ${secret}`).toContain(secret);

    // Export and erase find the journey by the person's email: they look it up by its ref.
    const found = await withPrivacyContext(stack.config, {}, (ctx) => findUserJourneys(ctx, email, []));
    expect(found.journeys.map((j) => j.workflowId)).toEqual([workflowId]);

    // Without the token the codec server refuses, and the CLI cannot show the payloads decrypted.
    const refused = await temporalCli(['workflow', 'show', '--workflow-id', workflowId, '--codec-endpoint', codec.url, '--codec-auth', 'Bearer wrong-token-0123456789']).catch((e: Error) => e.message);
    expect(withBase64Decoded(refused)).not.toContain(email);
  }, 90_000);

  it('a failure message is encrypted too: the workflow\'s error quoting an email is not in the history, the client reads it', async () => {
    // The journey workflow refuses an input version it does not know, quoting it: here an email address.
    const quoted = `v-${email}`;
    const workflowId = `failure-test/${randomUUID()}`;
    const handle = await stack.temporal.workflow.start(JOURNEY_WORKFLOW_TYPE, { workflowId, taskQueue: stack.config.NUDGE_TASK_QUEUE, args: [{ v: quoted }] });
    const failure = await handle.result().then(() => null, (error: Error) => error);
    expect(String((failure?.cause as Error | undefined)?.message)).toContain(`unsupported journey input version ${quoted}`);

    const history = await temporalCli(['workflow', 'show', '--workflow-id', workflowId]);
    expect(history).toContain('Encoded failure'); // the SDK's placeholder: the real message travels in the encrypted payload
    expect(withBase64Decoded(history)).not.toContain(email);
  }, 60_000);
});
