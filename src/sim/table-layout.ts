// Seeded, non-overlapping placement of things on the table: rejection sampling of circular footprints
// inside a region, each kept `gap` clear of everything placed before it.
import { quatFromAxisAngle } from './rotation.js';
import { footprintRadius, restingHalfHeight, type SceneObject } from './scene-spec.js';
import type { SeededRandom } from './seeded-random.js';
import type { BodyPose } from './step-signals.js';

export interface Region {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Where objects start: in front of the robot, inside the camera's view and the arm's easy reach. */
export const WORKSPACE: Region = { xMin: 0.36, xMax: 0.64, yMin: -0.2, yMax: 0.2 };

const MAX_TRIES = 2000;

/** The workspace's strip between two y values (in either order). */
export function yBand(a: number, b: number): Region {
  return { ...WORKSPACE, yMin: Math.min(a, b), yMax: Math.max(a, b) };
}

export class TableLayout {
  private readonly placed: { x: number; y: number; r: number }[] = [];

  constructor(private readonly rng: SeededRandom) {}

  /** A free spot for a footprint of radius `r`, at least `gap` from the others. */
  place(r: number, region: Region = WORKSPACE, gap = 0.03): [number, number] {
    for (let i = 0; i < MAX_TRIES; i++) {
      const x = this.rng.uniform(region.xMin + r, region.xMax - r);
      const y = this.rng.uniform(region.yMin + r, region.yMax - r);
      if (this.isFree(x, y, r, gap)) {
        this.reserve(x, y, r);
        return [x, y];
      }
    }
    throw new Error(
      `no free spot of radius ${r} m in x ${region.xMin}..${region.xMax}, y ${region.yMin}..${region.yMax}`,
    );
  }

  /** Free spots for objects standing upright, each turned by a random yaw within ±45°. */
  placeObjects(
    objects: readonly SceneObject[],
    region: Region = WORKSPACE,
    gap = 0.03,
  ): Record<string, BodyPose> {
    return Object.fromEntries(
      objects.map((o) => {
        const [x, y] = this.place(footprintRadius(o.geom), region, gap);
        return [o.name, restingPose(o, x, y, this.rng.uniform(-Math.PI / 4, Math.PI / 4))];
      }),
    );
  }

  /** Marks a footprint as taken (something placed by hand). */
  reserve(x: number, y: number, r: number): void {
    this.placed.push({ x, y, r });
  }

  isFree(x: number, y: number, r: number, gap: number): boolean {
    return this.placed.every((p) => Math.hypot(p.x - x, p.y - y) >= p.r + r + gap);
  }
}

/** An object standing upright on the table at (x, y), turned `yaw` about the vertical. */
export function restingPose(object: SceneObject, x: number, y: number, yaw: number): BodyPose {
  return { position: [x, y, restingHalfHeight(object.geom)], orientation: quatFromAxisAngle([0, 0, 1], yaw) };
}

/** A fixture's base on the table at (x, y), turned `yaw` about the vertical. */
export function fixturePose(x: number, y: number, yaw = 0): BodyPose {
  return { position: [x, y, 0], orientation: quatFromAxisAngle([0, 0, 1], yaw) };
}
