import { describe, expect, it } from 'vitest';
import { ConfigError, identifierTypesOf, loadConfig } from '../../platform/config';
import { IdentifierTypes } from './identifier-types';

describe('identifier types', () => {
  it('default to userId, wechat_unionid, email, phone, Segment\'s device ids, anonymousId, strongest first', () => {
    const types = identifierTypesOf(loadConfig({}));
    expect(types.ordered.map((t) => `${t.name}:${t.priority}:${t.unique ? 'unique' : t.limit}`)).toEqual([
      'userId:1:unique', 'wechat_unionid:2:unique', 'email:3:5', 'phone:4:5', 'device_id:6:10', 'advertising_id:7:10', 'push_token:8:10', 'anonymousId:10:25',
    ]);
    expect(types.get('device_id')!.context).toEqual(['device.id']);
    expect(types.get('advertising_id')!.context).toEqual(['device.advertisingId']);
  });

  it('NUDGE_IDENTIFIERS mistakes are refused, each named with its path', () => {
    const config = (json: string) => () => loadConfig({ NUDGE_IDENTIFIERS: json });
    expect(config('{"userId":{"priority":1},"anonymousId":{"priority":1}}')).toThrow(/anonymousId\.priority: priority 1 is also "userId"'s/);
    expect(config('{"userId":{"priority":1}}')).toThrow(/anonymousId: the built-in type "anonymousId" must be listed/);
    expect(config('{"userId":{"priority":1,"unique":true,"limit":2},"anonymousId":{"priority":2}}')).toThrow(/userId\.limit: a unique type holds one value per person/);
    expect(config('{"userId":{"priority":1},"anonymousId":{"priority":2},"e-mail":{"priority":3}}')).toThrow(ConfigError);
    expect(config('{"userId":{"priority":1},"anonymousId":{"priority":2,"sticky":true}}')).toThrow(/anonymousId: Unrecognized key/i);
    expect(config('{"userId":{"priority":1},"anonymousId":{"priority":2},"idfv":{"priority":3,"context":["device..id"]}}')).toThrow(/idfv\.context\.0: a context path is/);
    expect(() => loadConfig({ NUDGE_PHONE_REGION: 'XX' })).toThrow(/NUDGE_PHONE_REGION: not an ISO 3166 country code/);
  });

  it('normalises phones to E.164 with the default region, emails to lower case, and says why a value is unusable', () => {
    const types = IdentifierTypes.defaults('CN');
    const phone = types.get('phone')!;
    expect(types.normalize(phone, '+86 138 0013 8000')).toEqual({ ok: true, value: '+8613800138000' });
    expect(types.normalize(phone, '13800138000')).toEqual({ ok: true, value: '+8613800138000' });
    expect(types.normalize(phone, '555-01')).toMatchObject({ ok: false, reason: expect.stringContaining('read as CN') });
    expect(types.normalize(types.get('email')!, ' Ann@Example.COM ')).toEqual({ ok: true, value: 'ann@example.com' });
    expect(types.normalize(types.get('email')!, 'not-an-email')).toMatchObject({ ok: false });
    expect(types.normalize(types.get('userId')!, 42)).toEqual({ ok: true, value: '42' });
    expect(types.normalize(types.get('userId')!, { id: 1 })).toEqual({ ok: false, reason: 'userId must be a string, got object' });
  });
});
