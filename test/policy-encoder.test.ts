// The onnxruntime encoder runner: a worker thread (the main thread keeps running), batches equal
// single steps, warm-up, and clear errors for bad feeds, bad models, CUDA without a provider, disposal.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as ort from 'onnxruntime-node';

import type { EncoderFeeds } from '../src/policy/encoder.js';
import { loadModelPackage, type ModelPackage } from '../src/policy/model-package.js';
import { ObservationPreprocessor } from '../src/policy/observation-preprocessor.js';
import { EncoderError, OnnxEncoder } from '../src/policy/onnx/onnx-encoder.js';
import {
  defaultModelDir,
  jointState,
  pattern,
  colourImage,
  scratchDir,
  tableScene,
} from './helpers/policy-fixtures.js';
import { runModuleScript, testRelativeUrl } from './helpers/module-script.js';

describe('OnnxEncoder', () => {
  let pkg: ModelPackage;
  let pre: ObservationPreprocessor;
  let encoder: OnnxEncoder;

  before(async () => {
    pkg = await loadModelPackage(await defaultModelDir());
    pre = new ObservationPreprocessor(pkg.manifest);
    encoder = await OnnxEncoder.create(pkg.encoderPath, { output: 'features', warmup: pre.warmupFeeds() });
  });
  after(async () => {
    await encoder.dispose();
  });

  const F = () => pkg.manifest.encoder.outputShape[0]!;
  const steps = [
    {
      observation: {
        image: tableScene({ x: 10, y: 20, size: 9, colour: [200, 30, 30] }),
        joints: jointState(),
      },
      instruction: 'pick up the red cube',
    },
    {
      observation: { image: colourImage('bgr8', 96, 96, pattern, 4), joints: jointState() },
      instruction: 'push the blue block left',
    },
    {
      observation: {
        image: tableScene({ x: 60, y: 70, size: 12, colour: [30, 30, 220] }),
        joints: jointState(),
      },
      instruction: 'stack green on yellow',
    },
  ];

  it('says where it runs', () => {
    assert.match(encoder.device, /^onnxruntime-node \d+\.\d+\.\d+ cpu \(intra-op 1, inter-op 1 threads\)$/);
  });

  it('encodes a batch exactly as it encodes its steps one by one', async () => {
    const batch = await encoder.encode(pre.feeds(steps));
    assert.equal(batch.length, 3 * F());
    for (const [i, s] of steps.entries()) {
      const single = await encoder.encode(pre.feeds([s]));
      for (let k = 0; k < F(); k++) assert.ok(Math.abs(single[k]! - batch[i * F() + k]!) < 1e-5);
    }
    assert.ok(batch.every(Number.isFinite));
  });

  it('runs off the main thread: the event loop keeps turning while a large batch encodes', async () => {
    const feeds = pre.feeds(Array.from({ length: 64 }, (_, i) => steps[i % 3]!));
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const t0 = performance.now();
    const features = await encoder.encode(feeds);
    const ms = performance.now() - t0;
    running = false;
    assert.equal(features.length, 64 * F());
    // A blocked main thread would turn its loop once at most; here it turns throughout.
    assert.ok(ms > 5, `encode took ${ms} ms: too quick to tell`);
    assert.ok(turns > 20, `${turns} event-loop turns in ${ms.toFixed(1)} ms`);
  });

  it('answers concurrent calls each with its own features', async () => {
    const results = await Promise.all(steps.map((s) => encoder.encode(pre.feeds([s]))));
    const batch = await encoder.encode(pre.feeds(steps));
    results.forEach((r, i) => {
      assert.ok(Math.abs(r[5]! - batch[i * F() + 5]!) < 1e-5);
      assert.ok(Math.abs(r[F() - 1]! - batch[i * F() + F() - 1]!) < 1e-5);
    });
  });

  it('rejects bad feeds with onnxruntime’s reason, and stays usable', async () => {
    const feeds: EncoderFeeds = pre.feeds([steps[0]!]);
    const broken = {
      ...feeds,
      image: { type: 'float32' as const, data: new Float32Array(3 * 64 * 64), dims: [1, 3, 64, 64] },
    };
    await assert.rejects(encoder.encode(broken), (e: unknown) => {
      assert.ok(e instanceof EncoderError);
      assert.match(e.message, /encoder\.onnx: .*(dimension|Got invalid dimensions)/i);
      return true;
    });
    assert.equal((await encoder.encode(pre.feeds([steps[0]!]))).length, F());
  });

  it('refuses to start on a file that is not a model, and on CUDA without a CUDA provider', async () => {
    const bad = join(scratchDir(), 'bad.onnx');
    writeFileSync(bad, 'nope');
    await assert.rejects(
      OnnxEncoder.create(bad, { output: 'features' }),
      /bad.onnx: cannot start the encoder: /,
    );
    const cuda = ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled);
    if (cuda) return; // a CUDA-enabled onnxruntime-node: the GPU case is exercised where a GPU exists
    await assert.rejects(
      OnnxEncoder.create(pkg.encoderPath, { output: 'features', device: 'cuda' }),
      /device=cuda, but this onnxruntime-node has no CUDA execution provider/,
    );
    const auto = await OnnxEncoder.create(pkg.encoderPath, {
      output: 'features',
      device: 'auto',
      intraOpThreads: 2,
    });
    assert.match(auto.device, /cpu \(intra-op 2, inter-op 1 threads; no CUDA provider installed\)/);
    await auto.dispose();
  });

  it('fails create() when the warm-up fails, and refuses work once disposed', async () => {
    const badWarmup: EncoderFeeds = { image: { type: 'float32', data: new Float32Array(1), dims: [1] } };
    await assert.rejects(
      OnnxEncoder.create(pkg.encoderPath, { output: 'features', warmup: badWarmup }),
      EncoderError,
    );
    const e = await OnnxEncoder.create(pkg.encoderPath, { output: 'features' });
    await e.dispose();
    await assert.rejects(e.encode(pre.feeds([steps[0]!])), /encoder disposed/);
    await e.dispose();
  });

  it('lets process.exit end a process whose encoder is busy, with the exit code asked for', async () => {
    // onnxruntime-node aborts the process (SIGABRT) when Node ends its thread inside session.run:
    // without the exit gate, every run of this child ended so.
    const script = `import { OnnxEncoder } from ${testRelativeUrl('../src/policy/onnx/onnx-encoder.ts')};
import { loadModelPackage } from ${testRelativeUrl('../src/policy/model-package.ts')};
import { ObservationPreprocessor } from ${testRelativeUrl('../src/policy/observation-preprocessor.ts')};
import { jointState, tableScene } from ${testRelativeUrl('helpers/policy-fixtures.ts')};
const pkg = await loadModelPackage(process.argv[1]);
const pre = new ObservationPreprocessor(pkg.manifest);
const encoder = await OnnxEncoder.create(pkg.encoderPath, { output: 'features' });
const step = { observation: { image: tableScene({ x: 9, y: 9, size: 9, colour: [200, 30, 30] }), joints: jointState() }, instruction: 'lift the red cube' };
const busy = async () => { for (;;) await encoder.encode(pre.feeds(Array.from({ length: 16 }, () => step))); };
void busy();
void busy();
setTimeout(() => process.exit(3), Number(process.argv[2]));`;
    for (const delayMs of [30, 120]) {
      const { code, signal, stderr } = await runModuleScript(script, [pkg.dir, String(delayMs)]);
      assert.deepEqual({ code, signal }, { code: 3, signal: null }, stderr);
    }
  });
});
