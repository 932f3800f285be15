// policy.json: the schema and the rules it cannot say; every rejection names the file and field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { buildDefaultModel } from '../src/policy/default-model/default-model.js';
import { ModelPackageError } from '../src/policy/model-package-error.js';
import {
  fieldPath,
  parseManifest,
  parseManifestText,
  type ModelManifest,
} from '../src/policy/model-manifest.js';

const FILE = '/models/x/policy.json';
const base = buildDefaultModel(0).manifest;

/** A deep copy of the default manifest, changed by `edit`. */
function broken(edit: (m: ModelManifest) => void): ModelManifest {
  const m = structuredClone(base);
  edit(m);
  return m;
}

/** A deep copy with the JSON value at `path` replaced (any value, so the schema can be broken); undefined deletes. */
function withValue(path: (string | number)[], value: unknown, m: unknown = structuredClone(base)): unknown {
  const parent = path
    .slice(0, -1)
    .reduce<Record<string | number, unknown>>(
      (node, key) => node[key] as Record<string | number, unknown>,
      m as Record<string, unknown>,
    );
  const key = path[path.length - 1]!;
  if (value === undefined) Reflect.deleteProperty(parent, key);
  else parent[key] = value;
  return m;
}

function rejects(json: unknown, field: string, problem: RegExp): void {
  assert.throws(
    () => parseManifest(json, FILE),
    (error: unknown) => {
      assert.ok(error instanceof ModelPackageError, String(error));
      assert.equal(error.file, FILE);
      assert.equal(error.field, field);
      assert.match(error.message, problem);
      assert.ok(error.message.startsWith(`${FILE}: ${field}: `), error.message);
      return true;
    },
  );
}

describe('policy.json manifest', () => {
  it('accepts the default model manifest unchanged', () => {
    const m: ModelManifest = parseManifest(structuredClone(base), FILE);
    assert.equal(m.action.dims, 7);
    assert.deepEqual(m.encoder.outputShape, [m.head.inputDim]);
  });

  it('turns JSON pointers into field paths people read', () => {
    assert.equal(fieldPath('/action/normalization/q01/3'), 'action.normalization.q01[3]');
    assert.equal(fieldPath(''), '');
    assert.equal(fieldPath('/a~1b/c~0d'), 'a/b.c~d');
  });

  it('rejects unknown fields at any depth', () => {
    rejects(withValue(['extra'], 1), 'extra', /unknown field/);
    rejects(withValue(['observation', 'image', 'gamma'], 2.2), 'observation.image.gamma', /unknown field/);
  });

  it('rejects missing fields, naming the path', () => {
    rejects(
      withValue(['action', 'normalization', 'q99'], undefined),
      'action.normalization.q99',
      /missing required field/,
    );
    rejects(withValue(['controlRateHz'], undefined), 'controlRateHz', /missing required field/);
  });

  it('rejects wrong types and values, and lists every problem', () => {
    rejects(withValue(['action', 'bins'], 'many'), 'action.bins', /must be integer/);
    rejects(
      withValue(['observation', 'image', 'channels'], 'rgba'),
      'observation.image.channels',
      /must be one of "rgb", "bgr", "mono"/,
    );
    rejects(withValue(['format'], 'grape-model/2'), 'format', /must be "grape-model\/1"/);
    rejects(
      withValue(['action', 'normalization', 'q01', 2], 'x'),
      'action.normalization.q01[2]',
      /must be number/,
    );
    rejects(
      withValue(['head', 'kind'], 'transformer', withValue(['name'], undefined)),
      'name',
      /missing required field\n {2}also head\.kind: must be one of "mlp", "token-linear"/,
    );
  });

  it('checks lengths that must agree with action.dims', () => {
    rejects(
      broken((m) => {
        m.action.names.pop();
      }),
      'action.names',
      /has 6 names; action.dims is 7/,
    );
    rejects(
      broken((m) => {
        m.action.normalization.q99.push(1);
      }),
      'action.normalization.q99',
      /has 8 values; action.dims is 7/,
    );
  });

  it('needs q99 above q01 for every dim', () => {
    rejects(
      broken((m) => (m.action.normalization.q99[4] = m.action.normalization.q01[4]!)),
      'action.normalization.q99[4]',
      /must exceed q01 -0.3 \(dim 'dpitch'\)/,
    );
  });

  it('needs binary dims to be action names', () => {
    rejects(
      broken((m) => (m.action.binary = ['gripper', 'claw'])),
      'action.binary[1]',
      /'claw' is not one of action.names/,
    );
  });

  it('needs one mean and std per image channel, std positive', () => {
    rejects(
      broken((m) => (m.observation.image.channels = 'mono')),
      'observation.image.mean',
      /has 3 values; channels 'mono' needs 1/,
    );
    rejects(
      broken((m) => (m.observation.image.std[1] = 0)),
      'observation.image.std[1]',
      /must be positive/,
    );
  });

  it('checks crops and depth ranges', () => {
    rejects(
      broken((m) => (m.observation.image.crop = { left: 0.5, top: 0, width: 0.6, height: 1 })),
      'observation.image.crop.width',
      /runs past the right edge/,
    );
    rejects(
      broken((m) => (m.observation.image.crop = { left: 0, top: 0, width: 0, height: 1 })),
      'observation.image.crop',
      /is empty/,
    );
    rejects(
      broken(
        (m) =>
          (m.observation.depth = {
            input: 'depth',
            width: 8,
            height: 8,
            resize: 'nearest',
            minMeters: 2,
            maxMeters: 1,
          }),
      ),
      'observation.depth.maxMeters',
      /1 must exceed minMeters 2/,
    );
  });

  it('needs each encoder input fed by one field only', () => {
    rejects(
      broken((m) => (m.instruction.input = 'image')),
      'instruction.input',
      /encoder input 'image' is already fed by observation.image.input/,
    );
  });

  it('needs the encoder output shape to be the head input', () => {
    rejects(
      broken((m) => (m.encoder.outputShape = [512])),
      'encoder.outputShape',
      /\[512\] does not match the mlp head's input \[560\]/,
    );
    rejects(
      broken((m) => {
        m.head = { kind: 'token-linear', inputDim: 64 };
        m.encoder.outputShape = [64];
        delete m.encoder.blocks;
      }),
      'encoder.outputShape',
      /token-linear head's input \[7, 64\] \(head.inputDim 64, action.dims 7\)/,
    );
    rejects(
      broken((m) => {
        m.head = { kind: 'token-linear', inputDim: 64, hidden: [32] };
        m.encoder.outputShape = [7, 64];
        delete m.encoder.blocks;
      }),
      'head.hidden',
      /a token-linear head has no hidden layers/,
    );
  });

  it('needs feature blocks to tile the features', () => {
    rejects(
      broken((m) => {
        m.encoder.blocks![2]!.offset += 1;
      }),
      'encoder.blocks[2].offset',
      /the blocks before it end at 384/,
    );
    rejects(
      broken((m) => {
        m.encoder.blocks!.pop();
      }),
      'encoder.blocks',
      /cover 552 feature values; the encoder outputs 560/,
    );
  });

  it('reports text that is not JSON', () => {
    assert.throws(() => parseManifestText('{"name": ', FILE), /policy.json: not valid JSON/);
  });
});
