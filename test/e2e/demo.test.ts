/** The README's demo, run to completion: every user of the sample story gets exactly what they should. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../dev/demo/run-demo';
import { storyEvents } from '../../dev/demo/story';
import { loadRules } from '../../rules/load-rules';

describe('nudge demo', () => {
  it('plays the sample story on real servers and reports who received what', async () => {
    const lines: string[] = [];
    const dataDir = join(mkdtempSync(join(tmpdir(), 'nudge-demo-')), 'demo');
    const code = await runDemo({ dataDir, dayLength: '3s', keepData: false, exitWhenDone: true, out: (l) => lines.push(l) });
    const output = lines.join('\n');
    expect(output).toContain('the story played out as expected.');
    expect(code).toBe(0);
    expect(output).toMatch(/email {3}→ alice@example\.com: "Alice, 10% off is waiting for you"/);
    expect(output).toMatch(/sms {5}→ \+14155550101: "Your 10% code SAVE10-/);
    // one person on two devices: one journey, under the id of the device she was first seen on
    expect(output).toMatch(/✓ hana .* email 1, sms 1, webhook 0; journeys: pricing-hesitation \(as person hana-phone\)/);
    expect(output).toMatch(/one person, two devices: hana-phone holds anonymousId hana-phone, hana-laptop; userId hana/);
    // The flagship's goal: the report counts one conversion per story person who orders after entering.
    const goal = loadRules(['rules/pricing-hesitation.json'])[0]!.rule.goal!;
    const { bobOrder, hanaOrder } = storyEvents(Date.now(), 'test');
    const entered = (user: string) => new RegExp(`✓ ${user} .*journeys: [^\\n]*pricing-hesitation`).test(output);
    const converters = [bobOrder, hanaOrder].filter((e) => e.type === 'track' && e.event === goal.event && entered(e.userId!));
    const converted = Number(/pricing-hesitation +entered \d+, converted (\d+)/.exec(output)?.[1]);
    expect(converters.length).toBeGreaterThan(0);
    expect(converted).toBe(converters.length);
    // The example model scores a person in `nudge profile`'s output.
    expect(output).toMatch(/hana's scores \(npx nudge profile hana\): convert-14d +0\.\d{3}/);
    expect(output).toMatch(/Temporal Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows/);
    // NATS ran encrypted at rest with the key made in the data dir: the story's people are in no store file.
    expect(existsSync(join(dataDir, 'nats-encryption.key'))).toBe(true);
    const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
    const storeFiles = files(join(dataDir, 'nats'));
    expect(storeFiles.length).toBeGreaterThan(10);
    expect(storeFiles.filter((file) => readFileSync(file).includes('alice@example.com'))).toEqual([]);
  }, 90_000);
});
