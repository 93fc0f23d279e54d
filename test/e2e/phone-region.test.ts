/**
 * One phone region for everyone (NUDGE_PHONE_REGION). With Chinese numbers written without +86, identity
 * once linked the person (it read NUDGE_PHONE_REGION) while the SMS failed `invalid_phone` (the Twilio
 * connector read SMS_DEFAULT_COUNTRY) and the inbound phone directory skipped the number. Now the engine,
 * the worker's SMS connector, the phone directory and the simulator read the one setting; the old name
 * still works, with a warning, and the two names disagreeing stops the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../platform/config';
import { PhoneDirectory } from '../../engine/inbound/phone-directory';
import { simulate } from '../../engine/simulate/simulator';
import { loadRules } from '../../rules/load-rules';
import { eventually } from '../support/poll';
import { identify, startStack, track, type Stack } from '../support/stack';

const RULES = 'test/fixtures/guardrails-caps'; // flash-sale-a / -b: one SMS each on flash_sale
const LOCAL = '138 0013 8000';
const E164 = '+8613800138000';

describe('the real stack with NUDGE_PHONE_REGION=CN only', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ rules: RULES, env: { NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: '' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('texts a number written without +86 and files it in the inbound phone directory', async () => {
    await stack.publish(identify('li', { phone: LOCAL }, new Date(Date.now() - 60_000)));
    await stack.settle();
    await stack.publish(track('li', 'flash_sale', new Date()));
    const result = await stack.journeyResultOf('li', 'flash-sale-a');
    expect(result.log.filter((a) => a.action !== 'exit')).toMatchObject([{ action: 'sms' }]);
    await stack.twilio.waitFor((m) => m.to === E164, 5000);
    const phones = await PhoneDirectory.open(stack.nc, 'CN');
    expect(await eventually(() => phones.lookup(E164), 5000, 'the phone directory entry')).toBe('li');
  });
});

describe('the simulator', () => {
  const rules = loadRules([RULES]);
  const run = (env: Record<string, string>) =>
    simulate({ rules, events: [track('li', 'flash_sale', new Date('2026-03-09T10:00:00Z'))], profiles: [{ userId: 'li', traits: { phone: LOCAL } }], env });

  it('sends to a number without +86 with NUDGE_PHONE_REGION=CN, as the real stack does', async () => {
    const actions = await run({ NUDGE_PHONE_REGION: 'CN' });
    expect(actions.filter((a) => a.action === 'sms')).toHaveLength(2);
    expect(actions.filter((a) => a.action === 'skip')).toEqual([]);
  });

  it('with the region unset (US) the same number is invalid, and the simulator says so', async () => {
    const actions = await run({});
    expect(actions.filter((a) => a.action === 'skip').map((a) => a.reason)).toEqual(['invalid_phone', 'invalid_phone']);
  });
});

describe('configuration', () => {
  it('the deprecated SMS_DEFAULT_COUNTRY sets the one region', () => {
    expect(loadConfig({ SMS_DEFAULT_COUNTRY: 'cn' }).NUDGE_PHONE_REGION).toBe('CN');
  });

  it('NUDGE_PHONE_REGION and SMS_DEFAULT_COUNTRY set to different countries: a ConfigError naming both', () => {
    expect(() => loadConfig({ NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'US' })).toThrow(ConfigError);
    expect(() => loadConfig({ NUDGE_PHONE_REGION: 'CN', SMS_DEFAULT_COUNTRY: 'US' })).toThrow(/NUDGE_PHONE_REGION=CN and SMS_DEFAULT_COUNTRY=US disagree/);
  });
});
