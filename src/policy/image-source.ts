// ROS images as strided pixel views: sensor_msgs/Image is read in place (row padding, channel
// order and byte order honoured), sensor_msgs/CompressedImage is decoded (JPEG, PNG). Anything
// the policy cannot read is an error saying what and why.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import type { CompressedImage, Image } from '../messages/ros-messages.js';
import { PolicyInputError } from './policy-input-error.js';

/** Pixel (x, y), channel c lives at data[y * rowStride + x * pixelStride + offsets[c]]. */
export interface PixelSource {
  width: number;
  height: number;
  data: Uint8Array | Uint16Array | Float32Array;
  rowStride: number;
  pixelStride: number;
  /** Element offsets of red, green and blue (all 0 for a single-channel image). */
  offsets: readonly [number, number, number];
  /** Multiplies raw values into [0, 1] (colour) or metres (depth). */
  scale: number;
  /** colour: r, g, b differ; mono: one channel; depth: metres, 0 or non-finite = no reading. */
  kind: 'colour' | 'mono' | 'depth';
}

interface Layout {
  kind: PixelSource['kind'];
  bytesPerElement: 1 | 2 | 4;
  channels: number;
  offsets: readonly [number, number, number];
  scale: number;
}

const COLOUR: Record<string, Layout> = {
  rgb8: { kind: 'colour', bytesPerElement: 1, channels: 3, offsets: [0, 1, 2], scale: 1 / 255 },
  bgr8: { kind: 'colour', bytesPerElement: 1, channels: 3, offsets: [2, 1, 0], scale: 1 / 255 },
  rgba8: { kind: 'colour', bytesPerElement: 1, channels: 4, offsets: [0, 1, 2], scale: 1 / 255 },
  bgra8: { kind: 'colour', bytesPerElement: 1, channels: 4, offsets: [2, 1, 0], scale: 1 / 255 },
  mono8: { kind: 'mono', bytesPerElement: 1, channels: 1, offsets: [0, 0, 0], scale: 1 / 255 },
};

const DEPTH: Record<string, Layout> = {
  /** millimetres */
  '16UC1': { kind: 'depth', bytesPerElement: 2, channels: 1, offsets: [0, 0, 0], scale: 1e-3 },
  /** metres */
  '32FC1': { kind: 'depth', bytesPerElement: 4, channels: 1, offsets: [0, 0, 0], scale: 1 },
};

const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function unsupported(encoding: string, purpose: 'colour' | 'depth', what: string): string {
  const supported = purpose === 'colour' ? Object.keys(COLOUR) : Object.keys(DEPTH);
  let why = '';
  if (/^bayer_/i.test(encoding)) why = 'Bayer images must be debayered first (image_proc); ';
  else if (/yuv|yuyv|uyvy|nv12|nv21|nv24/i.test(encoding))
    why = 'YUV images must be converted to rgb8/bgr8 first; ';
  else if (purpose === 'colour' && encoding in DEPTH) why = `${encoding} is a depth encoding; `;
  else if (purpose === 'depth' && encoding in COLOUR) why = `${encoding} is a colour encoding; `;
  return `unsupported encoding '${encoding}': ${why}the model's ${what} takes ${supported.join(', ')}`;
}

/**
 * The 16- or 32-bit single-channel elements of a depth image: viewed in place when aligned, in host
 * byte order and with whole-element rows; otherwise copied row by row into a packed array.
 */
function elements(msg: Image, bytes: 2 | 4): { data: Uint16Array | Float32Array; rowStride: number } {
  const { data, step, width, height } = msg;
  const bigEndian = msg.is_bigendian === 1;
  if (bigEndian === !HOST_LITTLE_ENDIAN && data.byteOffset % bytes === 0 && step % bytes === 0) {
    const count = data.length / bytes;
    const view =
      bytes === 2
        ? new Uint16Array(data.buffer, data.byteOffset, count)
        : new Float32Array(data.buffer, data.byteOffset, count);
    return { data: view, rowStride: step / bytes };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = bytes === 2 ? new Uint16Array(width * height) : new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = y * step + x * bytes;
      out[y * width + x] = bytes === 2 ? view.getUint16(at, !bigEndian) : view.getFloat32(at, !bigEndian);
    }
  return { data: out, rowStride: width };
}

