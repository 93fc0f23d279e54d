/**
 * A repeated messageId in simulate is dropped as JetStream drops it in production (the raw stream's
 * duplicate window, NUDGE_DUPLICATE_WINDOW), with event time as the arrival clock; the drops are shown
 * to the marketer. Rule: the flagship's pricing-hesitation (3 pricing views in 7 days).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExplain, runSimulate } from '../../cli/simulate-command';
import { loadRules } from '../../rules/load-rules';
import type { EventEnvelope } from '../events/envelope';
import { simulate } from './simulator';

const RULES = 'test/scenarios/flagship/rules';
const rules = loadRules([RULES]);
const identify: EventEnvelope = { type: 'identify', userId: 'ann', messageId: 'ann-id', timestamp: '2026-03-01T08:00:00.000Z', traits: { email: 'ann@example.com' }, context: {} };
const pricing = (messageId: string, timestamp: string): EventEnvelope => ({ type: 'track', event: 'page_viewed', userId: 'ann', messageId, timestamp, properties: { page: 'pricing' }, context: {} });

describe('repeated messageIds in simulate', () => {
  it('count once inside the duplicate window: one pricing view sent three times starts no journey', async () => {
    const events = [identify, pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:05.000Z')];
    const dropped: string[] = [];
    const actions = await simulate({ rules, events, env: {} }, { onDuplicate: (event) => dropped.push(event.messageId) });
    expect(actions).toEqual([]);
    expect(dropped).toEqual(['pv-1', 'pv-1']);
  });

  it('count again once the window has passed since the stored copy (NUDGE_DUPLICATE_WINDOW)', async () => {
    const events = [identify, pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T13:00:00.000Z'), pricing('pv-1', '2026-03-01T16:00:00.000Z')];
    const dropped: string[] = [];
    const actions = await simulate({ rules, events, env: { NUDGE_DUPLICATE_WINDOW: '2h' } }, { onDuplicate: (event) => dropped.push(event.messageId) });
    expect(dropped).toEqual([]);
    expect(actions.find((a) => a.action === 'enter')).toMatchObject({ userId: 'ann', at: '2026-03-01T16:00:00.000Z' });
  });

  it('are kept when the events came from the raw stream, which has dropped repeats by their arrival already', async () => {
    const events = [identify, pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:00.000Z')];
    const actions = await simulate({ rules, events, env: {}, dropDuplicates: false });
    expect(actions.filter((a) => a.action === 'enter')).toHaveLength(1);
  });

  it('are named by explain, so a marketer sees why the views count once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-sim-dup-'));
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [identify, pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:00.000Z')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    let text = '';
    await runExplain({ rules: RULES, events: file, user: 'ann', rule: 'pricing-hesitation' }, (t) => (text += t));
    expect(text).toContain('Dropped: 2026-03-01T10:00:00.000Z  page_viewed (message pv-1) repeats a messageId within NUDGE_DUPLICATE_WINDOW; production drops it too.');
    expect(text.match(/message pv-1\)/g)).toHaveLength(2); // the evaluated copy and the dropped one
  });

  it('are reported in the table summary and, with --format jsonl, on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nudge-sim-dup-'));
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [identify, pricing('pv-1', '2026-03-01T10:00:00.000Z'), pricing('pv-1', '2026-03-01T10:00:00.000Z')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    let table = '';
    await runSimulate({ rules: RULES, events: file, format: 'table' }, (t) => (table += t), () => {});
    expect(table).toContain('dropped as repeated messageIds (within NUDGE_DUPLICATE_WINDOW, as JetStream drops them): 1 — pv-1 (ann) ×1');
    let jsonl = '';
    const warnings: string[] = [];
    await runSimulate({ rules: RULES, events: file, format: 'jsonl' }, (t) => (jsonl += t), (line) => warnings.push(line));
    expect(jsonl).toBe('');
    expect(warnings).toEqual(['dropped as repeated messageIds (within NUDGE_DUPLICATE_WINDOW, as JetStream drops them): 1 — pv-1 (ann) ×1']);
  });
});
