import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTwilioFake, type TwilioFake } from './twilio.fake';

const SID = 'AC0123456789abcdef0123456789abcdef';

describe('Twilio fake', () => {
  let fake: TwilioFake;
  beforeEach(async () => {
    fake = await startTwilioFake();
  });
  afterEach(() => fake.stop());

  const post = (form: Record<string, string>, user = SID) =>
    fetch(`${fake.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${user}:token`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form),
    });

  it('accepts a message like Twilio and records it', async () => {
    const response = await post({ To: '+14155550100', From: '+15005550006', Body: 'hello' });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(201);
    expect(body).toMatchObject({ account_sid: SID, to: '+14155550100', from: '+15005550006', body: 'hello', status: 'queued' });
    expect(fake.messages()).toEqual([expect.objectContaining({ sid: body.sid, body: 'hello' })]);
    await expect(fake.waitFor((m) => m.body === 'hello', 100)).resolves.toMatchObject({ to: '+14155550100' });
  });

  it('refuses Basic auth that does not match the account in the path', async () => {
    const response = await post({ To: '+14155550100', From: '+15005550006', Body: 'x' }, 'ACffffffffffffffffffffffffffffffff');

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 20003, status: 401 });
    expect(fake.messages()).toHaveLength(0);
  });

  it('answers an invalid To with error 21211', async () => {
    const response = await post({ To: '12', From: '+15005550006', Body: 'x' });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 21211, more_info: 'https://www.twilio.com/docs/errors/21211' });
  });

  it('answers the next request with an injected failure, then recovers', async () => {
    fake.failNext(429, 20429, 'Too Many Requests', { retryAfterSeconds: 3 });
    const limited = await post({ To: '+14155550100', From: '+15005550006', Body: 'x' });
    const next = await post({ To: '+14155550100', From: '+15005550006', Body: 'x' });

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toMatchObject({ code: 20429, message: 'Too Many Requests', status: 429 });
    expect(next.status).toBe(201);
  });
});
