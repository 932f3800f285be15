// What a tabletop scene is made of, independent of MuJoCo: the structure that is compiled into a model
// (objects, fixtures, colours, sizes, masses, friction) and the lighting the camera shades with.
// Poses are not part of it: they are set on every reset, so episodes of one scene share one model.
import type { Quat, Vec3 } from './rotation.js';

export type Rgba = [number, number, number, number];

/** One MuJoCo primitive; `size` has MuJoCo's meaning (box: half extents; cylinder: radius, half height). */
export interface PrimitiveGeom {
  type: 'box' | 'cylinder' | 'sphere';
  size: Vec3;
  rgba: Rgba;
  pos?: Vec3;
  quat?: Quat;
  /** false: seen by the camera, never touched (target markers) */
  collides?: boolean;
}

/** A free body the robot can move. */
export interface SceneObject {
  /** unique id used in signals and body names, e.g. `red_cube` */
  name: string;
  /** words instructions use, e.g. `red cube` */
  label: string;
  geom: PrimitiveGeom;
  mass: number;
  /** sliding friction coefficient */
  friction: number;
}

export type FixtureKind = 'plate' | 'bowl' | 'pad' | 'obstacle';

/** A static body placed per episode (a mocap body): plates, bowls, target pads, obstacles. */
export interface SceneFixture {
  name: string;
  label: string;
  kind: FixtureKind;
  /** in the fixture's frame; the frame's origin sits on the table top */
  geoms: PrimitiveGeom[];
  /** height of the surface things are put on (plate top, bowl floor) above the table top */
  supportHeight: number;
  /** radius of that surface (bowl: inner radius); for obstacles, the half width of their footprint */
  radius: number;
  /** total height above the table top */
  height: number;
}

export interface Lighting {
  /** direction the light travels (towards the table), world frame */
  direction: Vec3;
  diffuse: number;
  ambient: number;
}

export interface SceneSpec {
  objects: SceneObject[];
  fixtures: SceneFixture[];
  tableRgba: Rgba;
  /** what the camera sees where its rays hit nothing */
  background: [number, number, number];
  lighting: Lighting;
}

/** Height of an object's centre above the surface it rests on (upright). */
export function restingHalfHeight(geom: PrimitiveGeom): number {
  return geom.type === 'box' ? geom.size[2] : geom.type === 'cylinder' ? geom.size[1] : geom.size[0];
}

/** Half of the object's widest horizontal extent (what must fit between the fingers, and clearances). */
export function footprintRadius(geom: PrimitiveGeom): number {
  return geom.type === 'box' ? Math.hypot(geom.size[0], geom.size[1]) : geom.size[0];
}
