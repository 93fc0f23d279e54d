/**
 * The duplicate rule of a JetStream stream, as DuplicateWindow states it for paths without a stream
 * (the simulator): the stored copy opens the window, repeats inside it are dropped and do not extend it.
 */
import { describe, expect, it } from 'vitest';
import { DuplicateWindow, InvalidDuplicateWindowError } from './duplicate-window';

const HOUR = 3_600_000;

describe('DuplicateWindow', () => {
  it('drops a repeated messageId inside the window and stores different ids', () => {
    const window = new DuplicateWindow(24 * HOUR);
    expect(window.admit('pv-1', 0)).toBe(true);
    expect(window.admit('pv-1', 0)).toBe(false);
    expect(window.admit('pv-2', HOUR)).toBe(true);
    expect(window.admit('pv-1', 23 * HOUR)).toBe(false);
  });

  it('stores the id again once the window since the stored copy has passed (a dropped repeat does not extend it)', () => {
    const window = new DuplicateWindow(24 * HOUR);
    expect(window.admit('pv-1', 0)).toBe(true);
    expect(window.admit('pv-1', 20 * HOUR)).toBe(false);
    // JetStream forgets an id when now - stored >= window
    expect(window.admit('pv-1', 24 * HOUR)).toBe(true);
    expect(window.admit('pv-1', 47 * HOUR)).toBe(false);
  });

  it('keeps time running forward, as a stream clock does: an earlier arrival time counts as now', () => {
    const window = new DuplicateWindow(HOUR);
    expect(window.admit('a', 10 * HOUR)).toBe(true);
    expect(window.admit('b', 0)).toBe(true);
    expect(window.admit('b', 10 * HOUR + HOUR / 2)).toBe(false); // b was stored at 10 h, not at 0
  });

  it('forgets ids outside the window (memory stays bounded by the ids of one window)', () => {
    const window = new DuplicateWindow(HOUR);
    for (let i = 0; i < 1000; i++) window.admit(`id-${i}`, i * 1000);
    window.admit('late', 10 * HOUR);
    expect(window.size).toBe(1);
  });

  it('refuses a window that is not a positive duration', () => {
    expect(() => new DuplicateWindow(0)).toThrow(InvalidDuplicateWindowError);
    expect(() => new DuplicateWindow(Number.NaN)).toThrow(/NUDGE_DUPLICATE_WINDOW: expected a positive duration in ms, got NaN/);
  });
});
