/** The number formats of messages and reports. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCount, formatDuration } from '../../src/core/format';

describe('formatCount', () => {
  it('groups digits exactly as toLocaleString("en-US") does, without loading ICU', () => {
    const fixed = [0, -0, 1, 999, 1000, 65530, 1_000_251, -1234.5, 0.0004, -0.0004, 999.9995, 1062831.4, 2 ** 53, 1e20 + 12345, Infinity, NaN];
    let x = 12345;
    const random = Array.from({ length: 20_000 }, (_, i) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = (x / 2 ** 31 - 0.3) * 10 ** (i % 13);
      return i % 2 ? Math.round(v) : v;
    });
    for (const n of [...fixed, ...random]) assert.equal(formatCount(n), n.toLocaleString('en-US'), String(n));
  });
});

describe('formatDuration', () => {
  it('says sub-second watch intervals in ms, not "0 s"', () => {
    assert.equal(formatDuration(250), '250 ms');
    assert.equal(formatDuration(200), '200 ms');
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(1000), '1 s');
    assert.equal(formatDuration(3 * 3600_000 + 10 * 60_000), '3 h 10 min');
  });
});
