/** Templates are parsed once and rendered many times: each render sees its own variables, errors stay errors. */
import { describe, expect, it } from 'vitest';
import { render, renderPayload, renderText, type TemplateVariables } from './render';

const variables = (first_name: string | undefined, code: string | null): TemplateVariables => ({
  user: { id: 'ann' },
  traits: first_name === undefined ? {} : { first_name },
  tags: {},
  scores: {},
  event: { properties: { page: 'pricing' } },
  coupon: { code },
  journey: { id: 'j' },
  rule: { id: 'r', version: 1 },
});

describe('render', () => {
  const template = "  Hi {{ traits.first_name | default: 'there' }}, code {{ coupon.code }} for {{ event.properties.page }}  ";

  it('renders the same (cached) template with each call\'s own variables, trimmed', async () => {
    expect(renderText(template, variables('Ann', 'A1'))).toBe('Hi Ann, code A1 for pricing');
    expect(renderText(template, variables(undefined, 'B2'))).toBe('Hi there, code B2 for pricing');
    expect(await render(template, variables('Cy', null))).toBe('Hi Cy, code  for pricing');
    expect(await renderPayload({ to: '{{ user.id }}', n: 3 }, variables('Ann', null))).toEqual({ to: 'ann', n: 3 });
  });

  it('still refuses an unknown filter, every time (a failed parse is not cached)', async () => {
    for (let i = 0; i < 2; i++) await expect(render('{{ traits.first_name | no_such_filter }}', variables('Ann', null))).rejects.toThrow(/no_such_filter/);
  });
});
