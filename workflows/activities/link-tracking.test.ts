import { describe, expect, it } from 'vitest';
import { MESSAGE_REF_HEADER, trackEmail, trackHtmlLinks, trackSms, trackTextLinks, withOpenPixel, type MessageRef, type MessageTracking } from './link-tracking';
import { renderText, type TemplateVariables } from './render';

/** A tracker whose URLs show what they stand for, so expectations read plainly. */
const tracker: MessageTracking = {
  clickUrl: (ref, index, url) => (url.startsWith('https://hooks.test/') ? null : `https://hooks.test/c/${ref.stepId}-${index}-${encodeURIComponent(url)}`),
  openPixelUrl: (ref) => `https://hooks.test/o/${ref.stepId}`,
  messageRef: (ref) => `ref-${ref.journeyId}`,
};
const ref: MessageRef = { ruleId: 'r', ruleVersion: 1, journeyId: 'j1', stepId: 's1', userId: 'alice', channel: 'email' };
const numbered = (url: string, index: number) => `T${index}[${url}]`;

describe('trackTextLinks', () => {
  it('rewrites http(s) URLs, keeping sentence punctuation outside, and numbers them in order', () => {
    expect(trackTextLinks('See https://shop.test/cart. Or http://shop.test/a?b=1&c=2, (https://x.test/p)!', numbered).text).toBe(
      'See T0[https://shop.test/cart]. Or T1[http://shop.test/a?b=1&c=2], (T2[https://x.test/p])!',
    );
  });

  it('leaves mailto:, tel:, sms: and words alone', () => {
    const text = 'Mail mailto:help@shop.test or call tel:+14155550100, text sms:+1415 — www.shop.test';
    expect(trackTextLinks(text, numbered)).toEqual({ text, tracked: 0 });
  });

  it('keeps a link the tracker declines (an unsubscribe link) as it is', () => {
    const text = 'Buy https://shop.test/ — unsubscribe: https://hooks.test/u/TOKEN';
    expect(trackTextLinks(text, (url, index) => tracker.clickUrl(ref, index, url)).text).toBe(`Buy https://hooks.test/c/s1-0-${encodeURIComponent('https://shop.test/')} — unsubscribe: https://hooks.test/u/TOKEN`);
  });
});

describe('trackHtmlLinks', () => {
  it('rewrites <a href> targets (entities decoded, the new URL encoded), not the visible text', () => {
    const html = '<p><a class="btn" href="https://shop.test/a?x=1&amp;y=2">https://shop.test/a</a> <A HREF=\'http://b.test/\'>b</A></p>';
    expect(trackHtmlLinks(html, numbered).html).toBe('<p><a class="btn" href="T0[https://shop.test/a?x=1&amp;y=2]">https://shop.test/a</a> <A HREF=\'T1[http://b.test/]\'>b</A></p>');
  });

  it('leaves mailto:, tel:, anchors, images, other attributes and the unsubscribe link alone', () => {
    const html = '<a data-href="https://shop.test/x" title="https://shop.test/y">x</a><abbr href="https://shop.test/z">z</abbr><a href="mailto:a@b.test">m</a><a href="tel:+1415">t</a><a href="#top">top</a><img src="https://cdn.test/x.png"><a href="https://hooks.test/u/T">unsubscribe</a>';
    expect(trackHtmlLinks(html, (url, index) => tracker.clickUrl(ref, index, url))).toEqual({ html, tracked: 0 });
  });
});

describe('withOpenPixel', () => {
  it('goes before </body>, or at the end of a fragment', () => {
    expect(withOpenPixel('<html><body><p>Hi</p></body></html>', 'https://hooks.test/o/T')).toMatch(/<p>Hi<\/p><img src="https:\/\/hooks\.test\/o\/T" width="1" height="1"[^>]*><\/body><\/html>$/);
    expect(withOpenPixel('<p>Hi</p>', 'https://hooks.test/o/T')).toMatch(/^<p>Hi<\/p><img src="https:\/\/hooks\.test\/o\/T"/);
  });
});

describe('trackEmail / trackSms', () => {
  const vars: TemplateVariables = { user: { id: 'alice' }, traits: { name: 'Alice <3' }, tags: {}, scores: {}, event: { properties: { sku: 'A&B 1' } }, coupon: { code: null }, journey: { id: 'j1' }, rule: { id: 'r', version: 1 } };

  it('tracks the links Liquid produced, escaping intact, and adds the message ref header', () => {
    const html = renderText('<p>Hi {{ traits.name | escape }}, <a href="https://shop.test/p?sku={{ event.properties.sku | url_encode }}">your cart</a></p>', vars);
    const text = renderText('Hi {{ traits.name }}: https://shop.test/p?sku={{ event.properties.sku | url_encode }}', vars);
    const tracked = trackEmail(tracker, ref, { clicks: true, opens: true }, { text, html });
    const target = encodeURIComponent('https://shop.test/p?sku=A%26B+1');
    expect(tracked.text).toBe(`Hi Alice <3: https://hooks.test/c/s1-0-${target}`);
    expect(tracked.html).toBe(`<p>Hi Alice &lt;3, <a href="https://hooks.test/c/s1-0-${target}">your cart</a></p><img src="https://hooks.test/o/s1" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`);
    expect(tracked.headers).toEqual({ [MESSAGE_REF_HEADER]: 'ref-j1' });
  });

  it('changes no link and adds no pixel when the rule tracks nothing (the ref header still goes)', () => {
    const body = { text: 'https://shop.test/', html: '<a href="https://shop.test/">x</a>' };
    expect(trackEmail(tracker, ref, { clicks: false, opens: false }, body)).toEqual({ ...body, headers: { [MESSAGE_REF_HEADER]: 'ref-j1' } });
    expect(trackSms(tracker, { ...ref, channel: 'sms' }, { clicks: false, opens: true }, 'Go https://shop.test/')).toBe('Go https://shop.test/');
    expect(trackSms(tracker, { ...ref, channel: 'sms' }, { clicks: true, opens: false }, 'Go https://shop.test/')).toBe(`Go https://hooks.test/c/s1-0-${encodeURIComponent('https://shop.test/')}`);
  });
});
