// Model package I/O: the default package is reproducible and loads; broken packages are refused
// with the file and field that disagree; adapters are written, listed and read back.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { buildDefaultModel } from '../src/policy/default-model/default-model.js';
import { ModelPackageError } from '../src/policy/model-package-error.js';
import type { ModelManifest } from '../src/policy/model-manifest.js';
import {
  PACKAGE_FILES,
  loadModelPackage,
  readAdapter,
  writeAdapter,
  writeModelPackage,
  type ModelPackage,
} from '../src/policy/model-package.js';
import { readSafetensors, writeSafetensors } from '../src/policy/safetensors.js';
import { defaultModelDir, scratchDir } from './helpers/policy-fixtures.js';
import { randomArray } from './helpers/random.js';

/** A copy of the default package to break. */
async function copy(): Promise<string> {
  const dir = join(scratchDir(), 'model');
  cpSync(await defaultModelDir(), dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: ModelManifest) => void): void {
  const file = join(dir, PACKAGE_FILES.manifest);
  const m = JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
  edit(m);
  writeFileSync(file, JSON.stringify(m));
}

async function refused(dir: string, file: string, field: string, problem: RegExp): Promise<void> {
  await assert.rejects(loadModelPackage(dir), (error: unknown) => {
    assert.ok(error instanceof ModelPackageError, String(error));
    assert.equal(error.file, join(dir, file));
    assert.equal(error.field, field);
    assert.match(error.message, problem);
    return true;
  });
}

