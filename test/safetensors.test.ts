import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { toHalfArray } from '../src/native/half.js';
import {
  SafetensorsError,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  tensorToFloat32,
  writeSafetensors,
} from '../src/policy/safetensors.js';
import { randomArray } from './helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'grape-st-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file with a hand-written header, to test what readers must refuse. */
function raw(header: unknown, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors of every dtype and the metadata', async () => {
    const w = randomArray(12, 1);
    const path = join(dir, 'head.safetensors');
    await writeSafetensors(
      path,
      {
        'layers.0.weight': { data: w, shape: [3, 4] },
        half: { data: toHalfArray([1, -2, 0.5], 'float16'), shape: [3], dtype: 'F16' },
        bf: { data: toHalfArray([1, -2, 0.5], 'bfloat16'), shape: [3], dtype: 'BF16' },
        ids: { data: Int32Array.from([1, 2]), shape: [2] },
        big: { data: BigInt64Array.from([5n]), shape: [1] },
        scalar: { data: Float64Array.from([3.25]), shape: [] },
      },
      { parent: 'abc', objective: 'tpo' },
    );
    const bytes = readFileSync(path);
    assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0, 'data is 8-byte aligned');
    const file = await readSafetensors(path);
    assert.deepEqual(file.metadata, { parent: 'abc', objective: 'tpo' });
    const t = file.tensors.get('layers.0.weight')!;
    assert.deepEqual(t.shape, [3, 4]);
    assert.deepEqual(tensorToFloat32(t), w);
    assert.deepEqual(Array.from(tensorToFloat32(file.tensors.get('half')!)), [1, -2, 0.5]);
    assert.deepEqual(Array.from(tensorToFloat32(file.tensors.get('bf')!)), [1, -2, 0.5]);
    assert.deepEqual(Array.from(file.tensors.get('ids')!.data as Int32Array), [1, 2]);
    assert.equal((file.tensors.get('big')!.data as BigInt64Array)[0], 5n);
    assert.deepEqual(file.tensors.get('scalar')!.shape, []);
    assert.throws(
      () => tensorToFloat32(file.tensors.get('ids')!, 'ids'),
      /ids has dtype I32; expected a floating type/,
    );
  });

  it('reads unaligned tensor data by copying it', () => {
    const data = new Uint8Array(4 + 8);
    new Float32Array(data.buffer, 4, 2).set([1.5, -3]);
    const bytes = raw(
      {
        a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      data,
    );
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    assert.deepEqual(Array.from(parseSafetensors(shifted).tensors.get('b')!.data as Float32Array), [1.5, -3]);
  });

  const corrupt: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /5 bytes is too short/],
    ['header past the end', raw({}).subarray(0, 9), /runs past the end of the file.*truncated/],
    ['header not JSON', raw('{"a": '), /header is not UTF-8 JSON/],
    ['header not an object', raw('[1,2]'), /header is not a JSON object/],
    [
      'unknown dtype',
      raw({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'a' has unsupported dtype "F8"/,
    ],
    [
      'bad shape',
      raw({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'a' shape/,
    ],
    [
      'size mismatch',
      raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /tensor 'a' has 4 bytes; shape \[2\] F32 needs 8/,
    ],
    [
      'truncated data',
      raw({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
      /ends at byte 8, past the data \(4 bytes; truncated\?\)/,
    ],
    [
      'overlap',
      raw(
        {
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] },
        },
        new Uint8Array(3),
      ),
      /tensor 'b' starts at byte 1; expected 2 \(gap or overlap\)/,
    ],
    [
      'trailing bytes',
      raw({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(3)),
      /2 bytes after the last tensor/,
    ],
    ['bad metadata', raw({ __metadata__: { a: 1 } }), /__metadata__.a must be a string/],
  ];
  for (const [name, bytes, pattern] of corrupt) {
    it(`refuses a file with ${name}`, () => {
      assert.throws(
        () => parseSafetensors(bytes, 'bad.safetensors'),
        (e: unknown) =>
          e instanceof SafetensorsError &&
          /^bad\.safetensors: not a valid safetensors file: /.test(e.message) &&
          pattern.test(e.message),
      );
    });
  }

  it('names a missing file', async () => {
    await assert.rejects(readSafetensors(join(dir, 'nope.safetensors')), /nope\.safetensors: cannot read/);
  });

  it('refuses data that does not fill its shape', () => {
    assert.throws(
      () => serializeSafetensors({ a: { data: new Float32Array(3), shape: [2, 2] } }),
      /shape \[2, 2\] holds 4 values, data has 3/,
    );
  });
});
