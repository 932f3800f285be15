// A pinhole RGB camera made of MuJoCo ray casts (mj_multiRay: one ray per pixel from the camera centre),
// shaded with normals estimated from the hit points, a directional light and ray-cast shadows. No GPU or
// OpenGL context is needed, so it runs anywhere Node runs. It sees every geom with a non-zero alpha
// (mj_multiRay ignores geom groups): the robot's collision geometry, the table, objects and fixtures.
import type { MjData, MjModel } from 'mujoco-js';

import type { Image, Time } from '../messages/ros-messages.js';
import type { Mujoco } from './mujoco-runtime.js';
import { cross, dot, normalize, scale, sub, type Vec3 } from './rotation.js';
import type { Lighting } from './scene-spec.js';

/** Width and height of the policy camera's images (the default policy model consumes exactly this). */
export const CAMERA_RESOLUTION = 96;

export interface CameraPose {
  position: Vec3;
  /** the point the optical axis passes through */
  target: Vec3;
  /** vertical field of view, degrees */
  fovy: number;
}

/** Facing the robot across the table, looking down at the workspace (like LIBERO's agent view). */
export const POLICY_CAMERA_POSE: CameraPose = { position: [1.15, 0, 0.7], target: [0.45, 0, 0.12], fovy: 38 };

export const CAMERA_FRAME_ID = 'sim_camera';

export interface CameraOptions {
  width?: number;
  height?: number;
  pose?: CameraPose;
  lighting: Lighting;
  background: [number, number, number];
  /**
   * Geoms that cast no shadow. Shadow rays through the arm's meshes cost more than the rest of a frame,
   * and its shadow is a large dark blob over the workspace; the hand's and objects' shadows are kept.
   */
  shadowless?: readonly number[];
}

const RAY_CUTOFF = 10;
/** Shadows are cast from a point this far up-light of the workspace (close to a directional light). */
const SHADOW_LIGHT_DISTANCE = 4;
const SHADOW_BIAS = 0.002;
/** Share of the direct light that still reaches shadowed points (standing in for light bounced around the room). */
const SHADOW_LIGHT = 0.3;

export class RayCastCamera {
  readonly width: number;
  readonly height: number;
  private readonly origin: Vec3;
  private readonly directions: Float64Array;
  private readonly geomRgb: Float64Array;
  private readonly geomIds: InstanceType<Mujoco['IntBuffer']>;
  private readonly distances: InstanceType<Mujoco['DoubleBuffer']>;
  private readonly shadowIds: InstanceType<Mujoco['IntBuffer']>;
  private readonly shadowDistances: InstanceType<Mujoco['DoubleBuffer']>;
  private readonly lightDir: Vec3;
  private readonly lightOrigin: Vec3;
  private readonly geomGroups = new Uint8Array([1, 1, 1, 1, 1, 1]);

  constructor(
    private readonly mj: Mujoco,
    private readonly model: MjModel,
    private readonly options: CameraOptions,
  ) {
    this.width = options.width ?? CAMERA_RESOLUTION;
    this.height = options.height ?? CAMERA_RESOLUTION;
    const pose = options.pose ?? POLICY_CAMERA_POSE;
    this.origin = pose.position;
    this.directions = pixelRays(pose, this.width, this.height);
    this.geomRgb = Float64Array.from({ length: model.ngeom * 3 }, (_, i) => {
      return (model.geom_rgba as Float32Array)[Math.floor(i / 3) * 4 + (i % 3)]!;
    });
    const n = this.width * this.height;
    this.geomIds = new mj.IntBuffer(n);
    this.distances = new mj.DoubleBuffer(n);
    this.shadowIds = new mj.IntBuffer(n);
    this.shadowDistances = new mj.DoubleBuffer(n);
    this.lightDir = normalize(options.lighting.direction);
    this.lightOrigin = sub(pose.target, scale(this.lightDir, SHADOW_LIGHT_DISTANCE));
  }

