import { compareStreamIds, isStreamId, maxStreamId, streamIdAfter } from '@revmemo/queue';
import { expect, it } from 'vitest';

it('orders Redis stream ids numerically, not as strings', () => {
  expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
  expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
  expect(compareStreamIds('1700000000000-5', '1700000000000-5')).toBe(0);
  expect(compareStreamIds('123', '123-0')).toBe(0);
  // Beyond 2^53: still exact.
  expect(compareStreamIds('1-18446744073709551614', '1-18446744073709551615')).toBeLessThan(0);
  expect(maxStreamId('5-1', '5-0')).toBe('5-1');
});

it('recognises well-formed ids only', () => {
  expect(isStreamId('1700000000000-0')).toBe(true);
  expect(isStreamId('0-0')).toBe(true);
  for (const bad of ['', '-1', 'abc', '1-2-3', '1-', ' 1-0']) expect(isStreamId(bad)).toBe(false);
  expect(() => compareStreamIds('abc', '1-0')).toThrow(TypeError);
});

it('names the id right after another, for a terminal state with no stream entry of its own', () => {
  expect(streamIdAfter('1700000000000-4')).toBe('1700000000000-5');
  expect(streamIdAfter('1700000000000')).toBe('1700000000000-1');
  // Past the last 64-bit sequence number Redis would refuse the id: the next millisecond instead.
  expect(streamIdAfter('5-18446744073709551615')).toBe('6-0');
  for (const id of ['0-0', '9-9', '1-18446744073709551614'])
    expect(compareStreamIds(streamIdAfter(id), id)).toBeGreaterThan(0);
});
