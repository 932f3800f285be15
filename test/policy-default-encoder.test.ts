// The default encoder computes what docs/model-package.md says it does: colour layout, where each
// coloured object is, the Panda's tool centre point (checked against MuJoCo's own kinematics), and
// an instruction embedding that depends on the words and their order only.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import loadMujoco from 'mujoco-js';

import type { Image } from '../src/messages/ros-messages.js';
import { DEFAULT_ENCODER_CONFIG } from '../src/policy/default-model/default-encoder-graph.js';
import { PANDA_ARM, PANDA_FINGERS, PANDA_TCP_IN_HAND } from '../src/policy/default-model/panda-kinematics.js';
import type { FeatureBlock } from '../src/policy/model-manifest.js';
import { loadModelPackage, type ModelPackage } from '../src/policy/model-package.js';
import { ObservationPreprocessor, type ObservationStep } from '../src/policy/observation-preprocessor.js';
import { OnnxEncoder } from '../src/policy/onnx/onnx-encoder.js';
import { projectPoint } from '../src/sim/ray-cast-camera.js';
import {
  colourImage,
  defaultModelDir,
  jointState,
  PANDA_HOME,
  tableScene,
  type Rgb,
} from './helpers/policy-fixtures.js';
import { rng } from './helpers/random.js';

const PANDA_XML = join(
  import.meta.dirname,
  '..',
  '..',
  'shared',
  'fixtures',
  'mujoco',
  'franka_emika_panda',
  'panda.xml',
);
const K = DEFAULT_ENCODER_CONFIG.hues;