  render(data: MjData, stamp: Time): Image {
    const { width, height } = this;
    const n = width * height;
    this.castRays(data, this.origin, this.directions, this.geomIds, this.distances);
    const ids = Int32Array.from(this.geomIds.GetView() as Int32Array);
    const dist = this.distances.GetView() as Float64Array;
    const points = new Float64Array(3 * n);
    for (let i = 0; i < 3 * n; i++)
      points[i] = this.origin[i % 3]! + dist[Math.floor(i / 3)]! * this.directions[i]!;
    const lit = this.shadowTest(data, ids, points);
    const out = new Uint8Array(3 * n);
    const { ambient, diffuse } = this.options.lighting;
    const [lx, ly, lz] = this.lightDir;
    for (let p = 0; p < n; p++) {
      const g = ids[p]!;
      if (g < 0) {
        for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round(255 * this.options.background[k]!);
        continue;
      }
      const normal = this.normalAt(p, ids, points);
      const lambert =
        Math.max(0, -(normal[0] * lx + normal[1] * ly + normal[2] * lz)) * (lit[p] ? 1 : SHADOW_LIGHT);
      const shade = ambient + diffuse * lambert;
      for (let k = 0; k < 3; k++) {
        out[3 * p + k] = Math.round(255 * Math.min(1, this.geomRgb[3 * g + k]! * shade));
      }
    }
    return {
      header: { stamp, frame_id: CAMERA_FRAME_ID },
      height,
      width,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: 3 * width,
      data: out,
    };
  }

  private castRays(
    data: MjData,
    origin: Vec3,
    directions: Float64Array,
    ids: InstanceType<Mujoco['IntBuffer']>,
    dist: InstanceType<Mujoco['DoubleBuffer']>,
  ): void {
    // The binding types `vec` as number[] but takes any typed array of doubles.
    const vec = directions as unknown as number[];
    const n = this.width * this.height;
    this.mj.mj_multiRay(this.model, data, origin, vec, this.geomGroups, 1, -1, ids, dist, n, RAY_CUTOFF);
  }

  /**
   * Surface normal from the hit points of neighbouring pixels on the same geom (forward difference,
   * else backward), turned to face the camera; the reversed ray where a pixel has no such neighbours.
   */
  private normalAt(p: number, ids: Int32Array, points: Float64Array): Vec3 {
    const { width, height, directions: ray } = this;
    const x = p % width;
    const y = (p - x) / width;
    const g = ids[p]!;
    const du = x + 1 < width && ids[p + 1] === g ? p + 1 : x > 0 && ids[p - 1] === g ? p - 1 : -1;
    const dv =
      y + 1 < height && ids[p + width] === g ? p + width : y > 0 && ids[p - width] === g ? p - width : -1;
    if (du < 0 || dv < 0) return [-ray[3 * p]!, -ray[3 * p + 1]!, -ray[3 * p + 2]!];
    const su = du > p ? 1 : -1;
    const sv = dv > p ? 1 : -1;
    const ax = su * (points[3 * du]! - points[3 * p]!);
    const ay = su * (points[3 * du + 1]! - points[3 * p + 1]!);
    const az = su * (points[3 * du + 2]! - points[3 * p + 2]!);
    const bx = sv * (points[3 * dv]! - points[3 * p]!);
    const by = sv * (points[3 * dv + 1]! - points[3 * p + 1]!);
    const bz = sv * (points[3 * dv + 2]! - points[3 * p + 2]!);
    let nx = ay * bz - az * by;
    let ny = az * bx - ax * bz;
    let nz = ax * by - ay * bx;
    const len = Math.hypot(nx, ny, nz);
    if (len === 0) return [-ray[3 * p]!, -ray[3 * p + 1]!, -ray[3 * p + 2]!];
    const facing = nx * ray[3 * p]! + ny * ray[3 * p + 1]! + nz * ray[3 * p + 2]! > 0 ? -1 : 1;
    nx *= facing / len;
    ny *= facing / len;
    nz *= facing / len;
    return [nx, ny, nz];
  }

