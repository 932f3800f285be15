import assert from 'node:assert/strict';
import { it } from 'node:test';

import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../src/native/half.js';

it('fp16: every bit pattern survives half → float → half', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = halfToFloat(bits);
    if (Number.isNaN(v)) continue;
    assert.equal(floatToHalf(v), bits, `bits 0x${bits.toString(16)}`);
  }
});

it('fp16: rounds to nearest even and overflows to infinity', () => {
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // halfway: ties to even (down)
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02); // halfway: ties to even (up)
  assert.equal(floatToHalf(65520), 0x7c00);
  assert.equal(floatToHalf(2 ** -25), 0); // below half the smallest subnormal
  assert.equal(halfToFloat(floatToHalf(NaN)), NaN);
});

it('bf16: every bit pattern survives, and rounding is to nearest even', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = bf16ToFloat(bits);
    if (!Number.isNaN(v)) assert.equal(floatToBf16(v), bits);
  }
  assert.equal(bf16ToFloat(floatToBf16(1 + 2 ** -8)), 1);
  assert.equal(bf16ToFloat(floatToBf16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
});
