// One test per error path of the native head: each names what was wrong and carries a code.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { HeadError } from '../src/native/head-error.js';
import type { HeadSpec } from '../src/native/head-types.js';
import { NativeActionHead } from '../src/native/native-head.js';
import { randomArray, randomParams, randomTokens } from './helpers/random.js';

process.env.GRAPE_LOG = 'silent';

const spec: HeadSpec = { kind: 'mlp', inputDim: 6, hidden: [4], actionDims: 2, bins: 10 };

async function ready(): Promise<NativeActionHead> {
  const head = new NativeActionHead(spec, { device: 'cpu' });
  await head.setParameters(randomParams(spec, 1));
  return head;
}

function expectError(code: string, text: string | RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof HeadError, `not a HeadError: ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof text === 'string') assert.ok(error.message.includes(text), error.message);
    else assert.match(error.message, text);
    return true;
  };
}

describe('spec errors', () => {
  const cases: [string, unknown, string][] = [
    ['unknown kind', { ...spec, kind: 'conv' }, "spec.kind must be 'mlp' or 'token-linear', got 'conv'"],
    ['bins below 2', { ...spec, bins: 1 }, 'spec.bins must be an integer in [2, 65536], got 1'],
    ['fractional inputDim', { ...spec, inputDim: 2.5 }, 'spec.inputDim must be an integer'],
    ['missing actionDims', { kind: 'mlp', inputDim: 3, bins: 4 }, 'spec.actionDims must be an integer'],
    [
      'hidden on token-linear',
      { ...spec, kind: 'token-linear' },
      'spec.hidden must be empty for a token-linear head',
    ],
    ['bad hidden width', { ...spec, hidden: [0] }, 'spec.hidden[0] must be an integer in [1'],
    ['bad activation', { ...spec, activation: 'relu' }, "spec.activation must be 'gelu' or 'gelu_tanh'"],
    [
      'bad LoRA alpha',
      { ...spec, lora: { rank: 2, alpha: 0 } },
      'spec.lora.alpha must be a finite number > 0',
    ],
    [
      'bad LoRA rank',
      { ...spec, lora: { rank: -1, alpha: 1 } },
      'spec.lora.rank must be an integer in [1, 1024]',
    ],
  ];
  for (const [name, bad, text] of cases) {
    it(name, () => {
      assert.throws(
        () => new NativeActionHead(bad as HeadSpec, { device: 'cpu' }),
        expectError('GRAPE_INVALID_ARGUMENT', text),
      );
    });
  }
});

describe('parameter errors', () => {
  it('unknown name lists the expected ones', async () => {
    const head = new NativeActionHead(spec, { device: 'cpu' });
    await assert.rejects(
      head.setParameters({ 'layers.5.weight': new Float32Array(2) }),
      expectError('GRAPE_INVALID_ARGUMENT', "unknown parameter 'layers.5.weight'"),
    );
  });
  it('wrong size names the shape', async () => {
    const head = new NativeActionHead(spec, { device: 'cpu' });
    await assert.rejects(
      head.setParameters({ 'layers.1.weight': new Float32Array(3) }),
      expectError(
        'GRAPE_SHAPE_MISMATCH',
        "parameter 'layers.1.weight' has 3 values; expected 80 for shape [20, 4]",
      ),
    );
  });
  it('NaN names the element, and nothing is changed', async () => {
    const head = await ready();
    const before = await head.getParameters();
    const bad = randomParams(spec, 9);
    bad['layers.0.weight']![7] = NaN;
    await assert.rejects(
      head.setParameters(bad),
      expectError('GRAPE_NON_FINITE', "'layers.0.weight'[7] is NaN"),
    );
    assert.deepEqual(await head.getParameters(), before);
  });
  it('not a Float32Array', async () => {
    const head = new NativeActionHead(spec, { device: 'cpu' });
    await assert.rejects(
      head.setParameters({ 'layers.0.bias': new Float64Array(4) as unknown as Float32Array }),
      expectError('GRAPE_INVALID_ARGUMENT', "parameter 'layers.0.bias' must be a Float32Array"),
    );
  });
  it('using the head before its parameters are set', async () => {
    const head = new NativeActionHead(spec, { device: 'cpu' });
    await head.setParameters({ 'layers.0.weight': new Float32Array(24) });
    await assert.rejects(
      head.logits(new Float32Array(6)),
      expectError(
        'GRAPE_INVALID_ARGUMENT',
        'parameters not set: layers.0.bias layers.1.weight layers.1.bias',
      ),
    );
  });
});

describe('input errors', () => {
  it('features not divisible into steps', async () => {
    const head = await ready();
    await assert.rejects(
      head.logits(new Float32Array(7)),
      expectError('GRAPE_SHAPE_MISMATCH', 'features has 7 values; expected steps 1 x 6 = 6'),
    );
  });
  it('features of the wrong array type', async () => {
    const head = await ready();
    await assert.rejects(
      head.logits(new Float64Array(6) as unknown as Float32Array),
      expectError(
        'GRAPE_INVALID_ARGUMENT',
        'features of dtype float32 must be a Float32Array, got a Float64Array',
      ),
    );
  });
  it('fp16 features in a Float32Array', async () => {
    const head = await ready();
    await assert.rejects(
      head.logits({ data: new Float32Array(6) as unknown as Uint16Array, dtype: 'float16' }),
      expectError('GRAPE_INVALID_ARGUMENT', 'features of dtype float16 must be a Uint16Array'),
    );
  });
  it('unknown feature dtype', async () => {
    const head = await ready();
    await assert.rejects(
      head.logits({ data: new Uint16Array(6), dtype: 'float8' as 'float16' }),
      expectError(
        'GRAPE_INVALID_ARGUMENT',
        "features dtype must be 'float32', 'float16' or 'bfloat16', got 'float8'",
      ),
    );
  });
  it('NaN in features names step and element', async () => {
    const head = await ready();
    const x = randomArray(18, 1);
    x[14] = NaN;
    await assert.rejects(
      head.logLikelihood(x, randomTokens(6, 10, 1)),
      expectError('GRAPE_NON_FINITE', 'features[14] (step 2, element 2) is NaN (float32)'),
    );
  });
  it('Infinity in fp16 features', async () => {
    const head = await ready();
    const bits = new Uint16Array(12);
    bits[11] = 0x7c00;
    await assert.rejects(
      head.act({ data: bits, dtype: 'float16' }),
      expectError('GRAPE_NON_FINITE', 'features[11] (step 1, element 5) is infinite (float16)'),
    );
  });
  it('token out of range', async () => {
    const head = await ready();
    const tokens = Int32Array.from([0, 1, 2, 10]);
    await assert.rejects(
      head.logLikelihood(randomArray(12, 1), tokens),
      expectError('GRAPE_OUT_OF_RANGE', 'tokens[3] (step 1, dim 1) = 10 is outside [0, 10)'),
    );
  });
  it('negative token', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(6, 1), Int32Array.from([-3, 0])),
      expectError('GRAPE_OUT_OF_RANGE', 'tokens[0] (step 0, dim 0) = -3 is outside [0, 10)'),
    );
  });
  it('tokens of the wrong length', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(12, 1), new Int32Array(3)),
      expectError('GRAPE_SHAPE_MISMATCH', 'tokens has 3 values; expected 4'),
    );
  });
  it('tokens of the wrong type', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(6, 1), new Uint8Array(2) as unknown as Int32Array),
      expectError('GRAPE_INVALID_ARGUMENT', 'tokens must be a Int32Array'),
    );
  });
});

describe('option errors', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['negative temperature', { temperature: -0.5 }, 'act: options.temperature must be >= 0'],
    ['NaN temperature', { temperature: NaN }, 'act: options.temperature must be finite'],
    ['topK above bins', { topK: 11 }, 'act: options.topK must be an integer in [0, 10]'],
    ['fractional seed', { seed: 1.5 }, 'act: options.seed must be an integer'],
    ['negative firstStep', { firstStep: -1 }, 'act: options.firstStep must be an integer'],
    ['perDim not boolean', { perDim: 1 }, 'act: options.perDim must be a boolean'],
  ];
  for (const [name, opts, text] of cases) {
    it(name, async () => {
      const head = await ready();
      await assert.rejects(head.act(randomArray(6, 1), opts), expectError('GRAPE_INVALID_ARGUMENT', text));
    });
  }
  it('segments that do not end at the step count', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(18, 1), randomTokens(6, 10, 1), { segments: Int32Array.from([0, 2]) }),
      expectError('GRAPE_OUT_OF_RANGE', 'segments must start at 0 and end at the step count 3'),
    );
  });
  it('decreasing segments', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(18, 1), randomTokens(6, 10, 1), {
        segments: Int32Array.from([0, 2, 1, 3]),
      }),
      expectError('GRAPE_OUT_OF_RANGE', 'segments[2] = 1 is less than segments[1] = 2'),
    );
  });
  it('mask of the wrong length', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(18, 1), randomTokens(6, 10, 1), {
        segments: Int32Array.from([0, 3]),
        mask: new Uint8Array(2),
      }),
      expectError('GRAPE_SHAPE_MISMATCH', 'logLikelihood: options.mask has 2 values; expected 3'),
    );
  });
  it('mask without segments', async () => {
    const head = await ready();
    await assert.rejects(
      head.logLikelihood(randomArray(6, 1), randomTokens(2, 10, 1), { mask: new Uint8Array(1) }),
      expectError('GRAPE_INVALID_ARGUMENT', 'options.mask needs options.segments'),
    );
  });
});

describe('lifecycle and device errors', () => {
  afterEach(() => {
    delete process.env.GRAPE_DEVICE;
  });
  it('a disposed head', async () => {
    const head = await ready();
    head.dispose();
    await assert.rejects(
      head.logits(new Float32Array(6)),
      expectError('GRAPE_DISPOSED', 'logits: the head was disposed'),
    );
    assert.throws(() => head.parameterInfo(), expectError('GRAPE_DISPOSED', 'parameterInfo'));
  });
  it('dispose while a call is in flight lets the call finish', async () => {
    const head = await ready();
    const pending = head.logits(randomArray(6000, 2));
    head.dispose();
    assert.equal((await pending).length, 1000 * 20);
  });
  it('an unknown device', () => {
    assert.throws(
      () => new NativeActionHead(spec, { device: 'tpu' }),
      expectError('GRAPE_INVALID_ARGUMENT', "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
    );
  });
  it('GRAPE_DEVICE=cpu forces the CPU and says so', () => {
    process.env.GRAPE_DEVICE = 'cpu';
    const head = new NativeActionHead(spec);
    assert.match(head.device, /^cpu \(/);
  });
  it('GRAPE_DEVICE=cuda without a usable GPU is a device error naming the reason', (t) => {
    process.env.GRAPE_DEVICE = 'cuda';
    let head: NativeActionHead | undefined;
    try {
      head = new NativeActionHead(spec);
    } catch (error) {
      assert.ok(error instanceof HeadError);
      assert.equal(error.code, 'GRAPE_DEVICE');
      assert.match(error.message, /CUDA (device 0 is not available|was requested but this build)/);
      return;
    }
    t.diagnostic(`a CUDA device exists here (${head.device}); nothing to refuse`);
    assert.match(head.device, /^cuda:0/);
  });
});
