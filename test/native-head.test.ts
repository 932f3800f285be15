// The native head against the plain TypeScript reference of the same math.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { toHalfArray, fromHalfArray } from '../src/native/half.js';
import { stepFeatures, type HeadSpec } from '../src/native/head-types.js';
import { NativeActionHead } from '../src/native/native-head.js';
import { ReferenceActionHead, logSoftmaxAt } from '../src/native/reference-head.js';
import { maxRelDiff, randomArray, randomParams, randomTokens } from './helpers/random.js';

process.env.GRAPE_LOG = 'silent';

async function pair(spec: HeadSpec, seed: number) {
  const params = randomParams(spec, seed);
  const native = new NativeActionHead(spec, { device: 'cpu' });
  const reference = new ReferenceActionHead(spec);
  await native.setParameters(params);
  await reference.setParameters(params);
  return { native, reference, params };
}

const SPECS: HeadSpec[] = [
  { kind: 'mlp', inputDim: 5, actionDims: 1, bins: 2 },
  { kind: 'mlp', inputDim: 37, hidden: [16], actionDims: 3, bins: 33 },
  { kind: 'mlp', inputDim: 64, hidden: [8, 13], actionDims: 7, bins: 100, activation: 'gelu' },
  { kind: 'mlp', inputDim: 300, hidden: [40], actionDims: 7, bins: 256, lora: { rank: 4, alpha: 8 } },
  { kind: 'token-linear', inputDim: 9, actionDims: 2, bins: 31 },
  { kind: 'token-linear', inputDim: 64, actionDims: 7, bins: 256, lora: { rank: 2, alpha: 4 } },
];

describe('native head vs TypeScript reference', () => {
  for (const [i, spec] of SPECS.entries()) {
    for (const steps of [0, 1, 17]) {
      it(`${spec.kind} in=${spec.inputDim} D=${spec.actionDims} B=${spec.bins}${spec.lora ? ' lora' : ''} N=${steps}`, async () => {
        const { native, reference } = await pair(spec, 100 * i);
        const x = randomArray(steps * stepFeatures(spec), 7 + i);
        const tokens = randomTokens(steps * spec.actionDims, spec.bins, 3 + i);

        const logits = await native.logits(x);
        assert.equal(logits.length, steps * spec.actionDims * spec.bins);
        assert.ok(maxRelDiff(logits, await reference.logits(x)) < 1e-4);

        const ll = await native.logLikelihood(x, tokens, { perDim: true });
        const ref = await reference.logLikelihood(x, tokens, { perDim: true });
        assert.equal(ll.steps.length, steps);
        assert.ok(maxRelDiff(ll.steps, ref.steps) < 1e-4, `steps ${maxRelDiff(ll.steps, ref.steps)}`);
        assert.ok(maxRelDiff(ll.dims!, ref.dims!) < 1e-4);

        // Greedy decoding picks each row's argmax; its logp is the untempered log-softmax there.
        const greedy = await native.act(x, { greedy: true, perDim: true });
        const B = spec.bins;
        for (let row = 0; row < steps * spec.actionDims; row++) {
          const slice = logits.subarray(row * B, (row + 1) * B);
          assert.equal(greedy.tokens[row], slice.indexOf(Math.max(...slice)));
          assert.ok(Math.abs(greedy.dims![row]! - logSoftmaxAt(slice, 0, B, greedy.tokens[row]!)) < 1e-4);
        }
        native.dispose();
      });
    }
  }
});

describe('numerics', () => {
  it('stays finite and exact with logits near ±1e4', async () => {
    const spec: HeadSpec = { kind: 'mlp', inputDim: 8, actionDims: 2, bins: 40 };
    const { native, reference, params } = await pair(spec, 5);
    const bias = params['layers.0.bias']!;
    bias.forEach((_, j) => (bias[j] = j % 3 === 0 ? 1e4 : j % 3 === 1 ? -1e4 : 9999.5));
    await native.setParameters({ 'layers.0.bias': bias });
    await reference.setParameters({ 'layers.0.bias': bias });
    const x = randomArray(10 * 8, 1);
    const tokens = randomTokens(20, 40, 2);
    const ll = await native.logLikelihood(x, tokens);
    const ref = await reference.logLikelihood(x, tokens);
    for (let s = 0; s < 10; s++) {
      assert.ok(Number.isFinite(ll.steps[s]));
      assert.ok(Math.abs(ll.steps[s]! - ref.steps[s]!) < 1e-2 * (1 + Math.abs(ref.steps[s]!)));
    }
  });

  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`takes ${dtype} features as the fp32 values they encode`, async () => {
      const spec: HeadSpec = { kind: 'token-linear', inputDim: 48, actionDims: 7, bins: 64 };
      const { native } = await pair(spec, 9);
      const bits = toHalfArray(randomArray(6 * 7 * 48, 4), dtype);
      const widened = fromHalfArray(bits, dtype);
      const tokens = randomTokens(42, 64, 1);
      const fromHalf = await native.logLikelihood({ data: bits, dtype }, tokens);
      const fromFloat = await native.logLikelihood(widened, tokens);
      assert.deepEqual(fromHalf.steps, fromFloat.steps);
    });
  }

  it('sums log-likelihoods per trajectory over policy steps only', async () => {
    const spec: HeadSpec = { kind: 'mlp', inputDim: 6, hidden: [5], actionDims: 3, bins: 20 };
    const { native } = await pair(spec, 2);
    const x = randomArray(9 * 6, 3);
    const tokens = randomTokens(27, 20, 4);
    const segments = Int32Array.from([0, 4, 4, 9]);
    const mask = Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 0, 1]);
    const r = await native.logLikelihood(x, tokens, { segments, mask });
    const s = Array.from(r.steps);
    const sum = (idx: number[]) => idx.reduce((a, i) => a + s[i]!, 0);
    assert.ok(Math.abs(r.segments![0]! - sum([0, 1, 3])) < 1e-9);
    assert.equal(r.segments![1], 0);
    assert.ok(Math.abs(r.segments![2]! - sum([4, 5, 6, 8])) < 1e-9);
  });
});