  /** Whether each pixel's hit point sees the light: one batch of rays from a point far up-light. */
  private shadowTest(data: MjData, ids: Int32Array, points: Float64Array): Uint8Array {
    const n = ids.length;
    const [ox, oy, oz] = this.lightOrigin;
    const vec = new Float64Array(3 * n);
    const reach = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      const dx = points[3 * p]! - ox;
      const dy = points[3 * p + 1]! - oy;
      const dz = points[3 * p + 2]! - oz;
      const len = Math.hypot(dx, dy, dz);
      reach[p] = len;
      // Pixels that hit nothing still need a valid direction; their result is ignored.
      if (ids[p]! >= 0 && len > 0) vec.set([dx / len, dy / len, dz / len], 3 * p);
      else vec.set(this.lightDir, 3 * p);
    }
    // Rays skip geoms with zero alpha: hide the shadowless ones for this pass only.
    const rgba = this.model.geom_rgba as Float32Array;
    const hidden = (this.options.shadowless ?? []).map((g) => [g, rgba[4 * g + 3]!] as const);
    for (const [g] of hidden) rgba[4 * g + 3] = 0;
    try {
      this.castRays(data, this.lightOrigin, vec, this.shadowIds, this.shadowDistances);
    } finally {
      for (const [g, alpha] of hidden) rgba[4 * g + 3] = alpha;
    }
    const hit = this.shadowDistances.GetView() as Float64Array;
    const lit = new Uint8Array(n);
    for (let p = 0; p < n; p++) lit[p] = hit[p]! < 0 || hit[p]! >= reach[p]! - SHADOW_BIAS ? 1 : 0;
    return lit;
  }

  delete(): void {
    this.geomIds.delete();
    this.distances.delete();
    this.shadowIds.delete();
    this.shadowDistances.delete();
  }
}

interface CameraBasis {
  forward: Vec3;
  right: Vec3;
  up: Vec3;
  tanX: number;
  tanY: number;
}

function cameraBasis(pose: CameraPose, width: number, height: number): CameraBasis {
  const forward = normalize(sub(pose.target, pose.position));
  const right = normalize(cross(forward, [0, 0, 1]));
  const up = cross(right, forward);
  const tanY = Math.tan((pose.fovy * Math.PI) / 360);
  return { forward, right, up, tanX: (tanY * width) / height, tanY };
}

/** World-frame unit ray directions, row by row from the top-left pixel. */
function pixelRays(pose: CameraPose, width: number, height: number): Float64Array {
  const { forward, right, up, tanX, tanY } = cameraBasis(pose, width, height);
  const out = new Float64Array(3 * width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = ((2 * (x + 0.5)) / width - 1) * tanX;
      const sy = (1 - (2 * (y + 0.5)) / height) * tanY;
      const d = normalize([
        forward[0] + sx * right[0] + sy * up[0],
        forward[1] + sx * right[1] + sy * up[1],
        forward[2] + sx * right[2] + sy * up[2],
      ]);
      out.set(d, 3 * (y * width + x));
    }
  }
  return out;
}

/** The pixel (column, row; may be fractional) a world point appears at, or undefined if it is behind the camera. */
export function projectPoint(
  point: Vec3,
  pose: CameraPose = POLICY_CAMERA_POSE,
  width = CAMERA_RESOLUTION,
  height = CAMERA_RESOLUTION,
): { x: number; y: number } | undefined {
  const { forward, right, up, tanX, tanY } = cameraBasis(pose, width, height);
  const rel = sub(point, pose.position);
  const depth = dot(rel, forward);
  if (depth <= 0) return undefined;
  const sx = dot(rel, right) / depth / tanX;
  const sy = dot(rel, up) / depth / tanY;
  return { x: ((sx + 1) * width) / 2 - 0.5, y: ((1 - sy) * height) / 2 - 0.5 };
}
