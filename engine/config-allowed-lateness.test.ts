/** NUDGE_ALLOWED_LATENESS: a duration or 0 (the default: no wait, no trigger re-check), carried with the global guardrails. */
import { describe, expect, it } from 'vitest';
import { ConfigError, globalGuardrails, loadConfig } from '../platform/config';

describe('NUDGE_ALLOWED_LATENESS', () => {
  it('is 0 unless set, and reaches the engine and simulator with the global guardrails', () => {
    expect(loadConfig({}).NUDGE_ALLOWED_LATENESS).toBe(0);
    expect(globalGuardrails(loadConfig({ NUDGE_ALLOWED_LATENESS: '2m' })).allowedLatenessMs).toBe(120_000);
  });

  it.each([['0', 0], ['0s', 0], [' 90s ', 90_000], ['1.5m', 90_000]])('reads %j as %d ms', (text, ms) => {
    expect(loadConfig({ NUDGE_ALLOWED_LATENESS: text }).NUDGE_ALLOWED_LATENESS).toBe(ms);
  });

  it('refuses what is not a duration, naming the setting', () => {
    expect(() => loadConfig({ NUDGE_ALLOWED_LATENESS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ NUDGE_ALLOWED_LATENESS: '-1m' })).toThrow(/NUDGE_ALLOWED_LATENESS: "-1m" is not a positive duration/);
  });
});
