/**
 * Regenerates the example model, rules/models/convert-14d.model.json: a generated sample with a known
 * signal (dev/predict/generate-behavior.ts, fixed seed) written to .nudge/samples/, then `nudge train`
 * on it with a fixed training time, so the same code gives the same file byte for byte.
 *   npx tsx scripts/train-example-model.ts [--report .nudge/convert-14d.html]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateBehavior } from '../dev/predict/generate-behavior';
import { runTrain } from '../cli/train-command';

const SAMPLE = '.nudge/samples/convert-14d.sample.jsonl'; // what rules/models/convert-14d.json names
const reportAt = process.argv.indexOf('--report');

const events = generateBehavior({ people: 2500, days: 120, seed: 2026 });
mkdirSync(dirname(SAMPLE), { recursive: true });
writeFileSync(SAMPLE, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
console.log(`wrote ${events.length} events to ${SAMPLE}`);
process.exitCode = await runTrain('rules/models/convert-14d.json', { now: () => new Date('2026-05-01T00:00:00Z'), ...(reportAt > 0 ? { report: process.argv[reportAt + 1]! } : {}) });
