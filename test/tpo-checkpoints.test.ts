// Checkpoints: adapters written with their header and read back exactly, registered and promoted in
// the episode index (promote, rollback, what the node loads), LoRA stored as factors + biases or
// merged, and corrupt or mismatched files refused with the file and what was wrong.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { resolvePromotedCheckpoint } from '../src/app/promoted-policy.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { MIGRATIONS } from '../src/episode/index-migrations.js';
import { NativeActionHead } from '../src/native/native-head.js';
import { loadModelPackage, readAdapter } from '../src/policy/model-package.js';
import { CheckpointStore } from '../src/tpo/checkpoint-store.js';
import { checkpointParameters, initialHead, mergeLora } from '../src/tpo/initial-head.js';
import { RunDirectory } from '../src/tpo/run-directory.js';
import { SMALL_HEAD_DEFAULTS } from '../src/tpo/training-settings.js';
import { randomArray } from './helpers/random.js';
import { BINS, FEATURES, SMALL_HIDDEN, tempDir, writeSmallModel } from './helpers/tpo-fixtures.js';

process.env.GRAPE_LOG = 'silent';

const lora = { rank: 4, alpha: 8 };

/** Parameters as trained: the trainable tensors (LoRA factors and biases; with `full`, all) nudged. */
function nudged(
  params: Record<string, Float32Array>,
  seed: number,
  full = false,
): Record<string, Float32Array> {
  return Object.fromEntries(
    Object.entries(params).map(([name, v], i) => {
      if (!full && !name.includes('lora') && !name.endsWith('.bias')) return [name, v];
      const noise = randomArray(v.length, seed + i, 0.05);
      return [name, v.map((x, k) => x + noise[k]!)];
    }),
  );
}

function assertClose(a: Float32Array, b: Float32Array, tolerance: number): void {
  assert.equal(a.length, b.length);
  const worst = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  assert.ok(worst <= tolerance, `max |Δ| ${worst}`);
}

async function setup() {
  const dataDir = tempDir('ckpt');
  const modelDir = await writeSmallModel(dataDir);
  const index = EpisodeIndex.open(dataDir);
  const store = new CheckpointStore(index, await loadModelPackage(modelDir));
  return { dataDir, modelDir, index, store };
}

/** Logits of a head (package head + adapter parameters) on fixed features. */
async function logitsOf(
  spec: Parameters<typeof initialHead>[0]['headSpec'],
  params: Record<string, Float32Array>,
) {
  const head = new NativeActionHead(spec, { device: 'cpu' });
  try {
    await head.setParameters(params);
    return await head.logits(randomArray(3 * FEATURES, 77));
  } finally {
    head.dispose();
  }
}

