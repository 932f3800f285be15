// Policy.step and Policy.logLikelihood on the default model with the real parts (native head,
// onnxruntime encoder in its worker), checked against the plain TypeScript head on the same features.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PNG } from 'pngjs';

import { loadPolicy, type LoadedPolicy } from '../src/app/load-policy.js';
import { ReferenceActionHead, logSoftmaxAt } from '../src/native/reference-head.js';
import { buildDefaultModel, DEFAULT_BINS } from '../src/policy/default-model/default-model.js';
import { loadModelPackage, writeAdapter, writeModelPackage } from '../src/policy/model-package.js';
import { ObservationPreprocessor, type Observation } from '../src/policy/observation-preprocessor.js';
import { OnnxEncoder } from '../src/policy/onnx/onnx-encoder.js';
import { Policy } from '../src/policy/policy.js';
import { PolicyInputError } from '../src/policy/policy-input-error.js';
import { header, jointState, PANDA_HOME, scratchDir, tableScene } from './helpers/policy-fixtures.js';
import { randomArray } from './helpers/random.js';

process.env.GRAPE_LOG = 'silent';

const INSTRUCTION = 'pick up the red cube';

function observation(x = 30, y = 40, q = PANDA_HOME): Observation {
  return { image: tableScene({ x, y, size: 9, colour: [200, 30, 30] }), joints: jointState(undefined, q) };
}

/** Untempered Σ_d log_softmax(logits)[token] by the plain TypeScript head. */
async function referenceLogp(
  reference: ReferenceActionHead,
  features: Float32Array,
  tokens: Int32Array,
): Promise<number> {
  const { actionDims: D, bins: B } = reference.spec;
  const logits = await reference.logits(features);
  let sum = 0;
  for (let d = 0; d < D; d++) sum += logSoftmaxAt(logits, d * B, B, tokens[d]!);
  return sum;
}