describe('sampling', () => {
  const spec: HeadSpec = { kind: 'mlp', inputDim: 12, hidden: [10], actionDims: 7, bins: 50 };

  it('is reproducible for a seed and independent of batching', async () => {
    const { native } = await pair(spec, 1);
    const x = randomArray(40 * 12, 2, 2);
    const a = await native.act(x, { seed: 11, temperature: 1.2, topK: 10 });
    const b = await native.act(x, { seed: 11, temperature: 1.2, topK: 10 });
    assert.deepEqual(a.tokens, b.tokens);
    const c = await native.act(x, { seed: 12, temperature: 1.2, topK: 10 });
    assert.notDeepEqual(a.tokens, c.tokens);
    const alone = await native.act(x.subarray(23 * 12, 24 * 12), {
      seed: 11,
      temperature: 1.2,
      topK: 10,
      firstStep: 23,
    });
    assert.deepEqual(alone.tokens, a.tokens.subarray(23 * 7, 24 * 7));
  });

  it('draws what the reference draws and reports the untempered log-likelihood', async () => {
    const { native, reference } = await pair(spec, 3);
    const x = randomArray(60 * 12, 5, 2);
    for (const opts of [{ temperature: 0.5 }, { temperature: 1, topK: 3 }, { temperature: 2, topK: 49 }]) {
      const n = await native.act(x, { ...opts, seed: 4, perDim: true });
      const r = await reference.act(x, { ...opts, seed: 4, perDim: true });
      const agree = n.tokens.filter((t, i) => t === r.tokens[i]).length / n.tokens.length;
      assert.ok(agree > 0.99, `agreement ${agree} for ${JSON.stringify(opts)}`);
      const untempered = await native.logLikelihood(x, n.tokens, { perDim: true });
      assert.ok(maxRelDiff(n.dims!, untempered.dims!) < 1e-6);
      if (opts.topK === 3) {
        const logits = await native.logits(x);
        for (let row = 0; row < n.tokens.length; row++) {
          const z = logits.subarray(row * 50, (row + 1) * 50);
          assert.ok(z.filter((v) => v > z[n.tokens[row]!]!).length < 3);
        }
      }
    }
  });
});

describe('async behaviour', () => {
  it('keeps the event loop free while it computes', async () => {
    const big: HeadSpec = { kind: 'mlp', inputDim: 512, hidden: [256], actionDims: 7, bins: 256 };
    const { native } = await pair(big, 1);
    const steps = 20000;
    const x = randomArray(steps * 512, 1);
    const tokens = randomTokens(steps * 7, 256, 1);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await native.logLikelihood(x, tokens);
    clearInterval(timer);
    assert.ok(ticks > 0, 'no timer fired while the addon worked');
  });

  it('resolves many concurrent calls, with parameter updates in between', async () => {
    const { native, reference, params } = await pair(SPECS[1]!, 8);
    const x = randomArray(5 * 37, 2);
    const tokens = randomTokens(15, 33, 3);
    const expected = (await reference.logLikelihood(x, tokens)).steps;
    const results = await Promise.all(Array.from({ length: 24 }, () => native.logLikelihood(x, tokens)));
    for (const r of results) assert.ok(maxRelDiff(r.steps, expected) < 1e-4);
    const scaled = Float32Array.from(params['layers.1.weight']!, (v) => v * 2);
    // Calls in flight during an update see either the old or the new parameters, never a mix.
    await reference.setParameters({ 'layers.1.weight': scaled });
    const updated = (await reference.logLikelihood(x, tokens)).steps;
    const during = await Promise.all([
      native.logLikelihood(x, tokens),
      native.setParameters({ 'layers.1.weight': scaled }),
      native.logLikelihood(x, tokens),
    ]);
    for (const r of [during[0], during[2]])
      assert.ok(maxRelDiff(r.steps, expected) < 1e-4 || maxRelDiff(r.steps, updated) < 1e-4);
    assert.ok(maxRelDiff((await native.logLikelihood(x, tokens)).steps, updated) < 1e-4);
    const round = await native.getParameters();
    assert.deepEqual(round['layers.1.weight'], scaled);
    assert.deepEqual(round['layers.0.bias'], params['layers.0.bias']);
  });
});
