// The things tasks are built from: colours and shapes (those seen in training and those held out for the
// subject split) and fixtures (plates, bowls, target pads, walls), each as primitive geoms.
import { quatFromAxisAngle, quatMultiply } from './rotation.js';
import type { PrimitiveGeom, Rgba, SceneFixture, SceneObject } from './scene-spec.js';

export interface Colour {
  name: string;
  rgba: Rgba;
}

export const IN_DOMAIN_COLOURS: readonly Colour[] = [
  { name: 'red', rgba: [0.85, 0.12, 0.1, 1] },
  { name: 'green', rgba: [0.15, 0.68, 0.2, 1] },
  { name: 'blue', rgba: [0.12, 0.25, 0.85, 1] },
  { name: 'yellow', rgba: [0.95, 0.82, 0.1, 1] },
];

/** Held out of training: the subject split's colours. */
export const UNSEEN_COLOURS: readonly Colour[] = [
  { name: 'orange', rgba: [0.98, 0.5, 0.08, 1] },
  { name: 'purple', rgba: [0.5, 0.15, 0.7, 1] },
  { name: 'cyan', rgba: [0.1, 0.75, 0.8, 1] },
  { name: 'pink', rgba: [0.95, 0.45, 0.65, 1] },
];

export type ObjectShape = 'cube' | 'cylinder' | 'block' | 'puck';

export const IN_DOMAIN_SHAPES: readonly ObjectShape[] = ['cube', 'cylinder'];
/** Held out of training: the subject split's shapes. */
export const UNSEEN_SHAPES: readonly ObjectShape[] = ['block', 'puck'];

/** Nominal geometry (half extents / radius and half height), all graspable across the 8 cm gripper. */
function shapeGeom(shape: ObjectShape, sizeScale: number, rgba: Rgba): PrimitiveGeom {
  const s = sizeScale;
  switch (shape) {
    case 'cube':
      return { type: 'box', size: [0.0225 * s, 0.0225 * s, 0.0225 * s], rgba };
    case 'block':
      return { type: 'box', size: [0.018 * s, 0.034 * s, 0.025 * s], rgba };
    case 'cylinder':
      return { type: 'cylinder', size: [0.021 * s, 0.03 * s, 0], rgba };
    case 'puck':
      return { type: 'cylinder', size: [0.029 * s, 0.016 * s, 0], rgba };
  }
}

export interface ObjectProperties {
  sizeScale: number;
  mass: number;
  friction: number;
}

export function makeObject(colour: Colour, shape: ObjectShape, props: ObjectProperties): SceneObject {
  return {
    name: `${colour.name}_${shape}`,
    label: `${colour.name} ${shape}`,
    geom: shapeGeom(shape, props.sizeScale, colour.rgba),
    mass: props.mass,
    friction: props.friction,
  };
}

export type FixtureType = 'plate' | 'bowl' | 'pad' | 'wall';

export function makeFixture(type: FixtureType, colour: Colour): SceneFixture {
  const name = `${colour.name}_${type}`;
  const label = `${colour.name} ${type}`;
  const rgba = colour.rgba;
  switch (type) {
    case 'plate':
      return {
        name,
        label,
        kind: 'plate',
        geoms: [{ type: 'cylinder', size: [0.065, 0.006, 0], pos: [0, 0, 0.006], rgba }],
        supportHeight: 0.012,
        radius: 0.065,
        height: 0.012,
      };
    case 'pad':
      // Flat and untouchable: a coloured square to put things on.
      return {
        name,
        label,
        kind: 'pad',
        geoms: [{ type: 'box', size: [0.05, 0.05, 0.001], pos: [0, 0, 0.001], rgba, collides: false }],
        supportHeight: 0,
        radius: 0.05,
        height: 0.002,
      };
    case 'bowl':
      return {
        name,
        label,
        kind: 'bowl',
        geoms: bowlGeoms(rgba),
        supportHeight: 0.008,
        radius: 0.058,
        height: 0.05,
      };
    case 'wall':
      return {
        name,
        label,
        kind: 'obstacle',
        geoms: [{ type: 'box', size: [0.015, 0.09, 0.07], pos: [0, 0, 0.07], rgba }],
        supportHeight: 0.14,
        radius: 0.015,
        height: 0.14,
      };
  }
}

/** A floor disc and a ring of slightly outward-leaning staves. */
function bowlGeoms(rgba: Rgba): PrimitiveGeom[] {
  const staves = 16;
  const inner = 0.06;
  const lean = 0.25;
  const geoms: PrimitiveGeom[] = [
    { type: 'cylinder', size: [inner + 0.004, 0.004, 0], pos: [0, 0, 0.004], rgba },
  ];
  for (let i = 0; i < staves; i++) {
    const a = (2 * Math.PI * i) / staves;
    const r = inner + 0.004 + 0.021 * Math.sin(lean);
    // Yaw the stave to face the centre, then tilt it outwards about its tangent.
    const yaw = quatFromAxisAngle([0, 0, 1], a);
    const tilt = quatFromAxisAngle([0, 1, 0], lean);
    geoms.push({
      type: 'box',
      size: [0.004, inner * Math.tan(Math.PI / staves) + 0.004, 0.022],
      pos: [r * Math.cos(a), r * Math.sin(a), 0.026],
      quat: quatMultiply(yaw, tilt),
      rgba,
    });
  }
  return geoms;
}
