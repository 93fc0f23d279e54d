/** Segment's standard device identifiers (context.device.id, advertisingId, token) name people by default. */
import { describe, expect, it } from 'vitest';
import { EventEnvelope } from './envelope';
import { IdentifierTypes, IdentifierTypesConfig } from './identifier-types';
import { identifiersOf } from './identifiers-of-event';

const types = IdentifierTypes.defaults();
const event = (fields: Record<string, unknown>) => EventEnvelope.parse({ type: 'track', event: 'app_opened', messageId: `m-${Math.random()}`, timestamp: '2026-03-01T12:00:00.000Z', ...fields });

describe('device identifiers', () => {
  it('context.device.id, advertisingId and token become device_id, advertising_id and push_token, after email and before anonymousId', () => {
    const found = identifiersOf(event({
      anonymousId: 'anon-1',
      context: { device: { id: 'B5372DB0-C21E-11E4-8DFC-AA07A5B093DB', advertisingId: '7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB', token: 'ff15bc0c20c4aa6cd50854ff165fd265c838e5405bfeb9571066395b8c9da449', manufacturer: 'Apple' }, traits: { email: 'Ada@Example.com' } },
    }), types);
    expect(found.identifiers).toEqual([
      { type: 'email', value: 'ada@example.com' },
      { type: 'device_id', value: 'B5372DB0-C21E-11E4-8DFC-AA07A5B093DB' },
      { type: 'advertising_id', value: '7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB' },
      { type: 'push_token', value: 'ff15bc0c20c4aa6cd50854ff165fd265c838e5405bfeb9571066395b8c9da449' },
      { type: 'anonymousId', value: 'anon-1' },
    ]);
    expect(found.rejected).toEqual([]);
  });

  it('an unusable device id is reported, not linked; other fields of the device are not identifiers', () => {
    const found = identifiersOf(event({ userId: 'u1', context: { device: { id: { nested: true }, advertisingId: '   ', model: 'iPhone7,2' } } }), types);
    expect(found.identifiers).toEqual([{ type: 'userId', value: 'u1' }]);
    expect(found.rejected).toEqual([{ type: 'device_id', reason: 'device_id must be a string, got object' }, { type: 'advertising_id', reason: 'advertising_id is empty' }]);
  });

  it('a device that is not an object, or a path through inherited fields, finds nothing', () => {
    expect(identifiersOf(event({ userId: 'u1', context: { device: 'iPhone' } }), types).identifiers).toEqual([{ type: 'userId', value: 'u1' }]);
    expect(identifiersOf(event({ userId: 'u1', context: { device: JSON.parse('{"__proto__":{"id":"x"}}') } }), types).identifiers).toEqual([{ type: 'userId', value: 'u1' }]);
  });

  it('any context path can be configured as an identifier type', () => {
    const custom = new IdentifierTypes(IdentifierTypesConfig.parse({ userId: { priority: 1, unique: true }, anonymousId: { priority: 9 }, ga_client_id: { priority: 5, context: ['googleAnalytics.clientId'] } }), 'US');
    expect(identifiersOf(event({ anonymousId: 'a', context: { googleAnalytics: { clientId: '123.456' } } }), custom).identifiers).toEqual([
      { type: 'ga_client_id', value: '123.456' },
      { type: 'anonymousId', value: 'a' },
    ]);
  });
});
