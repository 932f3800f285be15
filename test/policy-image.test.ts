// Camera messages → image tensors: every supported encoding (with padded rows), byte order, depth,
// JPEG/PNG, resize modes and crops; every unsupported or malformed image is a clear error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { CompressedImage, Image } from '../src/messages/ros-messages.js';
import { DepthPreprocessor, ImagePreprocessor } from '../src/policy/image-preprocessor.js';
import { axisTaps } from '../src/policy/image-resampler.js';
import type { DepthSpec, ImageSpec } from '../src/policy/model-manifest.js';
import { PolicyInputError } from '../src/policy/policy-input-error.js';
import { colourImage, expectedPlanes, header, pattern, type Rgb } from './helpers/policy-fixtures.js';

const W = 7;
const H = 5;
const rgbSpec = (over: Partial<ImageSpec> = {}): ImageSpec => ({
  input: 'image',
  width: W,
  height: H,
  channels: 'rgb',
  resize: 'bilinear',
  mean: [0, 0, 0],
  std: [1, 1, 1],
  ...over,
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function compressed(format: string, data: Uint8Array): CompressedImage {
  return { header: header(), format, data };
}

function png(width: number, height: number, pixel: (x: number, y: number) => Rgb): Uint8Array {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const [r, g, b] = pixel(x, y);
      p.data[i] = r;
      p.data[i + 1] = g;
      p.data[i + 2] = b;
      p.data[i + 3] = 255;
    }
  return PNG.sync.write(p);
}

function jpegOf(width: number, height: number, pixel: (x: number, y: number) => Rgb): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return jpeg.encode({ data, width, height }, 95).data;
}

/** A depth image of `metres(x, y)`: 16UC1 in millimetres or 32FC1 in metres, in either byte order. */
function depthImage(
  encoding: '16UC1' | '32FC1',
  bigEndian: boolean,
  metres: (x: number, y: number) => number,
  padding = 0,
): Image {
  const bytes = encoding === '16UC1' ? 2 : 4;
  const step = W * bytes + padding;
  const data = new Uint8Array(step * H).fill(0xab);
  const view = new DataView(data.buffer);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const at = y * step + x * bytes;
      if (encoding === '16UC1') view.setUint16(at, Math.round(metres(x, y) * 1000), !bigEndian);
      else view.setFloat32(at, metres(x, y), !bigEndian);
    }
  return { header: header(), height: H, width: W, encoding, is_bigendian: bigEndian ? 1 : 0, step, data };
}

function fails(fn: () => unknown, input: string, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PolicyInputError, String(e));
    assert.equal(e.input, input);
    assert.match(e.message, problem);
    return true;
  });
}

