/**
 * `nudge graph`: a rule's journey as a diagram for review. The example rules are drawn exactly as
 * below (golden text: paste into a Markdown ```mermaid block to see it); every step appears, branch
 * and wait edges are labelled, and label text cannot break out of its quotes.
 */
import { describe, expect, it } from 'vitest';
import { branch, coupon, email, eventAt, exit, ruleOf, sinceLast, sms, traitAt, waitForEvent, waitUntil } from '../../test/support/unit-rules';
import { loadRules } from '../load-rules';
import { walkSteps } from '../schema/step-tree';
import { summarizeCondition } from './condition-summary';
import { dotText, journeyGraph, mermaidText } from './journey-graph';

const RULES_DIR = new URL('..', import.meta.url).pathname;
const examples = Object.fromEntries(loadRules([RULES_DIR]).map(({ rule }) => [rule.id, rule]));

describe('the example rules', () => {
  it('the flagship (pricing-hesitation) in Mermaid', () => {
    expect(journeyGraph(examples['pricing-hesitation']!, 'mermaid')).toBe(`%% pricing-hesitation v1: Viewed pricing 3 times in 7 days without ordering
flowchart TD
  trigger(["on page_viewed<br/>if event.properties.page = #quot;pricing#quot;<br/>and count(page_viewed where page = #quot;pricing#quot;, 7d) ≥ 3<br/>and count(order_completed, 7d) = 0<br/>entry: once per 30d"])
  s_issue_coupon["coupon (generated, prefix SAVE10-)<br/>issue-coupon"]
  s_coupon_email["email: #quot;{{ traits.first_name | default: 'Hi' }}, 10% of…#quot;<br/>coupon-email"]
  s_wait_2_days("wait 2d<br/>wait-2-days")
  s_coupon_sms["sms: #quot;Your 10% code {{ coupon.code }} is still valid.…#quot;<br/>coupon-sms"]
  done(("end"))
  any_step>"any step"]
  exit_on_0(["exit: order_completed"])
  goal>"goal: order_completed within 7d<br/>converted (treatment and control)"]
  trigger --> s_issue_coupon
  s_issue_coupon --> s_coupon_email
  s_coupon_email --> s_wait_2_days
  s_wait_2_days --> s_coupon_sms
  s_coupon_sms --> done
  any_step -.-> exit_on_0
  trigger -.-> goal
`);
  });

  it('trial-activation in Mermaid', () => {
    expect(journeyGraph(examples['trial-activation']!, 'mermaid')).toBe(`%% trial-activation v1: Signed up but did not finish setup
flowchart TD
  trigger(["on signed_up<br/>entry: once per user"])
  s_next_morning("wait until 09:30 (user's time zone, else America/New_York)<br/>next-morning")
  s_tips_email["email: #quot;Three steps to get {{ traits.company | default:…#quot;<br/>tips-email"]
  s_wait_a_day("wait 1d<br/>wait-a-day")
  s_is_paid_lead{"branch: traits.plan in [#quot;team#quot;, #quot;business#quot;]<br/>is-paid-lead"}
  s_setup_sms["sms: #quot;Need a hand with setup? Reply to this message a…#quot;<br/>setup-sms"]
  done(("end"))
  any_step>"any step"]
  exit_on_0(["exit: setup_completed"])
  trigger --> s_next_morning
  s_next_morning --> s_tips_email
  s_tips_email --> s_wait_a_day
  s_wait_a_day --> s_is_paid_lead
  s_is_paid_lead -->|"then"| s_setup_sms
  s_is_paid_lead -->|"else"| done
  s_setup_sms --> done
  any_step -.-> exit_on_0
`);
  });

  it('trial-activation in Graphviz dot', () => {
    expect(journeyGraph(examples['trial-activation']!, 'dot')).toBe(String.raw`digraph "trial-activation v1: Signed up but did not finish setup" {
  node [fontname="Helvetica"];
  edge [fontname="Helvetica"];
  trigger [label="on signed_up\nentry: once per user", shape=box, style="rounded,bold"];
  s_next_morning [label="wait until 09:30 (user's time zone, else America/New_York)\nnext-morning", shape=box, style=rounded];
  s_tips_email [label="email: \"Three steps to get {{ traits.company | default:…\"\ntips-email", shape=box];
  s_wait_a_day [label="wait 1d\nwait-a-day", shape=box, style=rounded];
  s_is_paid_lead [label="branch: traits.plan in [\"team\", \"business\"]\nis-paid-lead", shape=diamond];
  s_setup_sms [label="sms: \"Need a hand with setup? Reply to this message a…\"\nsetup-sms", shape=box];
  done [label="end", shape=doublecircle];
  any_step [label="any step", shape=note];
  exit_on_0 [label="exit: setup_completed", shape=box, style="rounded,dashed"];
  trigger -> s_next_morning;
  s_next_morning -> s_tips_email;
  s_tips_email -> s_wait_a_day;
  s_wait_a_day -> s_is_paid_lead;
  s_is_paid_lead -> s_setup_sms [label="then"];
  s_is_paid_lead -> done [label="else"];
  s_setup_sms -> done;
  any_step -> exit_on_0 [style=dashed];
}
`);
  });

  it.each(Object.keys(examples))('%s: every step id appears, in both formats', (id) => {
    const rule = examples[id]!;
    for (const format of ['mermaid', 'dot'] as const) {
      const graph = journeyGraph(rule, format);
      for (const [step] of walkSteps(rule.steps)) expect(graph).toContain(step.id);
    }
  });
});