describe('checkpoints', () => {
  it('round-trips a LoRA checkpoint (factors and biases) with its header, and registers it', async () => {
    const { index, store } = await setup();
    const initial = initialHead(store.pkg, undefined, 'lora', lora, 3);
    assert.equal(initial.storeAs, 'lora');
    const trained = nudged(initial.parameters, 11);
    const stored = checkpointParameters(initial, trained);
    assert.deepEqual(Object.keys(stored).sort(), [
      'layers.0.bias',
      'layers.0.lora_A',
      'layers.0.lora_B',
      'layers.1.bias',
      'layers.1.lora_A',
      'layers.1.lora_B',
    ]);
    const checkpoint = await store.save(
      'tpo-a',
      {
        kind: 'lora',
        parent: 'base',
        objective: 'tpo',
        lora,
        parameters: stored,
        metadata: {
          data: JSON.stringify({ items: ['1', '2'] }),
          hyperparameters: '{"lr":0.001}',
          metrics: '{}',
        },
      },
      { run: 'tpo-a' },
    );
    assert.equal(checkpoint.id, 'small@1/tpo-a');
    assert.equal(checkpoint.parentId, 'small@1/base');
    assert.equal(checkpoint.adapterId, 'tpo-a');
    assert.equal(checkpoint.path, 'models/small/adapters/tpo-a.safetensors');
    assert.deepEqual(checkpoint.metadata, { run: 'tpo-a', kind: 'lora', lora });

    const again = await loadModelPackage(store.pkg.dir);
    const read = await readAdapter(again, 'tpo-a');
    assert.deepEqual(read.parameters, stored);
    assert.equal(read.info.metadata.hyperparameters, '{"lr":0.001}');
    assert.equal(read.info.metadata.base_head_sha256, store.pkg.headSha256);
    assert.equal(read.info.metadata.checkpoint, 'small@1/tpo-a');
    // What the node loads (base head, then the adapter) is the head that was trained.
    const loaded = await logitsOf(read.spec, { ...again.headParameters, ...read.parameters });
    assert.deepEqual(loaded, await logitsOf(initial.spec, trained));
    await assert.rejects(
      store.save('tpo-a', { kind: 'lora', parent: 'base', objective: 'tpo', lora, parameters: stored }),
      /tpo-a.safetensors: already exists: checkpoints are never overwritten/,
    );
    index.close();
  });

  it('continues a LoRA parent of the same rank, and merges anything else into a full head', async () => {
    const { index, store } = await setup();
    const first = initialHead(store.pkg, undefined, 'lora', lora, 3);
    const firstTrained = nudged(first.parameters, 5);
    await store.save('lora-1', {
      kind: 'lora',
      parent: 'base',
      objective: 'sft',
      lora,
      parameters: checkpointParameters(first, firstTrained),
    });
    const parent = await store.readAdapter('lora-1');
    const continued = initialHead(store.pkg, parent, 'lora', lora, 9);
    assert.equal(continued.storeAs, 'lora');
    assert.deepEqual(continued.parameters['layers.1.lora_B'], firstTrained['layers.1.lora_B']);

    const other = initialHead(store.pkg, parent, 'lora', { rank: 2, alpha: 2 }, 9);
    assert.equal(other.storeAs, 'full');
    assert.ok(
      other.parameters['layers.1.lora_B']!.every((v) => v === 0),
      'fresh B starts at zero',
    );
    // Fresh factors change nothing at the start: the merged parent is the head it starts from.
    assertClose(
      await logitsOf(other.spec, other.parameters),
      await logitsOf(continued.spec, continued.parameters),
      1e-5,
    );
    const full = initialHead(store.pkg, parent, 'full', lora, 9);
    const merged = mergeLora(continued.spec, continued.parameters);
    assert.deepEqual(full.parameters, merged);
    const stored = checkpointParameters(other, nudged(other.parameters, 2));
    assert.ok(!Object.keys(stored).some((n) => n.includes('lora')));
    index.close();
  });

  it('promotes, rolls back through the promotions, and resolves what the node loads', async () => {
    const { dataDir, modelDir, index, store } = await setup();
    const initial = initialHead(store.pkg, undefined, 'full', lora, 0);
    for (const id of ['full-1', 'full-2'])
      await store.save(id, {
        kind: 'full',
        parent: 'base',
        objective: 'sft',
        parameters: checkpointParameters(initial, nudged(initial.parameters, id.length, true)),
      });
    assert.deepEqual(await resolvePromotedCheckpoint(dataDir, modelDir), { checkpointId: 'small@1/base' });
    await assert.rejects(store.rollback(), /nothing to roll back: small@1 runs its base head/);
    await store.promote('full-1');
    await store.promote('small@1/full-2', 'better held-out');
    const promoted = await resolvePromotedCheckpoint(dataDir, modelDir);
    assert.equal(promoted.adapterId, 'full-2');
    assert.equal(promoted.promotion?.note, 'better held-out');
    assert.deepEqual(
      store.list().map((e) => [e.adapterId, e.promoted]),
      [
        ['base', false],
        ['full-1', false],
        ['full-2', true],
      ],
    );
    assert.equal((await store.rollback()).checkpointId, 'small@1/full-1');
    assert.equal((await store.rollback()).checkpointId, 'small@1/base');
    assert.equal(store.promoted().adapterId, undefined);
    await assert.rejects(store.rollback(), /nothing to roll back/);
    await assert.rejects(
      store.promote('other@2/full-1'),
      /is a checkpoint of another model \(this one is small@1\)/,
    );
    await assert.rejects(
      store.promote('nope'),
      /adapters: nope: no such adapter \(adapters: full-1, full-2\)/,
    );
    assert.equal(index.schemaVersion, MIGRATIONS.length);
    index.close();
  });

  it('refuses corrupt and mismatched adapters with the file and what was wrong', async () => {
    const { dataDir, modelDir, index, store } = await setup();
    const initial = initialHead(store.pkg, undefined, 'full', lora, 0);
    await store.save('good', {
      kind: 'full',
      parent: 'base',
      objective: 'sft',
      parameters: initial.parameters,
    });
    await store.promote('good');
    const file = join(modelDir, 'adapters', 'good.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(
      resolvePromotedCheckpoint(dataDir, modelDir),
      /adapters\/good\.safetensors: not a valid safetensors file: tensor 'layers\.1\.weight' ends at byte \d+, past the data \(\d+ bytes; truncated\?\)/,
    );
    // Intact framing, a NaN in the last weight: found when the promoted adapter is read in full.
    const poisoned = Buffer.from(bytes);
    poisoned.writeUInt32LE(0x7fc00000, poisoned.length - 4);
    writeFileSync(file, poisoned);
    const lastWeight = 7 * BINS * SMALL_HIDDEN[0]! - 1;
    await assert.rejects(
      resolvePromotedCheckpoint(dataDir, modelDir),
      new RegExp(
        `the promoted checkpoint small@1/good cannot be loaded: .*good\\.safetensors: layers\\.1\\.weight\\[${lastWeight}\\]: is NaN \\(grape policy rollback, or promote another\\)`,
      ),
    );
    writeFileSync(file, bytes);

    // The same shapes trained on another base head (another seed): refused by its header.
    const otherDir = tempDir('ckpt-other');
    const otherModel = await writeSmallModel(otherDir, 1);
    const otherIndex = EpisodeIndex.open(otherDir);
    const other = new CheckpointStore(otherIndex, await loadModelPackage(otherModel));
    await other.save('foreign', {
      kind: 'full',
      parent: 'base',
      objective: 'sft',
      parameters: initial.parameters,
    });
    writeFileSync(
      join(modelDir, 'adapters', 'foreign.safetensors'),
      readFileSync(join(otherModel, 'adapters', 'foreign.safetensors')),
    );
    const reloaded = new CheckpointStore(index, await loadModelPackage(modelDir));
    await assert.rejects(
      reloaded.promote('foreign'),
      /foreign\.safetensors: __metadata__\.base_head_sha256: is [0-9a-f]{16}: it was trained on another head\.safetensors than this package's/,
    );
    // A head of another size: the tensor and the policy.json fields that fix its shape are named.
    await assert.rejects(
      reloaded.save('wrong', {
        kind: 'full',
        parent: 'base',
        objective: 'sft',
        parameters: { ...initial.parameters, 'layers.0.weight': new Float32Array(8 * FEATURES) },
      }),
      /wrong\.safetensors: layers\.0\.weight: has shape \[4480\]; policy.json head.hidden\[0\] and policy.json head.inputDim need \[16, 560\]/,
    );
    otherIndex.close();
    index.close();
  });
});