describe('default encoder', () => {
  let pkg: ModelPackage;
  let pre: ObservationPreprocessor;
  let encoder: OnnxEncoder;
  let blocks: Map<string, FeatureBlock>;

  before(async () => {
    pkg = await loadModelPackage(await defaultModelDir());
    pre = new ObservationPreprocessor(pkg.manifest);
    encoder = await OnnxEncoder.create(pkg.encoderPath, { output: 'features' });
    blocks = new Map(pkg.manifest.encoder.blocks!.map((b) => [b.name, b]));
  });
  after(async () => {
    await encoder.dispose();
  });

  /** Features of each step, split into named blocks. */
  async function encode(steps: ObservationStep[]): Promise<Map<string, Float32Array>[]> {
    const F = pkg.manifest.head.inputDim;
    const all = await encoder.encode(pre.feeds(steps));
    return steps.map((_, i) => {
      const step = all.subarray(i * F, (i + 1) * F);
      return new Map([...blocks.values()].map((b) => [b.name, step.subarray(b.offset, b.offset + b.size)]));
    });
  }

  const step = (image: Image, instruction = 'pick up the cube', joints = jointState()): ObservationStep => ({
    observation: { image, joints },
    instruction,
  });

  /** Keypoint stats of hue k: [mass, x, y, spread x, spread y]. */
  const keypoint = (b: Map<string, Float32Array>, k: number) =>
    [0, 1, 2, 3, 4].map((s) => b.get('hue-keypoints')![s * K + k]!);

  it('lays out 560 features in seven blocks', () => {
    assert.deepEqual(
      [...blocks.values()].map((b) => [b.name, b.size]),
      [
        ['rgb-grid', 192],
        ['hue-grid', 192],
        ['hue-keypoints', 60],
        ['proprio', 32],
        ['instruction', 64],
        ['referents', 12],
        ['hand-eye', 8],
      ],
    );
  });

  it('rgb-grid: cell means mapped to [-1, 1]', async () => {
    const [b] = await encode([
      step(colourImage('rgb8', 96, 96, (x, y) => (x < 12 && y < 12 ? [255, 0, 51] : [51, 102, 153]))),
    ]);
    const grid = b!.get('rgb-grid')!;
    const at = (c: number, row: number, col: number) => grid[c * 64 + row * 8 + col]!;
    assert.ok(
      Math.abs(at(0, 0, 0) - 1) < 1e-5 &&
        Math.abs(at(1, 0, 0) + 1) < 1e-5 &&
        Math.abs(at(2, 0, 0) + 0.6) < 1e-5,
    );
    assert.ok(
      Math.abs(at(0, 3, 5) + 0.6) < 1e-5 &&
        Math.abs(at(1, 3, 5) + 0.2) < 1e-5 &&
        Math.abs(at(2, 3, 5) - 0.2) < 1e-5,
    );
  });

  it('hue-keypoints: a coloured square’s centroid, size and spread, wherever it is', async () => {
    const squares = [
      { x: 10, y: 20, size: 9 },
      { x: 70, y: 5, size: 9 },
      { x: 40, y: 60, size: 16 },
    ];
    const out = await encode(squares.map((s) => step(tableScene({ ...s, colour: [210, 40, 40] }))));
    squares.forEach((s, i) => {
      const [mass, x, y, sx, sy] = keypoint(out[i]!, 0);
      const pixels = s.size * s.size;
      // The centroid is shrunk by mass / (mass + 4 px) so that an absent hue reads 0.
      const shrink = pixels / (pixels + 4);
      assert.ok(Math.abs(x! - (((s.x + s.size / 2) / 96) * 2 - 1) * shrink) < 1e-3, `x ${x}`);
      assert.ok(Math.abs(y! - (((s.y + s.size / 2) / 96) * 2 - 1) * shrink) < 1e-3, `y ${y}`);
      assert.ok(Math.abs(mass! - 4 * Math.sqrt(pixels / 9216)) < 0.01, `mass ${mass}`);
      const spread = ((s.size / Math.sqrt(12)) * 2) / 96; // a uniform square of side s
      assert.ok(Math.abs(sx! - spread) < 2e-3 && Math.abs(sy! - spread) < 2e-3, `spread ${sx} ${sy}`);
      for (let k = 1; k < K; k++) assert.ok(keypoint(out[i]!, k)[0]! < 1e-3, `hue ${k} mass`);
    });
  });

  it('hue channels: each of twelve hues lands in its own channel, whatever its shading', async () => {
    // Saturated colours 30° apart around the opponent-colour circle, full and at 40% brightness.
    const hues: Rgb[] = [
      [255, 0, 0],
      [255, 128, 0],
      [255, 255, 0],
      [128, 255, 0],
      [0, 255, 0],
      [0, 255, 128],
      [0, 255, 255],
      [0, 128, 255],
      [0, 0, 255],
      [128, 0, 255],
      [255, 0, 255],
      [255, 0, 128],
    ];
    const shaded = (c: Rgb, f: number): Rgb => [c[0] * f, c[1] * f, c[2] * f].map(Math.round) as Rgb;
    const scenes = hues.flatMap((c) =>
      [1, 0.4].map((f) => step(tableScene({ x: 30, y: 30, size: 10, colour: shaded(c, f) }))),
    );
    const out = await encode(scenes);
    out.forEach((b, i) => {
      const masses = Array.from({ length: K }, (_, k) => keypoint(b, k)[0]!);
      const best = masses.indexOf(Math.max(...masses));
      const expected = Math.floor(i / 2);
      // The opponent-colour hue of [255, 128, 0] is 30° only approximately: allow a neighbour's share.
      assert.equal(
        best,
        expected,
        `colour ${hues[expected]!.join(',')} × ${i % 2 ? 0.4 : 1}: masses ${masses.map((m) => m.toFixed(2)).join(', ')}`,
      );
      assert.ok(masses[best]! > 0.25, `mass ${masses[best]}`);
    });
  });

  it('sees the simulator’s objects on its wooden table, lit or shaded, and not the table', async () => {
    // The embedded simulator's table (with its ±0.03 per-channel jitter) and object colours.
    const tables: Rgb[] = [
      [0.62, 0.5, 0.38],
      [0.65, 0.47, 0.35],
      [0.59, 0.53, 0.41],
    ].map((c) => c.map((v) => v * 255) as Rgb);
    const objects: [string, number[], number][] = [
      ['red', [0.85, 0.12, 0.1], 1],
      ['green', [0.15, 0.68, 0.2], 1],
      ['blue', [0.12, 0.25, 0.85], 1],
      ['yellow', [0.95, 0.82, 0.1], 1],
      ['orange', [0.98, 0.5, 0.08], 1],
      ['purple', [0.5, 0.15, 0.7], 1],
      ['cyan', [0.1, 0.75, 0.8], 1],
      ['pink', [0.95, 0.45, 0.65], 0], // saturation 0.43: partly seen when lit, not in shade
    ];
    const scenes: ObservationStep[] = [];
    const expected: { name: string; hue: number; minMass: number }[] = [];
    for (const [t, table] of tables.entries())
      for (const [name, rgb, minGate] of objects)
        for (const shade of [1.1, 0.7, 0.4]) {
          const lit = (c: number[]) => c.map((v) => Math.min(255, Math.round(v * shade))) as Rgb;
          const colour = lit(rgb.map((v) => v * 255));
          scenes.push(
            step(
              colourImage('rgb8', 96, 96, (x, y) =>
                x >= 40 && x < 50 && y >= 40 && y < 50 ? colour : lit(table),
              ),
            ),
          );
          const a = rgb[0]! - (rgb[1]! + rgb[2]!) / 2;
          const b = (Math.sqrt(3) / 2) * (rgb[1]! - rgb[2]!);
          const hue = Math.round(((Math.atan2(b, a) / (2 * Math.PI)) * K + K) % K) % K;
          expected.push({
            name: `${name} on table ${t} × ${shade}`,
            hue,
            minMass: 4 * Math.sqrt((100 * minGate) / 9216) * 0.6,
          });
        }
    const out = await encode(scenes);
    out.forEach((b, i) => {
      const e = expected[i]!;
      const masses = Array.from({ length: K }, (_, k) => keypoint(b, k)[0]!);
      // Everything seen is the object (its centre at pixel 45 → -0.0625): the table adds nothing.
      const total = masses.reduce((s, m) => s + m * m, 0);
      assert.ok(total <= (1.05 * (4 * 4 * 100)) / 9216, `${e.name}: total mass² ${total}`);
      assert.ok(
        masses[e.hue]! >= e.minMass,
        `${e.name}: hue ${e.hue} mass ${masses[e.hue]} (${masses.map((m) => m.toFixed(2)).join(', ')})`,
      );
      const [mass, x, y] = keypoint(b, e.hue);
      // The hue's own share of the object, m px, gives the centroid shrunk by m / (m + 4).
      const pixels = (mass! / 4) ** 2 * 9216;
      const centre = -0.0625 * (pixels / (pixels + 4));
      assert.ok(
        Math.abs(x! - centre) < 0.005 && Math.abs(y! - centre) < 0.005,
        `${e.name}: centroid ${x}, ${y} vs ${centre}`,
      );
    });
    const [bare] = await encode(tables.map((t) => step(colourImage('rgb8', 96, 96, () => t))));
    assert.ok(bare!.get('hue-grid')!.every((v) => v === 0));
  });

  it('hue-grid: the membership lands in the square’s cell', async () => {
    const [b] = await encode([step(tableScene({ x: 60, y: 30, size: 12, colour: [30, 30, 230] }))]);
    const grid = b!.get('hue-grid')!;
    const blue = 8; // 240°
    const cell = 1 * 4 + 2; // rows 24–48, columns 48–72
    assert.ok(
      Math.abs(grid[blue * 16 + cell]! - (144 / 576) * 4) < 0.02,
      `blue cell ${grid[blue * 16 + cell]}`,
    );
    const elsewhere = Array.from(grid).reduce((s, v, i) => s + (i === blue * 16 + cell ? 0 : v), 0);
    assert.ok(elsewhere < 0.01, `elsewhere ${elsewhere}`);
  });

  it('ignores uncoloured pixels: grey, white and black scenes have no hue mass', async () => {
    const plain = (v: number) => step(colourImage('rgb8', 96, 96, () => [v, v, v]));
    const out = await encode([
      plain(0),
      plain(110),
      plain(255),
      step(colourImage('rgb8', 96, 96, () => [120, 110, 105])),
    ]);
    for (const b of out) {
      assert.ok(b.get('hue-grid')!.every((v) => v === 0));
      assert.ok(b.get('hue-keypoints')!.every((v) => Math.abs(v) < 2e-3));
    }
  });

  it('proprio: scaled joints, sin/cos, and the tool centre point as MuJoCo computes it from panda.xml', async () => {
    const mj = await loadMujoco();
    // Kinematics only: the meshes (and the geoms using them) are not needed.
    const xml = readFileSync(PANDA_XML, 'utf8')
      .replace(/<mesh [^>]*\/>/g, '')
      .replace(/<geom [^>]*\/>/g, '');
    mj.FS.mkdir('/policy-test');
    mj.FS.writeFile('/policy-test/panda.xml', xml);
    const model = mj.MjModel.loadFromXML('/policy-test/panda.xml');
    const data = new mj.MjData(model);
    const hand = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'hand');
    const r = rng(21);
    const ranges = [...PANDA_ARM, ...PANDA_FINGERS].map((j) => j.range);
    const poses = [
      PANDA_HOME,
      ...Array.from({ length: 15 }, () => ranges.map(([lo, hi]) => lo + (hi - lo) * r())),
    ];
    const out = await encode(
      poses.map((q) =>
        step(tableScene({ x: 0, y: 0, size: 1, colour: [0, 0, 0] }), 'go', jointState(undefined, q)),
      ),
    );
    const { workspaceCentre: centre, workspaceScale: scale } = DEFAULT_ENCODER_CONFIG;
    poses.forEach((q, i) => {
      (data.qpos as Float64Array).set(q);
      mj.mj_kinematics(model, data);
      const xpos = (data.xpos as Float64Array).subarray(3 * hand, 3 * hand + 3);
      const xmat = (data.xmat as Float64Array).subarray(9 * hand, 9 * hand + 9);
      const tcp = [0, 1, 2].map((row) => xpos[row]! + xmat[3 * row + 2]! * PANDA_TCP_IN_HAND[2]);
      const p = out[i]!.get('proprio')!;
      ranges.forEach(([lo, hi], j) => {
        assert.ok(Math.abs(p[j]! - (2 * (q[j]! - lo)) / (hi - lo) + 1) < 1e-5);
      });
      for (let j = 0; j < 7; j++) {
        assert.ok(Math.abs(p[9 + j]! - Math.sin(q[j]!)) < 1e-5);
        assert.ok(Math.abs(p[16 + j]! - Math.cos(q[j]!)) < 1e-5);
      }
      for (let k = 0; k < 3; k++)
        assert.ok(Math.abs(p[23 + k]! * scale + centre[k]! - tcp[k]!) < 1e-5, `pose ${i} tcp ${k}`);
      // TCP x and z axes: columns 0 and 2 of the hand's rotation, row-major interleaved.
      for (let row = 0; row < 3; row++) {
        assert.ok(Math.abs(p[26 + 2 * row]! - xmat[3 * row]!) < 1e-5, `pose ${i} x axis`);
        assert.ok(Math.abs(p[27 + 2 * row]! - xmat[3 * row + 2]!) < 1e-5, `pose ${i} z axis`);
      }
    });
    data.delete();
    model.delete();
  });

  it('hand-eye: the TCP and the table point below it where the camera renders them, and the referents on the table', async () => {
    const scene = colourImage('rgb8', 96, 96, (x, y) =>
      x >= 40 && x < 52 && y >= 60 && y < 72 ? [220, 30, 30] : [128, 128, 128],
    );
    const r = rng(5);
    const ranges = [...PANDA_ARM, ...PANDA_FINGERS].map((j) => j.range);
    const poses = [
      PANDA_HOME,
      ...Array.from({ length: 5 }, () =>
        PANDA_HOME.map((q, j) => Math.min(ranges[j]![1], Math.max(ranges[j]![0], q + (r() - 0.5) * 0.6))),
      ),
    ];
    const out = await encode(poses.map((q) => step(scene, 'lift the red cube', jointState(undefined, q))));
    const { workspaceCentre: centre, workspaceScale: scale, tableHeight } = DEFAULT_ENCODER_CONFIG;
    // projectPoint is what the simulator's camera renders with: pixel (column, row) → [-1, 1]
    const image = (p: [number, number, number]) => {
      const px = projectPoint(p)!;
      return [((px.x + 0.5) / 96) * 2 - 1, ((px.y + 0.5) / 96) * 2 - 1];
    };
    out.forEach((b, i) => {
      const p = b.get('proprio')!;
      const tcp = [0, 1, 2].map((k) => p[23 + k]! * scale + centre[k]!) as [number, number, number];
      const h = Array.from(b.get('hand-eye')!);
      const below = image([tcp[0], tcp[1], tableHeight]);
      const expected = [...image(tcp), ...below];
      expected.forEach((v, k) => {
        assert.ok(Math.abs(h[k]! - v) < 1e-4, `pose ${i}: ${h.join(' ')}`);
      });
      // The red referent's table offset, added to the TCP, is the table point the camera shows there.
      const red = keypoint(b, 0);
      const onTable = image([tcp[0] + h[4]! / 10, tcp[1] + h[5]! / 10, tableHeight]);
      assert.ok(
        Math.abs(onTable[0]! - red[1]!) < 1e-4 && Math.abs(onTable[1]! - red[2]!) < 1e-4,
        `pose ${i}: the red centroid at ${red.slice(1, 3).join(', ')}, its table point at ${onTable.join(', ')}`,
      );
    });
  });

  it('referents: the first and second colour words pick their hue keypoints, in word order', async () => {
    const scene = colourImage('rgb8', 96, 96, (x, y) => {
      if (x >= 10 && x < 19 && y >= 20 && y < 29) return [220, 30, 30]; // red
      if (x >= 60 && x < 72 && y >= 50 && y < 62) return [30, 60, 220]; // blue
      return [128, 128, 128];
    });
    const out = await encode([
      step(scene, 'put the red cube on the blue plate'),
      step(scene, 'put the blue cube on the red plate'),
      step(scene, 'pick up the cube'),
    ]);
    const referents = (b: Map<string, Float32Array>) => Array.from(b.get('referents')!);
    const twice = (b: Map<string, Float32Array>, k: number) => keypoint(b, k).map((v) => 2 * v);
    const close = (a: number[], b: number[]) => {
      assert.ok(
        a.every((v, i) => Math.abs(v - b[i]!) < 1e-4),
        `${a.join(' ')} vs ${b.join(' ')}`,
      );
    };
    const [redFirst, blueFirst, none] = out.map(referents);
    // red is hue 0, blue hue 8 (240°): each word's membership is all on its own prototype
    close(redFirst!, [...twice(out[0]!, 0), 1, ...twice(out[0]!, 8), 1]);
    close(blueFirst!, [...twice(out[1]!, 8), 1, ...twice(out[1]!, 0), 1]);
    assert.ok(keypoint(out[0]!, 0)[0]! > 0.3 && keypoint(out[0]!, 8)[0]! > 0.3);
    assert.deepEqual(none, new Array<number>(12).fill(0));
  });

  it('instruction: words and their order count, the scene does not', async () => {
    const scene = tableScene({ x: 10, y: 10, size: 9, colour: [200, 30, 30] });
    const other = tableScene({ x: 50, y: 50, size: 9, colour: [30, 200, 30] });
    const out = await encode([
      step(scene, 'put red on blue'),
      step(other, 'Put red on blue!'),
      step(scene, 'put blue on red'),
      step(scene, 'pick up the green cube'),
    ]);
    const v = out.map((b) => b.get('instruction')!);
    assert.deepEqual(v[0], v[1]);
    const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - b[i]!));
    assert.ok(distance(v[0]!, v[2]!) > 1, `order: ${distance(v[0]!, v[2]!)}`);
    assert.ok(distance(v[0]!, v[3]!) > 1);
    // Σ/√count of unit-variance rows: about unit variance per dim.
    const variance = v[3]!.reduce((s, x) => s + x * x, 0) / v[3]!.length;
    assert.ok(variance > 0.4 && variance < 2.5, `variance ${variance}`);
  });
});