describe('a journey with every kind of step', () => {
  const rule = ruleOf({
    entry: { policy: 'everyTime' },
    exitOn: [{ event: 'order_completed' }, { event: 'page_viewed', conditions: { all: [eventAt('$.properties.page', 'equal', 'unsubscribe')] } }],
    steps: [
      waitUntil('morning', '08:00', 'Europe/Berlin'),
      waitForEvent('await-checkout', 'checkout_started', '1h', [exit('bought')], [
        coupon('give-code', { pool: 'cart10' }),
        branch('is-vip', { any: [traitAt('$.tier', 'equal', 'vip'), { not: sinceLast('order_completed', 'lessThan', 86400) }] }, [sms('vip-sms')], []),
      ]),
      { id: 'await-reply', type: 'waitForEvent', event: 'sms_replied', onEvent: [], onTimeout: [] },
      { id: 'crm', type: 'webhook', url: 'https://crm.example.com/hook' },
    ],
  });
  const mermaid = journeyGraph(rule, 'mermaid');
  const lines = mermaid.split('\n');

  it('labels each step by what it does', () => {
    expect(lines).toEqual(expect.arrayContaining([
      '  trigger(["on page_viewed<br/>entry: every time"])',
      '  s_morning("wait until 08:00 (Europe/Berlin)<br/>morning")',
      '  s_await_checkout("wait for checkout_started ≤ 1h<br/>await-checkout")',
      '  s_give_code["coupon (pool cart10)<br/>give-code"]',
      '  s_is_vip{"branch: traits.tier = #quot;vip#quot; or not seconds since last o…<br/>is-vip"}',
      '  s_await_reply("wait for sms_replied (no timeout)<br/>await-reply")',
      '  s_crm["webhook: POST https://crm.example.com/hook<br/>crm"]',
      '  s_bought(["exit<br/>bought"])',
    ]));
  });

  it('draws then/else, event/timeout edges, nested lists rejoining the main line, and exit steps ending the journey', () => {
    const edges = lines.filter((line) => line.includes('-->') || line.includes('-.->'));
    expect(edges).toEqual([
      '  trigger --> s_morning',
      '  s_morning --> s_await_checkout',
      '  s_await_checkout -->|"checkout_started"| s_bought',
      '  s_await_checkout -->|"timeout 1h"| s_give_code',
      '  s_bought --> done',
      '  s_give_code --> s_is_vip',
      '  s_is_vip -->|"then"| s_vip_sms',
      '  s_is_vip -->|"else"| s_await_reply',
      '  s_vip_sms --> s_await_reply',
      '  s_await_reply -->|"sms_replied"| s_crm',
      '  s_crm --> done',
      '  any_step -.-> exit_on_0',
      '  any_step -.-> exit_on_1',
    ]);
  });

  it('draws each exit event, with its conditions, from "any step"', () => {
    expect(lines).toEqual(expect.arrayContaining([
      '  any_step>"any step"]',
      '  exit_on_0(["exit: order_completed"])',
      '  exit_on_1(["exit: page_viewed<br/>if event.properties.page = #quot;unsubscribe#quot;"])',
    ]));
  });

  it('gives step ids that differ only in "-" / "_" different node ids', () => {
    const twins = journeyGraph(ruleOf({ steps: [email('a-b'), email('a_b')] }), 'dot');
    expect(twins).toContain('s_a_b [label=');
    expect(twins).toContain('s_a_b_2 [label=');
    expect(twins).toContain('s_a_b -> s_a_b_2;');
  });
});

