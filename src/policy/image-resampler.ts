// Crop + resize as separable tap tables: each output column (row) reads a few source columns
// (rows) with fixed weights. nearest: 1 tap; bilinear: 2 (half-pixel centres, as OpenCV and
// PyTorch with align_corners=false); area: the box each output pixel covers, weighted by overlap
// (OpenCV's INTER_AREA for downscaling; what to use when a 640×480 camera feeds a 96×96 model).
import type { CropSpec, ResizeMode } from './model-manifest.js';

/** Output i reads source indices index[i·taps + k] with weights weight[i·taps + k]. */
export interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

/** Taps for one axis: source pixels [start, end) resized to `size` outputs. */
export function axisTaps(mode: ResizeMode, start: number, end: number, size: number): AxisTaps {
  const scale = (end - start) / size;
  const clamp = (i: number) => Math.min(end - 1, Math.max(start, i));
  const taps = mode === 'nearest' ? 1 : mode === 'bilinear' ? 2 : Math.ceil(scale) + 1;
  const index = new Int32Array(size * taps);
  const weight = new Float32Array(size * taps);
  for (let o = 0; o < size; o++) {
    const at = o * taps;
    index.fill(clamp(start + Math.floor((o + 0.5) * scale)), at, at + taps);
    if (mode === 'nearest') {
      weight[at] = 1;
    } else if (mode === 'bilinear') {
      const s = start + (o + 0.5) * scale - 0.5;
      const i0 = Math.floor(s);
      const f = s - i0;
      index[at] = clamp(i0);
      index[at + 1] = clamp(i0 + 1);
      weight[at] = 1 - f;
      weight[at + 1] = f;
    } else {
      const a = start + o * scale;
      const b = a + scale;
      let k = 0;
      for (let p = Math.floor(a); p < b && k < taps; p++, k++) {
        index[at + k] = clamp(p);
        weight[at + k] = (Math.min(b, p + 1) - Math.max(a, p)) / scale;
      }
    }
  }
  return compact({ taps, index, weight });
}

/** Drops zero-weight taps (a same-size resize keeps one tap per pixel instead of two). */
function compact(t: AxisTaps): AxisTaps {
  const size = t.index.length / t.taps;
  let taps = 1;
  for (let o = 0; o < size; o++) {
    let nonZero = 0;
    for (let k = 0; k < t.taps; k++) if (t.weight[o * t.taps + k] !== 0) nonZero++;
    taps = Math.max(taps, nonZero);
  }
  if (taps === t.taps) return t;
  const index = new Int32Array(size * taps);
  const weight = new Float32Array(size * taps);
  for (let o = 0; o < size; o++) {
    let k = 0;
    index.fill(t.index[o * t.taps]!, o * taps, (o + 1) * taps);
    for (let j = 0; j < t.taps; j++) {
      const w = t.weight[o * t.taps + j]!;
      if (w === 0) continue;
      index[o * taps + k] = t.index[o * t.taps + j]!;
      weight[o * taps + k++] = w;
    }
  }
  return { taps, index, weight };
}

/** The source pixel range a crop (fractions of the image) selects; at least one pixel. */
export function cropRange(crop: CropSpec | undefined, axis: 'x' | 'y', extent: number): [number, number] {
  if (!crop) return [0, extent];
  const [from, length] = axis === 'x' ? [crop.left, crop.width] : [crop.top, crop.height];
  const start = Math.min(extent - 1, Math.round(from * extent));
  const end = Math.min(extent, Math.max(start + 1, Math.round((from + length) * extent)));
  return [start, end];
}

/**
 * Tap tables for a source size, cached: a camera keeps its size, so they are built once.
 * Indices come pre-multiplied by the source's strides (element offsets).
 */
export class ResampleGrid {
  private key = '';
  private x: AxisTaps = { taps: 0, index: new Int32Array(0), weight: new Float32Array(0) };
  private y: AxisTaps = this.x;

  constructor(
    private readonly mode: ResizeMode,
    private readonly crop: CropSpec | undefined,
    readonly width: number,
    readonly height: number,
  ) {}

  taps(
    srcWidth: number,
    srcHeight: number,
    pixelStride: number,
    rowStride: number,
  ): { x: AxisTaps; y: AxisTaps } {
    const key = `${srcWidth}x${srcHeight}/${pixelStride}/${rowStride}`;
    if (key !== this.key) {
      const [x0, x1] = cropRange(this.crop, 'x', srcWidth);
      const [y0, y1] = cropRange(this.crop, 'y', srcHeight);
      const x = axisTaps(this.mode, x0, x1, this.width);
      const y = axisTaps(this.mode, y0, y1, this.height);
      x.index = x.index.map((i) => i * pixelStride);
      y.index = y.index.map((i) => i * rowStride);
      this.x = x;
      this.y = y;
      this.key = key;
    }
    return { x: this.x, y: this.y };
  }
}
