// The addon's Trainer through its TypeScript face (HeadTrainer). The math itself (losses and
// gradients against finite differences of a double-precision reference) is checked by the C++
// trainer_test; here: the plumbing, the agreement with the inference head, and learning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HeadError } from '../src/native/head-error.js';
import { toHalfArray } from '../src/native/half.js';
import { stepFeatures, type HeadSpec } from '../src/native/head-types.js';
import { NativeActionHead } from '../src/native/native-head.js';
import { NativeHeadTrainer } from '../src/native/native-trainer.js';
import type { TrainerConfig, TrainingData } from '../src/native/trainer-types.js';
import { randomArray, randomParams, randomTokens } from './helpers/random.js';

process.env.GRAPE_LOG = 'silent';

const spec: HeadSpec = {
  kind: 'mlp',
  inputDim: 16,
  hidden: [12],
  actionDims: 3,
  bins: 9,
  lora: { rank: 2, alpha: 4 },
};

/** Six trajectories of 5..10 steps; every fourth step is not the policy's. */
function data(seed = 1): TrainingData {
  const lengths = [5, 8, 6, 10, 7, 9];
  const offsets = Int32Array.from([
    0,
    ...lengths.map((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b, 0)),
  ]);
  const n = offsets.at(-1)!;
  return {
    features: randomArray(n * stepFeatures(spec), seed),
    tokens: randomTokens(n * spec.actionDims, spec.bins, seed + 1),
    policyMask: Uint8Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 1)),
    offsets,
  };
}

function initial(seed = 3): Record<string, Float32Array> {
  const p = randomParams(spec, seed, 0.4);
  for (const name of Object.keys(p)) if (name.endsWith('lora_B')) p[name]!.fill(0); // PEFT: B starts at zero
  return p;
}

const base: TrainerConfig = { objective: 'tpo', trainable: 'lora', lr: 0.02, beta: 0.5 };

describe('native trainer', () => {
  it('computes the reference exactly as the inference head scores the same steps', async () => {
    for (const halfFeatures of [false, true]) {
      const d = data(4);
      const features = halfFeatures
        ? { data: toHalfArray(d.features as Float32Array, 'float16'), dtype: 'float16' as const }
        : d.features;
      const trainer = new NativeHeadTrainer(spec, base, initial(), { device: 'cpu' });
      await trainer.upload({ ...d, features });
      const ref = await trainer.computeReference();
      const head = new NativeActionHead(spec, { device: 'cpu' });
      await head.setParameters(initial());
      const scored = await head.logLikelihood(features, d.tokens);
      assert.deepEqual(ref, scored.steps);
      trainer.dispose();
      head.dispose();
    }
  });

  it('starts at a zero log-ratio and raises the TPO margin', async () => {
    const trainer = new NativeHeadTrainer(spec, base, initial(), { device: 'cpu' });
    await trainer.upload(data());
    await trainer.computeReference();
    const pairs = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const first = await trainer.evaluate({ pairs });
    assert.equal(first.margin, 0);
    assert.ok(Math.abs(first.loss - Math.log(2)) < 1e-12);
    for (let i = 0; i < 60; i++) await trainer.step({ pairs });
    const after = await trainer.evaluate({ pairs });
    assert.ok(after.margin > 1, `margin ${after.margin}`);
    assert.equal(after.accuracy, 1);
    assert.ok(after.loss < first.loss);
  });

  it('sft raises the likelihood of the trained steps under the inference head', async () => {
    const d = data(7);
    const trainer = new NativeHeadTrainer(
      spec,
      { objective: 'sft', trainable: 'full', lr: 0.01 },
      initial(),
      {
        device: 'cpu',
      },
    );
    await trainer.upload(d);
    const trajectories = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const before = await trainer.evaluate({ trajectories });
    for (let i = 0; i < 80; i++) await trainer.step({ trajectories });
    const after = await trainer.evaluate({ trajectories });
    assert.ok(after.nll < before.nll - 0.5, `nll ${before.nll} → ${after.nll}`);
    const head = new NativeActionHead(spec, { device: 'cpu' });
    await head.setParameters(await trainer.getParameters());
    const scored = await head.logLikelihood(d.features, d.tokens);
    const policyMean =
      -Array.from(scored.steps).reduce((a, v, i) => a + (d.policyMask[i] ? v : 0), 0) /
      d.policyMask.reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(policyMean - after.nll) < 1e-4, `${policyMean} vs ${after.nll}`);
  });

  it('trains only LoRA factors and biases in lora mode; evaluate changes nothing', async () => {
    const trainer = new NativeHeadTrainer(spec, base, initial(), { device: 'cpu' });
    assert.deepEqual(trainer.trainableNames().sort(), [
      'layers.0.bias',
      'layers.0.lora_A',
      'layers.0.lora_B',
      'layers.1.bias',
      'layers.1.lora_A',
      'layers.1.lora_B',
    ]);
    await trainer.upload(data());
    await trainer.computeReference();
    const before = await trainer.getParameters();
    await trainer.evaluate({ pairs: Int32Array.from([0, 1]) });
    assert.deepEqual(await trainer.getParameters(), before);
    const { gradients } = await trainer.gradients({ pairs: Int32Array.from([0, 1]) });
    assert.deepEqual(Object.keys(gradients).sort(), trainer.trainableNames().sort());
    await trainer.step({ pairs: Int32Array.from([0, 1]) });
    const after = await trainer.getParameters();
    assert.deepEqual(after['layers.0.weight'], before['layers.0.weight']);
    assert.notDeepEqual(after['layers.1.lora_B'], before['layers.1.lora_B']);
  });

  it('resumes from its optimizer state', async () => {
    const make = async (params: Record<string, Float32Array>) => {
      const t = new NativeHeadTrainer(spec, base, params, { device: 'cpu' });
      await t.upload(data());
      return t;
    };
    const a = await make(initial());
    const ref = await a.computeReference();
    const pairs = Int32Array.from([3, 1, 0, 2]);
    await a.step({ pairs });
    const b = await make(await a.getParameters());
    await b.setReference(ref);
    await b.setOptimizerState(await a.getOptimizerState());
    await a.step({ pairs });
    await b.step({ pairs });
    assert.deepEqual(await a.getParameters(), await b.getParameters());
  });
});

