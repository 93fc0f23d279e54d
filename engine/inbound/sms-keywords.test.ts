import { describe, expect, it } from 'vitest';
import { optOutKeywordOf } from './sms-keywords';

describe('SMS opt-out keywords', () => {
  it.each([
    ['STOP', 'STOP'],
    ['stop', 'STOP'],
    ['  Stop \n', 'STOP'],
    ['STOPALL', 'STOPALL'],
    ['unsubscribe', 'UNSUBSCRIBE'],
    ['Cancel', 'CANCEL'],
    ['end', 'END'],
    ['QUIT', 'QUIT'],
  ])('%j is the opt-out %s', (body, keyword) => {
    expect(optOutKeywordOf(body)).toBe(keyword);
  });

  it.each(['', 'START', 'please stop', 'stop it', 'STOP!', 'S T O P', 'stopp', 'unstop', 'HELP'])('%j is not an opt-out', (body) => {
    expect(optOutKeywordOf(body)).toBeNull();
  });
});