describe('image preprocessing', () => {
  for (const encoding of ['rgb8', 'bgr8', 'rgba8', 'bgra8']) {
    for (const padding of [0, 5]) {
      it(`${encoding}${padding ? ' with padded rows' : ''} → planar RGB in [0, 1]`, () => {
        const out = new ImagePreprocessor(rgbSpec()).tensor(colourImage(encoding, W, H, pattern, padding));
        assert.ok(maxDiff(out, expectedPlanes(W, H, pattern)) < 1e-6);
      });
    }
  }

  it('mono8 (padded) feeds all three channels of an RGB model', () => {
    const out = new ImagePreprocessor(rgbSpec()).tensor(colourImage('mono8', W, H, pattern, 3));
    const grey = (x: number, y: number): Rgb => {
      const v = pattern(x, y)[0];
      return [v, v, v];
    };
    assert.ok(maxDiff(out, expectedPlanes(W, H, grey)) < 1e-6);
  });

  it('writes the channel order and normalization the manifest asks for', () => {
    const msg = colourImage('rgb8', W, H, pattern);
    const bgr = new ImagePreprocessor(
      rgbSpec({ channels: 'bgr', mean: [0.5, 0.4, 0.3], std: [0.25, 0.5, 2] }),
    ).tensor(msg);
    const rgb = expectedPlanes(W, H, pattern);
    const plane = W * H;
    for (let i = 0; i < plane; i++) {
      assert.ok(Math.abs(bgr[i]! - (rgb[2 * plane + i]! - 0.5) / 0.25) < 1e-5);
      assert.ok(Math.abs(bgr[plane + i]! - (rgb[plane + i]! - 0.4) / 0.5) < 1e-5);
      assert.ok(Math.abs(bgr[2 * plane + i]! - (rgb[i]! - 0.3) / 2) < 1e-5);
    }
    const mono = new ImagePreprocessor(rgbSpec({ channels: 'mono', mean: [0], std: [1] })).tensor(msg);
    for (let i = 0; i < plane; i++)
      assert.ok(
        Math.abs(mono[i]! - (0.299 * rgb[i]! + 0.587 * rgb[plane + i]! + 0.114 * rgb[2 * plane + i]!)) < 1e-5,
      );
  });

  it('writes into a batch buffer at an offset', () => {
    const p = new ImagePreprocessor(rgbSpec());
    const batch = new Float32Array(2 * p.size).fill(-7);
    p.tensor(colourImage('rgb8', W, H, pattern), batch, p.size);
    assert.ok(batch.subarray(0, p.size).every((v) => v === -7));
    assert.ok(maxDiff(batch.subarray(p.size), expectedPlanes(W, H, pattern)) < 1e-6);
  });

  it('decodes PNG exactly and JPEG closely, whatever the format string says about the source', () => {
    const p = new ImagePreprocessor(rgbSpec());
    const want = expectedPlanes(W, H, pattern);
    for (const format of ['png', 'rgb8; png compressed bgr8'])
      assert.ok(maxDiff(p.tensor(compressed(format, png(W, H, pattern))), want) < 1e-6, format);
    const smooth = (x: number, y: number): Rgb => [40 + 20 * x, 200 - 25 * y, 128];
    for (const format of ['jpeg', 'bgr8; jpeg compressed bgr8', ''])
      assert.ok(
        maxDiff(p.tensor(compressed(format, jpegOf(W, H, smooth))), expectedPlanes(W, H, smooth)) < 0.06,
        format,
      );
  });

  it('resizes with area averaging, bilinear (half-pixel centres) and nearest', () => {
    // 4×2 → 2×1: area averages 2×2 blocks.
    const src = (x: number, y: number): Rgb => [10 * x + 100 * y, 0, 0];
    const area = new ImagePreprocessor(rgbSpec({ width: 2, height: 1, resize: 'area' })).tensor(
      colourImage('rgb8', 4, 2, src),
    );
    assert.ok(maxDiff(area.subarray(0, 2), [55 / 255, 75 / 255]) < 1e-6);
    // 2×1 → 4×1 bilinear: outputs at source x = -0.25, 0.25, 0.75, 1.25 (clamped at the edges).
    const bilinear = new ImagePreprocessor(rgbSpec({ width: 4, height: 1 })).tensor(
      colourImage('rgb8', 2, 1, (x) => [x === 0 ? 0 : 200, 0, 0]),
    );
    assert.ok(maxDiff(bilinear.subarray(0, 4), [0, 50 / 255, 150 / 255, 200 / 255]) < 1e-6);
    const nearest = new ImagePreprocessor(rgbSpec({ width: 2, height: 1, resize: 'nearest' })).tensor(
      colourImage('rgb8', 4, 2, src),
    );
    assert.ok(maxDiff(nearest.subarray(0, 2), [(10 * 1 + 100) / 255, (10 * 3 + 100) / 255]) < 1e-6);
  });

  it('area taps cover each output box once, weighted by overlap, for any scale', () => {
    for (const [src, dst] of [
      [640, 96],
      [480, 96],
      [96, 96],
      [10, 3],
      [3, 10],
    ] as const) {
      const t = axisTaps('area', 0, src, dst);
      const coverage = new Float64Array(src);
      for (let o = 0; o < dst; o++) {
        let sum = 0;
        for (let k = 0; k < t.taps; k++) {
          sum += t.weight[o * t.taps + k]!;
          coverage[t.index[o * t.taps + k]!]! += (t.weight[o * t.taps + k]! * src) / dst;
        }
        assert.ok(Math.abs(sum - 1) < 1e-5, `${src}→${dst}: output ${o} weights sum to ${sum}`);
      }
      // Every source pixel contributes exactly its share when downscaling.
      if (src >= dst)
        assert.ok(
          coverage.every((c) => Math.abs(c - 1) < 1e-4),
          `${src}→${dst}`,
        );
      if (src === dst) assert.equal(t.taps, 1);
    }
  });

  it('crops a region of the source before resizing', () => {
    const cropped = new ImagePreprocessor(
      rgbSpec({ width: 3, height: 2, crop: { left: 0.5, top: 0.5, width: 0.5, height: 0.5 } }),
    ).tensor(colourImage('rgb8', 6, 4, pattern));
    const want = expectedPlanes(3, 2, (x, y) => pattern(x + 3, y + 2));
    assert.ok(maxDiff(cropped, want) < 1e-6);
  });

  for (const encoding of ['16UC1', '32FC1'] as const) {
    for (const bigEndian of [false, true]) {
      it(`depth ${encoding} ${bigEndian ? 'big' : 'little'}-endian, padded, to [0, 1] over the range`, () => {
        const spec: DepthSpec = {
          input: 'depth',
          width: W,
          height: H,
          resize: 'nearest',
          minMeters: 0.5,
          maxMeters: 2.5,
        };
        const metres = (x: number, y: number) => (x === 3 && y === 2 ? 0 : 0.25 + 0.375 * x + 0.125 * y);
        const out = new DepthPreprocessor(spec).tensor(depthImage(encoding, bigEndian, metres, 6));
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const m = metres(x, y);
            const want = m === 0 ? 0 : Math.min(1, Math.max(0, (m - 0.5) / 2));
            assert.ok(Math.abs(out[y * W + x]! - want) < 1e-3, `(${x}, ${y}): ${out[y * W + x]} vs ${want}`);
          }
      });
    }
  }

  it('leaves missing depth readings out of an average instead of averaging in 0 m', () => {
    const spec: DepthSpec = {
      input: 'depth',
      width: 1,
      height: 1,
      resize: 'area',
      minMeters: 0,
      maxMeters: 4,
    };
    const half = depthImage('32FC1', false, (x) => (x < 4 ? Number.NaN : 2));
    assert.ok(Math.abs(new DepthPreprocessor(spec).tensor(half)[0]! - 0.5) < 1e-6);
    const none = depthImage('32FC1', false, () => 0);
    assert.equal(new DepthPreprocessor(spec).tensor(none)[0], 0);
  });

  it('reads 16-bit depth at an unaligned offset and with rows of odd byte length', () => {
    const spec: DepthSpec = {
      input: 'depth',
      width: W,
      height: H,
      resize: 'nearest',
      minMeters: 0.5,
      maxMeters: 2.5,
    };
    const odd = new DepthPreprocessor(spec).tensor(depthImage('16UC1', true, (x) => 0.5 + x / 4, 1));
    for (let x = 0; x < W; x++) assert.ok(Math.abs(odd[W + x]! - x / 8) < 1e-3);
    const msg = depthImage('16UC1', false, () => 1.5);
    const shifted = new Uint8Array(msg.data.length + 1);
    shifted.set(msg.data, 1);
    const out = new DepthPreprocessor(spec).tensor({ ...msg, data: shifted.subarray(1) });
    assert.ok(out.every((v) => Math.abs(v - 0.5) < 1e-6));
  });

  it('refuses encodings it cannot read, saying what to do', () => {
    const p = new ImagePreprocessor(rgbSpec());
    const base = colourImage('rgb8', W, H, pattern);
    fails(
      () => p.tensor({ ...base, encoding: 'bayer_rggb8' }),
      'image',
      /'bayer_rggb8': Bayer images must be debayered first/,
    );
    fails(() => p.tensor({ ...base, encoding: 'yuv422' }), 'image', /'yuv422': YUV images must be converted/);
    fails(
      () => p.tensor({ ...base, encoding: '8UC3' }),
      'image',
      /unsupported encoding '8UC3': the model's image takes rgb8, bgr8, rgba8, bgra8, mono8/,
    );
    fails(() => p.tensor({ ...base, encoding: '16UC1' }), 'image', /16UC1 is a depth encoding/);
    const d = new DepthPreprocessor({
      input: 'depth',
      width: W,
      height: H,
      resize: 'nearest',
      minMeters: 0,
      maxMeters: 1,
    });
    fails(() => d.tensor(base), 'depth', /rgb8 is a colour encoding; the model's depth takes 16UC1, 32FC1/);
  });

  it('refuses malformed images: size, step, data length, byte order flag', () => {
    const p = new ImagePreprocessor(rgbSpec());
    const base = colourImage('rgb8', W, H, pattern, 2);
    fails(() => p.tensor({ ...base, width: 0 }), 'image', /zero or invalid size 0×5/);
    fails(
      () => p.tensor({ ...base, step: 20 }),
      'image',
      /step 20 is less than one row of 7 rgb8 pixels \(21 bytes\)/,
    );
    fails(
      () => p.tensor({ ...base, data: base.data.subarray(1) }),
      'image',
      /data has 114 bytes; 5 rows of step 23 need 115/,
    );
    fails(() => p.tensor({ ...base, is_bigendian: 2 }), 'image', /is_bigendian is 2/);
  });

  it('refuses compressed images it cannot decode', () => {
    const p = new ImagePreprocessor(rgbSpec());
    const pngData = png(W, H, pattern);
    fails(
      () => p.tensor(compressed('jpeg', pngData)),
      'image',
      /format 'jpeg' says jpeg but the data is png/,
    );
    fails(
      () => p.tensor(compressed('16UC1; compressedDepth png', pngData)),
      'image',
      /compressedDepth\) is not supported/,
    );
    fails(() => p.tensor(compressed('png', new Uint8Array(0))), 'image', /compressed data is empty/);
    fails(() => p.tensor(compressed('png', Uint8Array.of(1, 2, 3, 4))), 'image', /neither JPEG nor PNG/);
    fails(() => p.tensor(compressed('png', pngData.subarray(0, 40))), 'image', /cannot decode png/);
    fails(
      () => p.tensor(compressed('jpeg', Uint8Array.of(0xff, 0xd8, 0xff, 0x00))),
      'image',
      /cannot decode jpeg/,
    );
  });
});