describe('native trainer errors', () => {
  const expectCode = (code: string, text: string) => (error: unknown) => {
    assert.ok(error instanceof HeadError, String(error));
    assert.equal(error.code, code);
    assert.ok(error.message.includes(text), error.message);
    return true;
  };
  it('rejects an unknown objective and trainable', () => {
    assert.throws(
      () => new NativeHeadTrainer(spec, { ...base, objective: 'ppo' as 'tpo' }, initial()),
      expectCode(
        'GRAPE_INVALID_ARGUMENT',
        "objective must be 'sft', 'tpo', 'tpo+nll' or 'step-dpo', got 'ppo'",
      ),
    );
    assert.throws(
      () => new NativeHeadTrainer(spec, { ...base, trainable: 'some' as 'lora' }, initial()),
      expectCode('GRAPE_INVALID_ARGUMENT', "trainable must be 'lora' or 'full'"),
    );
    assert.throws(
      () => new NativeHeadTrainer(spec, { ...base, beta1: 1 }, initial()),
      expectCode('GRAPE_INVALID_ARGUMENT', 'beta1 must be in [0, 1)'),
    );
  });
  it('rejects malformed data and batches', async () => {
    const trainer = new NativeHeadTrainer(spec, base, initial(), { device: 'cpu' });
    const d = data();
    await assert.rejects(
      trainer.upload({ ...d, policyMask: d.policyMask.subarray(1) }),
      expectCode('GRAPE_SHAPE_MISMATCH', 'upload: policyMask has 44 values; expected 45'),
    );
    await trainer.upload(d);
    await trainer.computeReference();
    await assert.rejects(
      trainer.step({ pairs: Int32Array.from([0, 1, 2]) }),
      expectCode('GRAPE_SHAPE_MISMATCH', 'batch.pairs has an odd length 3'),
    );
    await assert.rejects(
      trainer.step({ pairs: Int32Array.from([0, 9]) }),
      expectCode('GRAPE_OUT_OF_RANGE', 'rejected trajectory 9 is outside [0, 6)'),
    );
    await assert.rejects(
      trainer.setOptimizerState({ step: 1, m: new Float32Array(2), v: new Float32Array(2) }),
      expectCode('GRAPE_SHAPE_MISMATCH', 'expected'),
    );
    trainer.dispose();
    await assert.rejects(trainer.computeReference(), expectCode('GRAPE_DISPOSED', 'computeReference'));
  });
});
