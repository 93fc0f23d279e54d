/**
 * What every registered provider must bring, checked by enumerating the registry (never a pinned list):
 * its own folder, a connector test that runs its channel's shared suite, and webhook routes that no
 * other provider claims. Adding a provider is its folder and one line in `providers`; this test is how
 * a missing piece shows up.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Channel } from './channels';
import { ConnectorConfigError } from './errors';
import { createInbound, providers, providerSelection, selectedProvider } from './registry';

const CONNECTORS_DIR = import.meta.dirname;
const SUITES: Record<Channel, string> = {
  email: 'describeEmailConnector',
  sms: 'describeSmsConnector',
  webhook: 'describeWebhookConnector',
  coupon: 'describeCouponConnector',
};

const registered = (Object.keys(providers) as Channel[]).flatMap((channel) => Object.keys(providers[channel]).map((name) => [channel, name] as const));

describe('the provider registry', () => {
  it.each(registered)('%s/%s lives in its own folder and runs the shared channel suite', (channel, name) => {
    const folder = join(CONNECTORS_DIR, channel, name);
    expect(existsSync(folder), `connectors/${channel}/${name}/ is missing`).toBe(true);
    const suiteCallers = readdirSync(folder)
      .filter((file) => /\.connector\.(int\.)?test\.ts$/.test(file))
      .filter((file) => readFileSync(join(folder, file), 'utf8').includes(`${SUITES[channel]}(`));
    expect(suiteCallers, `no *.connector.int.test.ts in connectors/${channel}/${name}/ calls ${SUITES[channel]}`).not.toEqual([]);
  });

  it('defaults every channel to a registered provider', () => {
    for (const [channel, { defaultProvider }] of Object.entries(providerSelection) as [Channel, { defaultProvider: string }][]) {
      expect(Object.keys(providers[channel])).toContain(defaultProvider);
      expect(selectedProvider(channel, {}).name).toBe(defaultProvider);
    }
  });

  it('refuses an unknown provider, naming the variable and the known ones', () => {
    expect(() => selectedProvider('sms', { SMS_PROVIDER: 'carrier-pigeon' })).toThrow(ConnectorConfigError);
    expect(() => selectedProvider('sms', { SMS_PROVIDER: 'carrier-pigeon' })).toThrow(`known: ${Object.keys(providers.sms).join(', ')}`);
    expect(() => selectedProvider('email', { EMAIL_PROVIDER: 'toString' })).toThrow(/is not a known provider/);
  });

  it("gives each provider's webhooks paths under its own name, claimed by no other provider", async () => {
    const owners = new Map<string, string>();
    for (const [channel, name] of registered) {
      const env = { [providerSelection[channel].variable]: name };
      const inbound = await createInbound(channel, env);
      for (const route of inbound?.routes ?? []) {
        expect(route.path.startsWith(`/${name}/`) || route.path.startsWith(`/${name}-${channel}/`), `${route.path} of ${channel}/${name}`).toBe(true);
        expect(owners.get(route.path), `${route.path} claimed twice`).toBeUndefined();
        owners.set(route.path, `${channel}/${name}`);
      }
    }
    expect(owners.size).toBeGreaterThan(0);
  });
});
