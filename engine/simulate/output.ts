/** Simulation output: JSON lines (one action each) or a readable timeline with a summary per rule. */
import { userKeyOf, type EventEnvelope } from '../events/envelope';
import type { SimulationAction } from './simulator';
import { assertNever } from '../../shared/assert-never';

export function toJsonLines(actions: SimulationAction[]): string {
  return actions.map((a) => JSON.stringify(a)).join('\n') + (actions.length ? '\n' : '');
}

function describe(a: SimulationAction): string {
  switch (a.action) {
    case 'enter': return a.assignment ? `enters the journey (${a.assignment} group)` : 'enters the journey';
    case 'coupon': return `gets coupon ${a.code}`;
    case 'email': return `email to ${a.to}: "${a.subject}"`;
    case 'sms': return `SMS to ${a.to}: "${a.body}"`;
    case 'webhook': return `webhook POST ${a.to}`;
    case 'wait': return 'waits';
    case 'branch': return `takes branch "${a.branch}"`;
    case 'skip': return `skipped (${a.reason})`;
    case 'refused': return `refused entry (${a.reason})`;
    case 'exit': return `exits (${a.reason})`;
    case 'converted': return 'converts (reached the goal)';
    default: return assertNever(a.action, 'simulation action');
  }
}

/** How many repeats of which messageIds were dropped (the first few ids), or null when none were. */
export function describeDuplicates(dropped: EventEnvelope[]): string | null {
  if (dropped.length === 0) return null;
  const byId = new Map<string, { user: string; repeats: number }>();
  for (const event of dropped) {
    const seen = byId.get(event.messageId);
    if (seen) seen.repeats++;
    else byId.set(event.messageId, { user: userKeyOf(event), repeats: 1 });
  }
  const SHOWN = 10;
  const ids = [...byId].slice(0, SHOWN).map(([id, { user, repeats }]) => `${id} (${user}) ×${repeats}`);
  if (byId.size > SHOWN) ids.push(`and ${byId.size - SHOWN} more ids`);
  return `dropped as repeated messageIds (within NUDGE_DUPLICATE_WINDOW, as JetStream drops them): ${dropped.length} — ${ids.join(', ')}`;
}

export function toTable(actions: SimulationAction[], options: { duplicates?: EventEnvelope[] } = {}): string {
  const who = (a: SimulationAction) => (a.memberId ? `${a.userId} (member ${a.memberId})` : a.userId);
  const rows = actions.map((a) => [a.at, who(a), `${a.ruleId} v${a.ruleVersion}`, a.step ?? '-', describe(a)]);
  const header = ['time', 'user', 'rule', 'step', 'what'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const lines = [line(header), ...rows.map(line)];
  lines.push('', 'summary per rule:');
  const rules = [...new Set(actions.map((a) => `${a.ruleId} v${a.ruleVersion}`))].sort();
  for (const rule of rules) {
    const mine = actions.filter((a) => `${a.ruleId} v${a.ruleVersion}` === rule);
    const count = (pred: (a: SimulationAction) => boolean) => mine.filter(pred).length;
    const byReason = (action: 'skip' | 'refused' | 'exit') => {
      const reasons = new Map<string, number>();
      for (const a of mine.filter((x) => x.action === action)) reasons.set(a.reason ?? '?', (reasons.get(a.reason ?? '?') ?? 0) + 1);
      return [...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none';
    };
    lines.push(`  ${rule}: entered ${count((a) => a.action === 'enter')}; sent: email ${count((a) => a.action === 'email')}, sms ${count((a) => a.action === 'sms')}, webhook ${count((a) => a.action === 'webhook')}, coupons ${count((a) => a.action === 'coupon')}; skipped: ${byReason('skip')}; refused: ${byReason('refused')}; exited: ${byReason('exit')}${count((a) => a.action === 'converted') ? `; converted ${count((a) => a.action === 'converted')}` : ''}`);
  }
  const duplicates = describeDuplicates(options.duplicates ?? []);
  if (duplicates) lines.push('', duplicates);
  return lines.join('\n') + '\n';
}
