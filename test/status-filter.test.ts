import { describe, expect, it } from 'vitest';
import { STATUS_CLASSES, statusRange } from '../model/exchange.ts';

describe('the status filter', () => {
  it('takes every class the viewer offers, in either case, as the statuses of that hundred', () => {
    expect(STATUS_CLASSES.map((c) => statusRange(c))).toEqual([
      [100, 200],
      [200, 300],
      [300, 400],
      [400, 500],
      [500, 600],
    ]);
    expect(statusRange('4XX')).toEqual([400, 500]);
  });

  it('takes an exact status as itself', () => {
    expect(statusRange('101')).toEqual([101, 102]);
    expect(statusRange('404')).toEqual([404, 405]);
  });

  it('refuses what is neither', () => {
    for (const bad of ['6xx', '0xx', 'xx', '4x', '44', '4040', 'abc', '', ' 404'])
      expect(statusRange(bad), bad).toBeNull();
  });
});
