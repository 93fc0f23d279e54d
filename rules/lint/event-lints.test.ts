/** Event names nothing sends: not an enabled rule's trigger and not in the catalog. */
import { describe, expect, it } from 'vitest';
import { branch, countOf, email, ruleOf, sinceLast, waitForEvent } from '../../test/support/unit-rules';
import { formatJsonPath } from '../rule-errors';
import type { Catalog } from '../schema/catalog';
import { eventLints } from './event-lints';

const rule = ruleOf({
  trigger: { event: 'page_viewed', conditions: { all: [countOf('order_complete', '7d', 'equal', 0)] } },
  exitOn: [{ event: 'order_completed' }],
  steps: [waitForEvent('w', 'checkout_started', '1h', [], [branch('b', { not: sinceLast('setup_done', 'lessThan', 60) }, [email('e')], [])])],
});

const lintsOf = (triggerEvents: string[], catalog?: Catalog) =>
  eventLints(rule, { triggerEvents: new Set(triggerEvents), ...(catalog ? { catalog } : {}) }).map((lint) => ({ code: lint.code, path: formatJsonPath(lint.path), message: lint.message }));

describe('unknown-event', () => {
  it('fires on every event reference that triggers no enabled rule, when there is no catalog', () => {
    expect(lintsOf(['page_viewed'])).toEqual([
      { code: 'unknown-event', path: '$.trigger.conditions.all[0].params.event', message: expect.stringMatching(/^event "order_complete" triggers no enabled rule, and there is no catalog\.json/) },
      { code: 'unknown-event', path: '$.exitOn[0].event', message: expect.stringMatching(/"order_completed"/) },
      { code: 'unknown-event', path: '$.steps[0].event', message: expect.stringMatching(/"checkout_started"/) },
      { code: 'unknown-event', path: '$.steps[0].onTimeout[0].conditions.not.params.event', message: expect.stringMatching(/"setup_done"/) },
    ]);
  });

  it('is quiet for events that trigger an enabled rule', () => {
    expect(lintsOf(['page_viewed', 'order_complete', 'order_completed', 'checkout_started', 'setup_done'])).toEqual([]);
  });

  it('with a catalog, fires only on events the catalog does not list either (a typo)', () => {
    const catalog: Catalog = { events: { order_completed: {}, checkout_started: {}, setup_done: {} }, traits: {} };
    expect(lintsOf([], catalog)).toEqual([
      { code: 'unknown-event', path: '$.trigger.conditions.all[0].params.event', message: expect.stringMatching(/^event "order_complete" is not in the catalog and triggers no enabled rule/) },
    ]);
  });
});
