// Camera messages → the encoder's image tensors, as the manifest says: crop, resize, channel order,
// normalization ((v - mean) / std on [0, 1] values), planar [C, H, W] float32; and depth in metres
// → [1, H, W] scaled to [0, 1] over the manifest's range, 0 where the camera had no reading.
import type { CompressedImage, Image } from '../messages/ros-messages.js';
import { compressedImageSource, imageSource, type PixelSource } from './image-source.js';
import { ResampleGrid } from './image-resampler.js';
import type { DepthSpec, ImageSpec } from './model-manifest.js';

/** ITU-R BT.601 luma weights, for a mono model fed a colour camera. */
const LUMA = [0.299, 0.587, 0.114] as const;

export function isCompressed(msg: Image | CompressedImage): msg is CompressedImage {
  return 'format' in msg;
}

export class ImagePreprocessor {
  readonly channels: number;
  /** Values per image: C · H · W. */
  readonly size: number;
  private readonly grid: ResampleGrid;

  constructor(readonly spec: Readonly<ImageSpec>) {
    this.channels = spec.channels === 'mono' ? 1 : 3;
    this.size = this.channels * spec.width * spec.height;
    this.grid = new ResampleGrid(spec.resize, spec.crop, spec.width, spec.height);
  }

  /** For each output channel: the source channels it sums (1, or 3 for luma) and their weights. */
  private mix(src: PixelSource): [number, number][][] {
    if (this.spec.channels === 'mono') return [src.kind === 'mono' ? [[0, 1]] : LUMA.map((w, c) => [c, w])];
    const order = this.spec.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
    return order.map((c) => [[c, 1]]);
  }

  /** Writes the tensor of `msg` into `out` at `offset` (a fresh array when not given). */
  tensor(msg: Image | CompressedImage, out = new Float32Array(this.size), offset = 0): Float32Array {
    const src = isCompressed(msg) ? compressedImageSource(msg) : imageSource(msg, 'colour');
    const { x, y } = this.grid.taps(src.width, src.height, src.pixelStride, src.rowStride);
    const { width: W, height: H, mean, std } = this.spec;
    const { data, offsets } = src;
    const mix = this.mix(src);
    for (let c = 0; c < this.channels; c++) {
      // Tap weights sum to 1, so scaling and normalization fold into one multiply-add per pixel.
      const a = src.scale / std[c]!;
      const b = -mean[c]! / std[c]!;
      const reads = mix[c]!;
      const single = reads.length === 1;
      const [o0, w0] = [offsets[reads[0]![0]]!, reads[0]![1]];
      const [o1, w1] = single ? [0, 0] : [offsets[reads[1]![0]]!, reads[1]![1]];
      const [o2, w2] = single ? [0, 0] : [offsets[reads[2]![0]]!, reads[2]![1]];
      const plane = offset + c * W * H;
      for (let oy = 0; oy < H; oy++) {
        for (let ox = 0; ox < W; ox++) {
          let acc = 0;
          for (let ty = 0; ty < y.taps; ty++) {
            const wy = y.weight[oy * y.taps + ty]!;
            const row = y.index[oy * y.taps + ty]!;
            for (let tx = 0; tx < x.taps; tx++) {
              const px = row + x.index[ox * x.taps + tx]!;
              const v = single
                ? w0 * data[px + o0]!
                : w0 * data[px + o0]! + w1 * data[px + o1]! + w2 * data[px + o2]!;
              acc += wy * x.weight[ox * x.taps + tx]! * v;
            }
          }
          out[plane + oy * W + ox] = a * acc + b;
        }
      }
    }
    return out;
  }
}

export class DepthPreprocessor {
  readonly size: number;
  private readonly grid: ResampleGrid;

  constructor(readonly spec: Readonly<DepthSpec>) {
    this.size = spec.width * spec.height;
    this.grid = new ResampleGrid(spec.resize, spec.crop, spec.width, spec.height);
  }

  tensor(msg: Image, out = new Float32Array(this.size), offset = 0): Float32Array {
    const src = imageSource(msg, 'depth');
    const { x, y } = this.grid.taps(src.width, src.height, src.pixelStride, src.rowStride);
    const { width: W, height: H, minMeters, maxMeters } = this.spec;
    const { data, scale } = src;
    for (let oy = 0; oy < H; oy++) {
      for (let ox = 0; ox < W; ox++) {
        // Missing readings (0, NaN, ±inf) are left out of the average, not averaged in as 0 m.
        let acc = 0;
        let weight = 0;
        for (let ty = 0; ty < y.taps; ty++) {
          const row = y.index[oy * y.taps + ty]!;
          for (let tx = 0; tx < x.taps; tx++) {
            const w = y.weight[oy * y.taps + ty]! * x.weight[ox * x.taps + tx]!;
            const d = data[row + x.index[ox * x.taps + tx]!]! * scale;
            if (w > 0 && d > 0 && Number.isFinite(d)) {
              acc += w * d;
              weight += w;
            }
          }
        }
        const metres = weight > 0 ? acc / weight : NaN;
        out[offset + oy * W + ox] = Number.isNaN(metres)
          ? 0
          : Math.min(1, Math.max(0, (metres - minMeters) / (maxMeters - minMeters)));
      }
    }
    return out;
  }
}