describe('model package', () => {
  it('builds the default model reproducibly from its seed', async () => {
    const a = buildDefaultModel(0);
    const b = buildDefaultModel(0);
    const c = buildDefaultModel(1);
    assert.deepEqual(Buffer.from(a.encoder), Buffer.from(b.encoder));
    assert.deepEqual(a.head, b.head);
    assert.notDeepEqual(Buffer.from(a.encoder), Buffer.from(c.encoder));
    assert.notDeepEqual(a.head['layers.0.weight'], c.head['layers.0.weight']);
    // The same bytes on disk as in memory: the file is the generator's output, nothing else.
    const dir = await defaultModelDir();
    assert.deepEqual(await readFile(join(dir, PACKAGE_FILES.encoder)), Buffer.from(a.encoder));
  });

  it('initializes the head like nn.Linear: uniform within ±1/sqrt(fan_in)', () => {
    const { head, manifest } = buildDefaultModel(3);
    const F = manifest.head.inputDim;
    const w0 = head['layers.0.weight']!;
    const bound = 1 / Math.sqrt(F);
    assert.ok(w0.every((v) => Math.abs(v) <= bound));
    const mean = w0.reduce((s, v) => s + v, 0) / w0.length;
    const variance = w0.reduce((s, v) => s + v * v, 0) / w0.length;
    assert.ok(Math.abs(mean) < bound / 50, `mean ${mean}`);
    assert.ok(Math.abs(variance / ((bound * bound) / 3) - 1) < 0.02, `variance ${variance}`);
    assert.ok(head['layers.1.weight']!.every((v) => Math.abs(v) <= 1 / 16));
  });

  it('loads the default package with its parts cross-checked', async () => {
    const pkg = await loadModelPackage(await defaultModelDir());
    const F = pkg.manifest.head.inputDim;
    assert.deepEqual(
      pkg.encoderSignature.inputs.map((i) => [i.name, i.type, i.dims]),
      [
        ['image', 'float', ['n', 3, 96, 96]],
        ['joints', 'float', ['n', 9]],
        ['instruction', 'int64', ['n', 32]],
      ],
    );
    assert.deepEqual(pkg.encoderSignature.outputs[0]!.dims, ['n', F]);
    assert.deepEqual(pkg.headSpec, {
      kind: 'mlp',
      inputDim: F,
      hidden: [512, 512],
      actionDims: 7,
      bins: 65,
      activation: 'gelu_tanh',
    });
    assert.equal(pkg.headParameters['layers.2.weight']!.length, 7 * 65 * 512);
    assert.match(pkg.headSha256, /^[0-9a-f]{16}$/);
    assert.deepEqual(pkg.adapters, []);
  });

  it('names a missing file or directory', async () => {
    const dir = await copy();
    rmSync(join(dir, PACKAGE_FILES.head));
    await refused(dir, PACKAGE_FILES.head, '', /missing from the model package/);
    await assert.rejects(loadModelPackage(join(dir, 'nope')), /not a model package directory/);
  });

  it('refuses an encoder.onnx that is not ONNX', async () => {
    const dir = await copy();
    writeFileSync(join(dir, PACKAGE_FILES.encoder), 'not a model at all');
    await refused(dir, PACKAGE_FILES.encoder, '', /not an ONNX model/);
  });

  it('says which encoder output and policy.json field disagree', async () => {
    const dir = await copy();
    editManifest(dir, (m) => (m.encoder.output = 'embedding'));
    await refused(
      dir,
      PACKAGE_FILES.encoder,
      "output 'embedding'",
      /missing; policy.json encoder.output names it \(outputs: features\)/,
    );
  });

  it('says which encoder input disagrees with the observation spec', async () => {
    const dir = await copy();
    editManifest(dir, (m) => {
      m.observation.image.width = 128;
    });
    await refused(
      dir,
      PACKAGE_FILES.encoder,
      "input 'image'",
      /has dims \[n, 3, 96, 96\]; policy.json observation.image feeds \[n, 3, 96, 128\]/,
    );
    editManifest(dir, (m) => {
      m.observation.image.width = 96;
      m.observation.joints.names.pop();
    });
    await refused(
      dir,
      PACKAGE_FILES.encoder,
      "input 'joints'",
      /policy.json observation.joints feeds \[n, 8\]/,
    );
    editManifest(dir, (m) => {
      m.observation.joints.names.push('finger_joint2');
      m.observation.joints.input = 'proprio';
    });
    await refused(
      dir,
      PACKAGE_FILES.encoder,
      "input 'joints'",
      /is not fed by policy.json \(it feeds: image, proprio, instruction\)/,
    );
    editManifest(dir, (m) => {
      m.observation.joints.input = 'joints';
      m.instruction.maxTokens = 16;
    });
    await refused(
      dir,
      PACKAGE_FILES.encoder,
      "input 'instruction'",
      /policy.json instruction feeds \[n, 16\]/,
    );
  });

  it('says which head tensor disagrees with which policy.json field', async () => {
    const dir = await copy();
    editManifest(dir, (m) => {
      m.head.hidden = [128];
    });
    await refused(
      dir,
      PACKAGE_FILES.head,
      'layers.0.weight',
      /has shape \[512, 560\]; policy.json head.hidden\[0\] and policy.json head.inputDim need \[128, 560\]/,
    );
    editManifest(dir, (m) => {
      m.head.hidden = [512, 512];
      m.action.bins = 128;
    });
    await refused(
      dir,
      PACKAGE_FILES.head,
      'layers.2.weight',
      /has shape \[455, 512\]; policy.json action.dims × action.bins and policy.json head.hidden\[1\] need \[896, 512\]/,
    );
    editManifest(dir, (m) => {
      m.action.bins = 64;
      m.head.hidden = [512, 64];
    });
    await refused(
      dir,
      PACKAGE_FILES.head,
      'layers.1.weight',
      /policy.json head.hidden\[1\] and policy.json head.hidden\[0\] need \[64, 512\]/,
    );
  });

  it('refuses missing, extra and non-finite head tensors', async () => {
    const dir = await copy();
    const file = join(dir, PACKAGE_FILES.head);
    const head = await readSafetensors(file);
    const tensors = Object.fromEntries(head.tensors);
    await writeSafetensors(
      file,
      Object.fromEntries([...head.tensors].filter(([name]) => name !== 'layers.1.bias')),
    );
    await refused(dir, PACKAGE_FILES.head, 'layers.1.bias', /missing; the mlp head of policy.json needs it/);
    await writeSafetensors(file, {
      ...tensors,
      'layers.3.weight': { data: new Float32Array(4), shape: [2, 2] },
    });
    await refused(dir, PACKAGE_FILES.head, 'layers.3.weight', /unexpected tensor/);
    const bias = Float32Array.from(tensors['layers.0.bias']!.data as Float32Array);
    bias[17] = Number.NaN;
    await writeSafetensors(file, { ...tensors, 'layers.0.bias': { data: bias, shape: [512] } });
    await refused(dir, PACKAGE_FILES.head, 'layers.0.bias[17]', /is NaN/);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    await refused(dir, PACKAGE_FILES.head, '', /too short/);
  });

  it('names the policy.json field the schema rejects', async () => {
    const dir = await copy();
    editManifest(dir, (m) => Object.assign(m.action, { scale: 2 }));
    await refused(dir, PACKAGE_FILES.manifest, 'action.scale', /unknown field/);
  });

  it('never writes a broken package, and never overwrites one unasked', async () => {
    const out = join(scratchDir(), 'pkg');
    const contents = buildDefaultModel(0);
    const bad = { ...contents, head: { ...contents.head, 'layers.0.bias': new Float32Array(3) } };
    await assert.rejects(writeModelPackage(out, bad), /head.safetensors: layers.0.bias: has shape \[3\]/);
    await assert.rejects(stat(out), /ENOENT/);
    await writeModelPackage(out, contents);
    await assert.rejects(writeModelPackage(out, contents), /policy.json: already exists/);
    await writeModelPackage(out, contents, { overwrite: true });
    await loadModelPackage(out);
  });
});