describe('escaping', () => {
  it('Mermaid labels cannot close their quotes or open HTML', () => {
    expect(mermaidText('say "hi" <b>#1</b> & `x`')).toBe('say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; #amp; #96;x#96;');
    const graph = journeyGraph(ruleOf({ steps: [email('e', 'Say "hi" to <b>{{ traits.first_name }}</b>', 't')] }), 'mermaid');
    expect(graph).toContain('s_e["email: #quot;Say #quot;hi#quot; to #lt;b#gt;{{ traits.first_name }}#lt;/b#gt;#quot;<br/>e"]');
  });

  it('dot labels escape quotes and backslashes', () => {
    expect(dotText('a "quote" and a \\ backslash')).toBe('a \\"quote\\" and a \\\\ backslash');
    const graph = journeyGraph(ruleOf({ steps: [sms('s', 'C:\\ "now"')] }), 'dot');
    expect(graph).toContain(String.raw`s_s [label="sms: \"C:\\ \"now\"\"\ns", shape=box];`);
  });

  it('long texts are cut to one short line', () => {
    const graph = journeyGraph(ruleOf({ steps: [email('e', `A very\nlong subject ${'x'.repeat(80)}`, 't')] }), 'mermaid');
    expect(graph).toMatch(/s_e\["email: #quot;A very long subject x+…#quot;<br\/>e"\]/);
  });
});

describe('condition summaries', () => {
  it.each<[string, Parameters<typeof summarizeCondition>[0], string]>([
    ['a trait', { all: [traitAt('$.plan', 'in', ['team', 'business'])] }, 'traits.plan in ["team", "business"]'],
    ['a count with a filter', { all: [{ fact: 'count', params: { event: 'page_viewed', where: { page: 'pricing' }, within: '7d' }, operator: 'greaterThanInclusive', value: 3 }] }, 'count(page_viewed where page = "pricing", 7d) ≥ 3'],
    ['nested groups', { any: [eventAt('$.a', 'equal', 1), { all: [traitAt('$.b', 'notEqual', true), traitAt('$.c', 'lessThan', 2)] }] }, 'event.a = 1 or (traits.b ≠ true and traits.c < 2)'],
    ['not', { not: sinceLast('x', 'lessThan', 60) }, 'not seconds since last x < 60'],
  ])('%s', (_name, condition, text) => {
    expect(summarizeCondition(condition)).toBe(text);
  });
});

describe('a rule with a goal', () => {
  it('shows the goal, its window and conditions, watched from entry', () => {
    const rule = ruleOf({ goal: { event: 'order_completed', within: '7d', conditions: { all: [eventAt('$.properties.total', 'greaterThan', 100)] } } });
    const mermaid = journeyGraph(rule, 'mermaid');
    expect(mermaid).toMatch(/goal: order_completed within 7d<br\/>if event\.properties\.total #gt; 100<br\/>converted \(treatment and control\)/);
    expect(mermaid).toContain('trigger -.-> goal');
    expect(journeyGraph(rule, 'dot')).toContain('goal: order_completed within 7d');
    expect(journeyGraph(ruleOf({}), 'mermaid')).not.toContain('goal');
  });
});