/**
 * A view of a sensor_msgs/Image for the model's colour image ('colour': rgb8, bgr8, rgba8, bgra8,
 * mono8) or depth image ('depth': 16UC1 in mm, 32FC1 in m). `what` names it in errors.
 */
export function imageSource(
  msg: Image,
  purpose: 'colour' | 'depth',
  what = purpose === 'colour' ? 'image' : 'depth',
): PixelSource {
  const fail = (problem: string): never => {
    throw new PolicyInputError(what, problem);
  };
  const layout = (purpose === 'colour' ? COLOUR : DEPTH)[msg.encoding];
  if (!layout) return fail(unsupported(msg.encoding, purpose, what));
  const { width, height, step } = msg;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    fail(`has zero or invalid size ${width}×${height}`);
  const rowBytes = width * layout.channels * layout.bytesPerElement;
  if (!Number.isInteger(step) || step < rowBytes)
    fail(`step ${step} is less than one row of ${width} ${msg.encoding} pixels (${rowBytes} bytes)`);
  if (msg.data.length !== step * height)
    fail(`data has ${msg.data.length} bytes; ${height} rows of step ${step} need ${step * height}`);
  if (msg.is_bigendian !== 0 && msg.is_bigendian !== 1)
    fail(`is_bigendian is ${msg.is_bigendian}; expected 0 or 1`);
  const { data, rowStride } =
    layout.bytesPerElement === 1
      ? { data: msg.data, rowStride: step }
      : elements(msg, layout.bytesPerElement);
  return {
    width,
    height,
    data,
    rowStride,
    pixelStride: layout.channels,
    offsets: layout.offsets,
    scale: layout.scale,
    kind: layout.kind,
  };
}

const JPEG_LIMITS = { maxResolutionInMP: 64, maxMemoryUsageInMB: 512 };

/** The compression a CompressedImage format names: "jpeg", "png", "rgb8; jpeg compressed bgr8", ... */
function compressionOf(format: string): string | undefined {
  const f = format.toLowerCase();
  if (f.includes('compresseddepth')) return 'compressedDepth';
  if (/\bjpe?g\b/.test(f)) return 'jpeg';
  if (/\bpng\b/.test(f)) return 'png';
  return undefined;
}

function magicOf(data: Uint8Array): 'jpeg' | 'png' | undefined {
  if (data[0] === 0xff && data[1] === 0xd8) return 'jpeg';
  if (data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  return undefined;
}

/** Decodes a sensor_msgs/CompressedImage (JPEG or PNG) into an RGBA view for the colour image. */
export function compressedImageSource(msg: CompressedImage, what = 'image'): PixelSource {
  const fail = (problem: string): never => {
    throw new PolicyInputError(what, problem);
  };
  const named = compressionOf(msg.format);
  if (named === 'compressedDepth')
    fail(`format '${msg.format}' (compressedDepth) is not supported; send raw 16UC1/32FC1`);
  if (msg.data.length === 0) fail('compressed data is empty');
  const actual = magicOf(msg.data);
  if (!actual) fail(`data is neither JPEG nor PNG (format '${msg.format}')`);
  if (named && named !== actual) fail(`format '${msg.format}' says ${named} but the data is ${actual}`);
  let width: number;
  let height: number;
  let data: Uint8Array;
  try {
    if (actual === 'jpeg') {
      const img = jpeg.decode(msg.data, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
      ({ width, height, data } = img);
    } else {
      const img = PNG.sync.read(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
      ({ width, height } = img);
      data = img.data;
    }
  } catch (error) {
    return fail(`cannot decode ${actual} (${(error as Error).message})`);
  }
  if (width <= 0 || height <= 0) fail(`decoded ${actual} has zero size ${width}×${height}`);
  return {
    width,
    height,
    data,
    rowStride: width * 4,
    pixelStride: 4,
    offsets: [0, 1, 2],
    scale: 1 / 255,
    kind: 'colour',
  };
}