describe('run directory', () => {
  it('round-trips a snapshot and refuses a run id twice', async () => {
    const dataDir = tempDir('run');
    const manifest = {
      runId: 'sft-x',
      createdAt: '',
      modelDir: '/m',
      model: 'm@1',
      parent: 'base',
      settings: SMALL_HEAD_DEFAULTS.sft,
      selection: {},
      data: { kind: 'trajectories' as const, items: ['a'], trajectories: ['a'], heldOut: [] },
      device: 'cpu',
    };
    const dir = RunDirectory.create(dataDir, manifest);
    assert.throws(() => RunDirectory.create(dataDir, manifest), /run sft-x already exists/);
    assert.equal(await dir.loadSnapshot(), undefined);
    const snapshot = {
      step: 7,
      epoch: 1,
      batchInEpoch: 2,
      evals: [{ step: 0, epoch: 0, best: true }],
      bestStep: 0,
      sinceBest: 1,
      reference: randomArray(5, 1),
      parameters: { 'layers.0.weight': randomArray(6, 2) },
      best: { 'layers.0.weight': randomArray(6, 3) },
      optimizer: { step: 7, m: randomArray(6, 4), v: randomArray(6, 5) },
    };
    await dir.saveSnapshot(snapshot);
    assert.deepEqual(await RunDirectory.open(dataDir, 'sft-x').loadSnapshot(), snapshot);
    assert.throws(() => RunDirectory.open(dataDir, 'nope'), /no training run nope/);
    assert.throws(() => RunDirectory.open(dataDir, '../x'), /'..\/x' is not a valid run id/);
  });
});