describe('Policy on the default model', () => {
  let dir: string;
  let loaded: LoadedPolicy;
  let policy: Policy;
  let reference: ReferenceActionHead;

  before(async () => {
    dir = await writeModelPackage(join(scratchDir(), 'model'), buildDefaultModel(0));
    loaded = await loadPolicy(dir, { device: 'cpu' });
    policy = loaded.policy;
    reference = new ReferenceActionHead(loaded.package.headSpec);
    await reference.setParameters(loaded.package.headParameters);
  });
  after(async () => {
    await policy.dispose();
  });

  it('steps: valid tokens, a valid action, the untempered logp and the features', async () => {
    policy.reset();
    const s = await policy.step(observation(), INSTRUCTION);
    assert.equal(s.policyId, 'grape-default@1/base');
    assert.equal(s.stepIndex, 0);
    assert.equal(s.instruction, INSTRUCTION);
    assert.equal(s.tokens.length, 7);
    assert.ok(s.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < DEFAULT_BINS));
    const { q01, q99 } = loaded.package.manifest.action.normalization;
    s.action.forEach((a, d) => {
      assert.ok(a >= q01[d]! && a <= q99[d]!, `dim ${d}: ${a}`);
    });
    assert.ok(s.action[6] === 0 || s.action[6] === 1);
    assert.deepEqual(s.action, policy.actions.decode(s.tokens));
    assert.equal(s.features.length, 560);
    assert.ok(Number.isFinite(s.logp) && s.logp < 0);
    assert.equal(s.logpDims.length, 7);
    assert.ok(Math.abs(s.logpDims.reduce((a, b) => a + b, 0) - s.logp) < 1e-4);
    assert.ok(Math.abs(s.logp - (await referenceLogp(reference, s.features, s.tokens))) < 1e-3);
    assert.ok(s.timing.preprocessMs >= 0 && s.timing.encodeMs > 0 && s.timing.headMs > 0);
    assert.equal((await policy.step(observation(), INSTRUCTION)).stepIndex, 1);
  });

  it('logs the untempered logp whatever the temperature and top-k used for sampling', async () => {
    for (const sampling of [{ temperature: 3 }, { temperature: 0.3, topK: 4 }, { greedy: true }]) {
      const s = await policy.step(observation(50, 20), 'push the red cube', { sampling });
      const ref = await referenceLogp(reference, s.features, s.tokens);
      assert.ok(Math.abs(s.logp - ref) < 1e-3, `${JSON.stringify(sampling)}: ${s.logp} vs ${ref}`);
    }
  });

  it('decodes greedily to the argmax of every action row', async () => {
    const s = await policy.step(observation(), INSTRUCTION, { sampling: { greedy: true } });
    const logits = await reference.logits(s.features);
    for (let d = 0; d < 7; d++) {
      const row = logits.subarray(d * DEFAULT_BINS, (d + 1) * DEFAULT_BINS);
      assert.equal(s.tokens[d], row.indexOf(Math.max(...row)));
    }
    assert.deepEqual(
      (await policy.step(observation(), INSTRUCTION, { sampling: { greedy: true } })).tokens,
      s.tokens,
    );
  });

  it('samples reproducibly from (seed, step index)', async () => {
    const at = (stepIndex: number, seed: number) =>
      policy
        .step(observation(), INSTRUCTION, { stepIndex, sampling: { seed } })
        .then((s) => Array.from(s.tokens));
    assert.deepEqual(await at(5, 1), await at(5, 1));
    const steps = await Promise.all([0, 1, 2, 3].map((i) => at(i, 1)));
    assert.ok(new Set(steps.map((t) => t.join())).size > 1, 'different steps draw differently');
    const seeds = await Promise.all([1, 2, 3, 4].map((seed) => at(5, seed)));
    assert.ok(new Set(seeds.map((t) => t.join())).size > 1, 'different seeds draw differently');
    policy.reset(5);
    assert.deepEqual(
      Array.from((await policy.step(observation(), INSTRUCTION, { sampling: { seed: 1 } })).tokens),
      await at(5, 1),
    );
  });

  it('scores logged steps from cached features or from observations, with segments and masks', async () => {
    const obs = [observation(10, 10), observation(40, 60), observation(70, 30)];
    const logged = [];
    for (const o of obs) logged.push(await policy.step(o, INSTRUCTION));
    const fromFeatures = await policy.logLikelihood(
      logged.map((s) => ({ tokens: s.tokens, features: s.features })),
    );
    const fromObservations = await policy.logLikelihood(
      logged.map((s, i) => ({ tokens: s.tokens, observation: obs[i]!, instruction: INSTRUCTION })),
    );
    logged.forEach((s, i) => {
      assert.ok(Math.abs(fromFeatures.steps[i]! - s.logp) < 1e-4);
      assert.ok(Math.abs(fromObservations.steps[i]! - s.logp) < 1e-4);
    });
    const segmented = await policy.logLikelihood(
      logged.map((s) => ({ tokens: Array.from(s.tokens), features: s.features })),
      { segments: Int32Array.of(0, 2, 3), mask: Uint8Array.of(1, 0, 1) },
    );
    assert.ok(Math.abs(segmented.segments![0]! - logged[0]!.logp) < 1e-4);
    assert.ok(Math.abs(segmented.segments![1]! - logged[2]!.logp) < 1e-4);
  });

  it('takes a compressed camera image', async () => {
    const raw = observation(20, 60).image as { data: Uint8Array; width: number; height: number };
    const png = new PNG({ width: 96, height: 96 });
    for (let i = 0; i < 96 * 96; i++)
      png.data.set([raw.data[3 * i]!, raw.data[3 * i + 1]!, raw.data[3 * i + 2]!, 255], 4 * i);
    const compressed: Observation = {
      image: { header: header(), format: 'rgb8; png compressed bgr8', data: PNG.sync.write(png) },
      joints: jointState(),
    };
    const a = await policy.step(compressed, INSTRUCTION, { sampling: { greedy: true } });
    const b = await policy.step(observation(20, 60), INSTRUCTION, { sampling: { greedy: true } });
    assert.deepEqual(a.features, b.features);
  });

  it('refuses bad input with errors that name it', async () => {
    await assert.rejects(
      policy.step(observation(), INSTRUCTION, { sampling: { temperature: 0 } }),
      /sampling.temperature: must be a positive number, got 0/,
    );
    await assert.rejects(
      policy.step({ ...observation(), joints: jointState(['joint1'], [0]) }, INSTRUCTION),
      (e: unknown) =>
        e instanceof PolicyInputError && e.input === 'joints' && /joint 'joint2' is missing/.test(e.message),
    );
    await assert.rejects(policy.step(observation(), '...'), /instruction: "..." has no words/);
    await assert.rejects(
      policy.step(observation(), INSTRUCTION, { stepIndex: -1 }),
      /stepIndex: must be a non-negative integer, got -1/,
    );
    const s = await policy.step(observation(), INSTRUCTION);
    await assert.rejects(
      policy.logLikelihood([
        { tokens: s.tokens, features: s.features },
        { tokens: [1, 2, 3], features: s.features },
      ]),
      /steps\[1\].tokens: has 3 values; a step has 7/,
    );
    await assert.rejects(
      policy.logLikelihood([{ tokens: [0, 0, 0, 0, 0, 0, 300], features: s.features }]),
      /steps\[0\].tokens\[6\]: 300 is not a token id in \[0, 65\)/,
    );
    await assert.rejects(
      policy.logLikelihood([{ tokens: s.tokens, features: s.features.subarray(1) }]),
      /steps\[0\].features: has 559 values; the model's features have 560/,
    );
  });

  it('runs on any ActionHead and Encoder: the TypeScript reference head gives the same steps', async () => {
    const pkg = loaded.package;
    const encoder = await OnnxEncoder.create(pkg.encoderPath, {
      output: 'features',
      warmup: new ObservationPreprocessor(pkg.manifest).warmupFeeds(),
    });
    const head = new ReferenceActionHead(pkg.headSpec);
    await head.setParameters(pkg.headParameters);
    const plain = new Policy(pkg.manifest, encoder, head, { id: 'reference', sampling: { seed: 3 } });
    const a = await plain.step(observation(), INSTRUCTION, { stepIndex: 9 });
    const b = await policy.step(observation(), INSTRUCTION, { stepIndex: 9, sampling: { seed: 3 } });
    assert.deepEqual(a.tokens, b.tokens);
    assert.ok(Math.abs(a.logp - b.logp) < 1e-3);
    await plain.dispose();
    assert.throws(
      () =>
        new Policy(pkg.manifest, encoder, new ReferenceActionHead({ ...pkg.headSpec, bins: 128 }), {
          id: 'x',
        }),
      /the action head's bins is 128; the model's policy.json says 65/,
    );
  });

  it('loads an adapter: LoRA factors change the policy, and the id names the checkpoint', async () => {
    const pkg = await loadModelPackage(dir);
    await writeAdapter(pkg, 'lora-1', {
      kind: 'lora',
      parent: 'base',
      objective: 'tpo',
      lora: { rank: 2, alpha: 4 },
      parameters: {
        'layers.2.lora_A': randomArray(2 * 512, 4, 0.5),
        'layers.2.lora_B': randomArray(455 * 2, 5, 0.5),
      },
    });
    await writeAdapter(pkg, 'same', {
      kind: 'full',
      parent: 'base',
      objective: 'sft',
      parameters: pkg.headParameters,
    });
    const base = await policy.step(observation(), INSTRUCTION, { sampling: { greedy: true } });
    for (const [adapter, changes] of [
      ['lora-1', true],
      ['same', false],
    ] as const) {
      const { policy: p } = await loadPolicy(dir, { device: 'cpu', adapter });
      const s = await p.step(observation(), INSTRUCTION, { sampling: { greedy: true } });
      assert.equal(s.policyId, `grape-default@1/${adapter}`);
      assert.deepEqual(s.features, base.features);
      if (changes) assert.ok(Math.abs(s.logp - base.logp) > 1e-3);
      else assert.ok(Math.abs(s.logp - base.logp) < 1e-5 && s.tokens.join() === base.tokens.join());
      await p.dispose();
    }
    await assert.rejects(
      loadPolicy(dir, { adapter: 'missing' }),
      /missing: no such adapter \(adapters: lora-1, same\)/,
    );
  });
});
