// Test inputs for the policy runtime: ROS-shaped camera and joint messages built from pixel
// functions, and the default model package written once per test process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Header, Image, JointState } from '../../src/messages/ros-messages.js';
import { buildDefaultModel } from '../../src/policy/default-model/default-model.js';
import { PANDA_JOINT_NAMES } from '../../src/policy/default-model/panda-kinematics.js';
import { writeModelPackage } from '../../src/policy/model-package.js';

export function header(frame = 'camera'): Header {
  return { stamp: { sec: 1, nanosec: 0 }, frame_id: frame };
}

export type Rgb = [number, number, number];

/** Bytes per pixel and where r, g, b go, per colour encoding. */
const LAYOUT: Record<string, { bytes: number; order: number[] }> = {
  rgb8: { bytes: 3, order: [0, 1, 2] },
  bgr8: { bytes: 3, order: [2, 1, 0] },
  rgba8: { bytes: 4, order: [0, 1, 2] },
  bgra8: { bytes: 4, order: [2, 1, 0] },
};

/**
 * A colour (or mono8: the red value) sensor_msgs/Image of `pixel(x, y)` = [r, g, b] bytes, rows padded
 * with `padding` junk bytes (0xEE) so readers that ignore `step` fail.
 */
export function colourImage(
  encoding: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => Rgb,
  padding = 0,
): Image {
  const layout = encoding === 'mono8' ? { bytes: 1, order: [0] } : LAYOUT[encoding]!;
  const step = width * layout.bytes + padding;
  const data = new Uint8Array(step * height).fill(0xee);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const rgb = pixel(x, y);
      const at = y * step + x * layout.bytes;
      layout.order.forEach((channel, k) => (data[at + k] = rgb[channel]!));
      if (layout.bytes === 4) data[at + 3] = 255;
    }
  return { header: header(), height, width, encoding, is_bigendian: 0, step, data };
}

/** Planar [3, H, W] values in [0, 1] of `pixel` — what the preprocessor must produce at the same size. */
export function expectedPlanes(
  width: number,
  height: number,
  pixel: (x: number, y: number) => Rgb,
): Float32Array {
  const out = new Float32Array(3 * width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      pixel(x, y).forEach((v, c) => (out[c * width * height + y * width + x] = v / 255));
  return out;
}

/** A deterministic colourful test pattern. */
export const pattern = (x: number, y: number): Rgb => [
  (x * 37 + y * 11) % 256,
  (x * 5 + y * 53) % 256,
  (x * y + 7) % 256,
];

/** A 96×96 scene: grey table, one coloured square (side `size` px, top-left at x, y). */
export function tableScene(
  square: { x: number; y: number; size: number; colour: Rgb },
  encoding = 'rgb8',
): Image {
  const { x: sx, y: sy, size, colour } = square;
  return colourImage(encoding, 96, 96, (x, y) =>
    x >= sx && x < sx + size && y >= sy && y < sy + size ? colour : [110, 110, 110],
  );
}

/** The Panda's home pose (panda.xml keyframe). */
export const PANDA_HOME = [0, 0, 0, -1.57079, 0, 1.57079, -0.7853, 0.04, 0.04];

export function jointState(
  names: string[] = PANDA_JOINT_NAMES,
  positions: number[] | Float64Array = PANDA_HOME,
): JointState {
  return { header: header('base'), name: names, position: positions, velocity: [], effort: [] };
}

const scratch: string[] = [];
process.once('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory removed when the test process exits. */
export function scratchDir(prefix = 'grape-policy-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

let defaultModel: Promise<string> | undefined;

/** The default model package (seed 0), written once per test process. */
export function defaultModelDir(): Promise<string> {
  defaultModel ??= writeModelPackage(join(scratchDir(), 'default'), buildDefaultModel(0));
  return defaultModel;
}
