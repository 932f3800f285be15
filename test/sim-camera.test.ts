import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PNG } from 'pngjs';

import type { Image } from '../src/messages/ros-messages.js';
import { encodePng } from '../src/sim/image-png.js';
import { CAMERA_RESOLUTION, projectPoint } from '../src/sim/ray-cast-camera.js';
import type { Vec3 } from '../src/sim/rotation.js';
import { restingHalfHeight, type Rgba } from '../src/sim/scene-spec.js';
import { SimEnvironment } from '../src/sim/sim-environment.js';
import type { SplitName } from '../src/sim/splits.js';

const OUT = join(tmpdir(), 'grape-sim-camera-test');

function pixel(image: Image, x: number, y: number): [number, number, number] {
  const i = Math.round(y) * image.step + 3 * Math.round(x);
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

/** Colour without brightness: shading scales all channels alike, so lit and shaded faces match. */
function chroma(rgb: readonly number[]): [number, number, number] {
  const sum = rgb[0]! + rgb[1]! + rgb[2]! || 1;
  return [rgb[0]! / sum, rgb[1]! / sum, rgb[2]! / sum];
}

function chromaDistance(a: readonly number[], b: readonly number[]): number {
  const [p, q] = [chroma(a), chroma(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/** Pixels whose chroma is within `tolerance` of `rgba` (and are not black shadow). */
function pixelsOfColour(image: Image, rgba: Rgba, tolerance = 0.06): number[] {
  const found: number[] = [];
  for (let p = 0; p < image.width * image.height; p++) {
    const rgb = [image.data[3 * p]!, image.data[3 * p + 1]!, image.data[3 * p + 2]!];
    if (rgb[0]! + rgb[1]! + rgb[2]! > 60 && chromaDistance(rgb, rgba) < tolerance) found.push(p);
  }
  return found;
}

function savePng(name: string, image: Image): string {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, name);
  writeFileSync(file, encodePng(image, 4));
  return file;
}

describe('ray-cast camera', () => {
  let env: SimEnvironment;
  before(async () => {
    env = await SimEnvironment.create();
  });
  after(() => {
    env.close();
  });

  const scenes: [string, number, SplitName][] = [
    ['place-on-plate', 0, 'in-domain'],
    ['put-in-bowl', 3, 'in-domain'],
    ['place-past-wall', 1, 'subject'],
    ['lift-from-clutter', 2, 'visual'],
  ];
  for (const [task, seed, split] of scenes) {
    it(`shows every object and fixture of ${task} seed ${seed} (${split}) in its own colour`, (t) => {
      env.reset(task, seed, split);
      const image = env.observe().image;
      t.diagnostic(`wrote ${savePng(`${task}-${seed}-${split}.png`, image)}`);
      const { scene } = env.taskEpisode.setup;
      const signals = env.signals();
      for (const object of scene.objects) {
        const p = signals.objects[object.name]!.position;
        const top: Vec3 = [p[0], p[1], p[2] + restingHalfHeight(object.geom)];
        const at = projectPoint(top)!;
        assert.ok(
          at.x > 2 && at.x < CAMERA_RESOLUTION - 3 && at.y > 2 && at.y < CAMERA_RESOLUTION - 3,
          object.name,
        );
        const below = projectPoint(p)!;
        const seen = pixel(image, (at.x + below.x) / 2, (at.y + below.y) / 2);
        assert.ok(
          chromaDistance(seen, object.geom.rgba) < 0.08,
          `${object.label} at (${at.x.toFixed(0)}, ${at.y.toFixed(0)}) looks ${seen.join(',')}`,
        );
        // A 4–6 cm object covers tens of pixels, with lit and shaded faces.
        const own = pixelsOfColour(image, object.geom.rgba);
        assert.ok(own.length >= 20, `${object.label}: ${own.length} pixels`);
        const brightness = own.map(
          (q) => image.data[3 * q]! + image.data[3 * q + 1]! + image.data[3 * q + 2]!,
        );
        assert.ok(Math.max(...brightness) > 1.15 * Math.min(...brightness), `${object.label} is flat-shaded`);
      }
      for (const fixture of scene.fixtures) {
        const { position } = signals.fixtures[fixture.name]!;
        const at = projectPoint([position[0], position[1], fixture.supportHeight])!;
        const rgba = fixture.geoms[0]!.rgba;
        assert.ok(chromaDistance(pixel(image, at.x, at.y), rgba) < 0.08, fixture.label);
        assert.ok(pixelsOfColour(image, rgba).length >= 20, fixture.label);
      }
      // The far corner shows the background, the near middle the table.
      assert.deepEqual(
        pixel(image, 0, 0),
        scene.background.map((c) => Math.round(255 * c)),
      );
      const near = pixel(image, CAMERA_RESOLUTION / 2, CAMERA_RESOLUTION - 1);
      const occupied = scene.objects.some((o) => {
        const q = projectPoint(signals.objects[o.name]!.position)!;
        return Math.abs(q.x - CAMERA_RESOLUTION / 2) < 8 && q.y > CAMERA_RESOLUTION - 10;
      });
      if (!occupied) assert.ok(chromaDistance(near, scene.tableRgba) < 0.05, `table looks ${near.join(',')}`);
    });
  }

  it('sees the gripper move: frames differ where the arm is, and the PNG decodes', () => {
    env.reset('lift', 0);
    const before = env.observe().image;
    for (let i = 0; i < 5; i++) env.step([0, 0, -0.04, 0, 0, 0, 0]);
    const afterMove = env.observe().image;
    let changed = 0;
    for (let i = 0; i < before.data.length; i++) if (before.data[i] !== afterMove.data[i]) changed++;
    assert.ok(changed > 300, `${changed} channel values changed`);
    const png = PNG.sync.read(encodePng(afterMove, 2));
    assert.equal(png.width, 2 * CAMERA_RESOLUTION);
    assert.equal(png.data[0], afterMove.data[0]);
  });

  it('renders the visual split with another table colour than in-domain', () => {
    env.reset('stack', 4, 'in-domain');
    const a = env.observe().image;
    const tableA = env.taskEpisode.setup.scene.tableRgba;
    env.reset('stack', 4, 'visual');
    const b = env.observe().image;
    const tableB = env.taskEpisode.setup.scene.tableRgba;
    assert.ok(pixelsOfColour(a, tableA, 0.03).length > 1500);
    assert.ok(pixelsOfColour(b, tableB, 0.03).length > 1500);
    assert.ok(pixelsOfColour(b, tableA, 0.03).length < 300);
  });
});
