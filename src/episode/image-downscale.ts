// Integer-factor downscaling of sensor_msgs/Image for the recorder's disk budget: k×k box average
// for 8-bit channels (no aliasing on fine texture), nearest pixel for wider ones. Packed and
// mosaic encodings (Bayer, YUV 4:2:2) have no per-pixel layout to scale and are left alone.
import type { Image } from '../messages/ros-messages.js';

const NAMED: Record<string, { channels: number; bytes: number }> = {
  mono8: { channels: 1, bytes: 1 },
  mono16: { channels: 1, bytes: 2 },
  rgb8: { channels: 3, bytes: 1 },
  bgr8: { channels: 3, bytes: 1 },
  rgba8: { channels: 4, bytes: 1 },
  bgra8: { channels: 4, bytes: 1 },
  rgb16: { channels: 3, bytes: 2 },
  bgr16: { channels: 3, bytes: 2 },
  rgba16: { channels: 4, bytes: 2 },
  bgra16: { channels: 4, bytes: 2 },
};

const DEPTH_BYTES: Record<string, number> = { '8': 1, '16': 2, '32': 4, '64': 8 };

/** Channels and bytes per channel of an encoding, or undefined when pixels are not separable. */
function pixelLayout(encoding: string): { channels: number; bytes: number } | undefined {
  const named = NAMED[encoding];
  if (named) return named;
  const generic = /^(8|16|32|64)([USF])C([1-4])$/.exec(encoding);
  return generic ? { channels: Number(generic[3]), bytes: DEPTH_BYTES[generic[1]!]! } : undefined;
}

/** The image reduced by `factor` in each direction, or undefined if its encoding cannot be. */
export function downscaleImage(image: Image, factor: number): Image | undefined {
  if (!Number.isInteger(factor) || factor < 1)
    throw new RangeError(`downscale factor must be an integer ≥ 1, got ${factor}`);
  if (factor === 1) return image;
  const layout = pixelLayout(image.encoding);
  if (!layout) return undefined;
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (width === 0 || height === 0) return undefined;
  const pixelBytes = layout.channels * layout.bytes;
  if (image.step < image.width * pixelBytes || image.data.length < image.step * image.height)
    return undefined;
  const step = width * pixelBytes;
  const data = new Uint8Array(step * height);
  const src = image.data;
  if (layout.bytes === 1) {
    const area = factor * factor;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < layout.channels; c++) {
          let sum = 0;
          for (let dy = 0; dy < factor; dy++) {
            let i = (y * factor + dy) * image.step + x * factor * pixelBytes + c;
            for (let dx = 0; dx < factor; dx++, i += pixelBytes) sum += src[i]!;
          }
          data[y * step + x * pixelBytes + c] = Math.round(sum / area);
        }
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      const row = src.subarray(y * factor * image.step);
      for (let x = 0; x < width; x++) {
        const from = x * factor * pixelBytes;
        data.set(row.subarray(from, from + pixelBytes), y * step + x * pixelBytes);
      }
    }
  }
  return { ...image, width, height, step, data };
}
