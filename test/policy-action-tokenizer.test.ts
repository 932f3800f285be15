// Action tokens: q01/q99 normalization, B bins over [-1, 1] (uniform, and OpenVLA's layout), binary
// dims, clipping reported, bad input refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ActionTokenizer } from '../src/policy/action-tokenizer.js';
import { DEFAULT_ACTION, DEFAULT_BINS } from '../src/policy/default-model/default-model.js';
import type { ActionSpec } from '../src/policy/model-manifest.js';
import { PolicyInputError } from '../src/policy/policy-input-error.js';
import { rng } from './helpers/random.js';

const spec = (binning: ActionSpec['binning'], bins = 256): ActionSpec => ({
  dims: 4,
  names: ['dx', 'dz', 'dyaw', 'gripper'],
  bins,
  binning,
  normalization: { q01: [-0.02, 0.1, -0.5, 0], q99: [0.02, 0.3, 0.5, 1] },
  binary: ['gripper'],
});

/** A step's action drawn inside [q01, q99], gripper at one of its levels. */
function inRange(r: () => number, s: ActionSpec): number[] {
  return s.names.map((_, d) => {
    const lo = s.normalization.q01[d]!;
    const hi = s.normalization.q99[d]!;
    return d === 3 ? (r() < 0.5 ? lo : hi) : lo + (hi - lo) * r();
  });
}

describe('action tokenizer', () => {
  for (const binning of ['uniform', 'openvla'] as const) {
    it(`${binning}: continuous → tokens → continuous stays within one bin`, () => {
      const s = spec(binning);
      const t = new ActionTokenizer(s);
      const r = rng(11);
      const binsOverRange = binning === 'uniform' ? s.bins : s.bins - 1;
      for (let i = 0; i < 2000; i++) {
        const a = inRange(r, s);
        const { tokens, clipped } = t.encode(a);
        assert.deepEqual(clipped, []);
        const back = t.decode(tokens);
        for (let d = 0; d < 3; d++) {
          const width = (s.normalization.q99[d]! - s.normalization.q01[d]!) / binsOverRange;
          assert.ok(Math.abs(back[d]! - a[d]!) <= width / 2 + 1e-12, `dim ${d}: ${a[d]} → ${back[d]}`);
        }
        assert.equal(back[3], a[3]);
      }
    });
  }

  it('uniform: every token decodes to its bin centre and encodes back to itself', () => {
    const t = new ActionTokenizer(spec('uniform', 16));
    for (let token = 0; token < 16; token++) {
      const a = t.decode([token, token, token, 0]);
      assert.ok(Math.abs(a[0]! - (-0.02 + ((token + 0.5) / 16) * 0.04)) < 1e-12);
      assert.deepEqual(Array.from(t.encode(a).tokens.subarray(0, 3)), [token, token, token]);
    }
    // The ends of the range are the first and last bins.
    assert.deepEqual(Array.from(t.encode([-0.02, 0.3, 0, 0]).tokens.subarray(0, 2)), [0, 15]);
  });

  it("the default model's action: holding still (all zeros) decodes to exactly zero", () => {
    const t = new ActionTokenizer({
      dims: 7,
      bins: DEFAULT_BINS,
      binning: 'uniform',
      names: DEFAULT_ACTION.names,
      normalization: { q01: DEFAULT_ACTION.q01, q99: DEFAULT_ACTION.q99 },
      binary: DEFAULT_ACTION.binary,
    });
    const zero = [0, 0, 0, 0, 0, 0, 0];
    assert.deepEqual(Array.from(t.decode(t.encode(zero).tokens)), zero);
  });

  it("openvla: matches OpenVLA's digitize layout (token = B - digitize(x), centres of B-1 bins)", () => {
    const B = 256;
    const t = new ActionTokenizer(spec('openvla', B));
    const edges = Array.from({ length: B }, (_, i) => -1 + (2 * i) / (B - 1));
    const digitize = (x: number) => edges.filter((e) => e <= x).length; // np.digitize, right=False
    const r = rng(5);
    for (let i = 0; i < 500; i++) {
      const x = i === 0 ? -1 : i === 1 ? 1 : r() * 2 - 1;
      const a = -0.02 + ((x + 1) / 2) * 0.04;
      assert.equal(t.encode([a, 0.2, 0, 0]).tokens[0], B - digitize(x), `x = ${x}`);
    }
    // Decoding: centre of bin clip(B - t - 1, 0, B - 2); tokens 1..B-1 round-trip, token 0 shares bin B-2.
    for (let token = 1; token < B; token++) {
      const a = t.decode([token, 0, 0, 0]);
      assert.equal(t.encode(a).tokens[0], token);
    }
    assert.deepEqual(t.decode([0, 0, 0, 0])[0], t.decode([1, 0, 0, 0])[0]);
  });

  it('binary dims: either level, decoded by the nearer end', () => {
    for (const binning of ['uniform', 'openvla'] as const) {
      const t = new ActionTokenizer(spec(binning));
      const low = t.encode([0, 0.2, 0, 0.2]).tokens[3]!;
      const high = t.encode([0, 0.2, 0, 0.7]).tokens[3]!;
      assert.notEqual(low, high);
      assert.equal(t.decode([0, 0, 0, low])[3], 0);
      assert.equal(t.decode([0, 0, 0, high])[3], 1);
      // Sampling can land anywhere: the half nearer a level's token decodes to that level.
      const near = (k: number) => Math.round(low + (high - low) * k);
      assert.equal(t.decode([0, 0, 0, near(0.4)])[3], 0);
      assert.equal(t.decode([0, 0, 0, near(0.6)])[3], 1);
      assert.ok(t.isBinary(3) && !t.isBinary(0));
    }
  });

  it('reports every clipped dim with the value and the bound, and still tokenizes', () => {
    const t = new ActionTokenizer(spec('uniform'));
    const { tokens, clipped } = t.encode([0.05, 0.1, -0.75, 1.5]);
    assert.deepEqual(clipped, [
      { dim: 0, name: 'dx', value: 0.05, limit: 0.02 },
      { dim: 2, name: 'dyaw', value: -0.75, limit: -0.5 },
      { dim: 3, name: 'gripper', value: 1.5, limit: 1 },
    ]);
    assert.deepEqual(Array.from(tokens), [255, 0, 0, 255]);
  });

  it('refuses actions and tokens it cannot take, naming them', () => {
    const t = new ActionTokenizer(spec('uniform'));
    assert.throws(() => t.encode([0, 0, 0]), /action: has 3 values; the model's action has 4 dims/);
    assert.throws(
      () => t.encode([0, Number.NaN, 0, 0]),
      (e: unknown) =>
        e instanceof PolicyInputError && e.input === 'action[1] (dz)' && /is NaN/.test(e.message),
    );
    assert.throws(() => t.decode([0, 256, 0, 0]), /tokens\[1\]: 256 is not a token id in \[0, 256\)/);
    assert.throws(() => t.decode([0, 1.5, 0, 0]), /tokens\[1\]: 1.5 is not a token id/);
    assert.throws(() => t.decode([0, 0]), /tokens: has 2 values from 0; a step has 4/);
    // A step inside a longer token array.
    assert.deepEqual(t.decode([9, 9, 255, 0, 0, 255], 2), t.decode([255, 0, 0, 255]));
  });
});