describe('adapters', () => {
  async function fresh(): Promise<ModelPackage> {
    return loadModelPackage(await copy());
  }

  it('writes a LoRA adapter, lists it and reads it back with its header', async () => {
    const pkg = await fresh();
    const A = randomArray(4 * 560, 1, 0.1);
    const B = randomArray(455 * 4, 2, 0.1);
    const info = await writeAdapter(pkg, 'tpo-1', {
      kind: 'lora',
      parent: 'base',
      objective: 'tpo',
      lora: { rank: 4, alpha: 8 },
      metadata: { hyperparameters: JSON.stringify({ beta: 0.1 }), data: 'pairs: 16' },
      parameters: { 'layers.0.lora_A': A, 'layers.2.lora_B': B },
    });
    assert.equal(info.file, join(pkg.dir, 'adapters', 'tpo-1.safetensors'));
    const again = await loadModelPackage(pkg.dir);
    assert.deepEqual(
      again.adapters.map((a) => [a.id, a.kind, a.parent, a.objective, a.lora, a.metadata.data]),
      [['tpo-1', 'lora', 'base', 'tpo', { rank: 4, alpha: 8 }, 'pairs: 16']],
    );
    const read = await readAdapter(again, 'tpo-1');
    assert.deepEqual(read.spec.lora, { rank: 4, alpha: 8 });
    assert.deepEqual(Object.keys(read.parameters).sort(), ['layers.0.lora_A', 'layers.2.lora_B']);
    assert.deepEqual(read.parameters['layers.0.lora_A'], A);
  });

  it('writes a full-head adapter that replaces every parameter', async () => {
    const pkg = await fresh();
    const params = buildDefaultModel(9).head;
    await writeAdapter(pkg, 'sft-0', { kind: 'full', parent: 'base', objective: 'sft', parameters: params });
    const read = await readAdapter(await loadModelPackage(pkg.dir), 'sft-0');
    assert.equal(read.spec.lora, undefined);
    assert.deepEqual(read.parameters, params);
  });

  it('refuses adapters that do not fit the head or lack their header', async () => {
    const pkg = await fresh();
    await assert.rejects(
      writeAdapter(pkg, 'bad', {
        kind: 'lora',
        parent: 'base',
        objective: 'tpo',
        lora: { rank: 4, alpha: 8 },
        parameters: { 'layers.0.lora_A': new Float32Array(3 * 560) },
      }),
      /bad.safetensors: layers.0.lora_A: has shape \[1680\]; the adapter's lora_rank and policy.json head.inputDim need \[4, 560\]/,
    );
    await assert.rejects(
      writeAdapter(pkg, 'bad', { kind: 'full', parent: 'base', objective: 'sft', parameters: {} }),
      /bad.safetensors: layers.0.weight: missing/,
    );
    await assert.rejects(
      writeAdapter(pkg, '../escape', { kind: 'full', parent: 'base', objective: 'sft', parameters: {} }),
      /'..\/escape' is not a valid adapter id/,
    );
    await assert.rejects(readAdapter(pkg, 'nope'), /adapters: nope: no such adapter \(adapters: none\)/);
    // A file dropped into adapters/ without grape's header is named, with the missing key.
    await writeSafetensors(
      join(pkg.dir, 'adapters', 'foreign.safetensors'),
      {},
      { kind: 'lora', parent: 'base' },
    );
    await assert.rejects(loadModelPackage(pkg.dir), /foreign.safetensors: __metadata__.objective: missing/);
    await writeSafetensors(
      join(pkg.dir, 'adapters', 'foreign.safetensors'),
      {},
      { kind: 'lora', parent: 'base', objective: 'x' },
    );
    await assert.rejects(loadModelPackage(pkg.dir), /__metadata__.lora_rank: missing/);
  });
});
