import { describe, expect, it } from 'vitest';
import { harEntry } from '../export/har.ts';
import { harFlow } from './support/exchange-factory.ts';

type Cookie = { name: string; expires?: string };
const cookiesOf = (setCookie: string) =>
  (harEntry(harFlow({ response: { headers: [['Set-Cookie', setCookie]] } })) as { response: { cookies: Cookie[] } })
    .response.cookies;

describe('Set-Cookie in a HAR export', () => {
  it.each([
    'Expires=Thu, 01 Jan 275760 00:00:01 GMT',
    'Expires=-271821-04-20',
    'Expires=Sat, 13 Sep 275760 00:00:00 GMT',
    'Expires=not a date',
    'Expires=',
    'Expires',
    'Expires=Fri, 31 Dec 9999999 23:59:59 GMT',
  ])('an Expires HAR readers cannot take (%s) is left out, and the export goes on', (attribute) => {
    const [cookie] = cookiesOf(`a=1; ${attribute}; Path=/`);
    expect(cookie.name).toBe('a');
    expect(cookie.expires).toBeUndefined();
  });

  it('a date in range is written as ISO 8601', () => {
    expect(cookiesOf('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT')[0].expires).toBe('2015-10-21T07:28:00.000Z');
  });
});
