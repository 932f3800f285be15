// The Franka Emika Panda's kinematic chain as the embedded simulator models it
// (mujoco_menagerie franka_emika_panda/panda.xml): each link's pose in its parent (MuJoCo
// pos and w-x-y-z quat) with its hinge about the link's z axis, and the joint ranges.

export interface PandaLink {
  joint: string;
  pos: [number, number, number];
  quat: [number, number, number, number];
  range: [number, number];
}

export const PANDA_ARM: readonly PandaLink[] = [
  { joint: 'joint1', pos: [0, 0, 0.333], quat: [1, 0, 0, 0], range: [-2.8973, 2.8973] },
  { joint: 'joint2', pos: [0, 0, 0], quat: [1, -1, 0, 0], range: [-1.7628, 1.7628] },
  { joint: 'joint3', pos: [0, -0.316, 0], quat: [1, 1, 0, 0], range: [-2.8973, 2.8973] },
  { joint: 'joint4', pos: [0.0825, 0, 0], quat: [1, 1, 0, 0], range: [-3.0718, -0.0698] },
  { joint: 'joint5', pos: [-0.0825, 0.384, 0], quat: [1, -1, 0, 0], range: [-2.8973, 2.8973] },
  { joint: 'joint6', pos: [0, 0, 0], quat: [1, 1, 0, 0], range: [-0.0175, 3.7525] },
  { joint: 'joint7', pos: [0.088, 0, 0], quat: [1, 1, 0, 0], range: [-2.8973, 2.8973] },
];

export const PANDA_FINGERS: readonly { joint: string; range: [number, number] }[] = [
  { joint: 'finger_joint1', range: [0, 0.04] },
  { joint: 'finger_joint2', range: [0, 0.04] },
];

/** The hand body in link7's frame. */
export const PANDA_HAND = { pos: [0, 0, 0.107], quat: [0.9238795, 0, 0, -0.3826834] } as const;

/** The tool centre point (between the fingertips) in the hand's frame: Franka's 0.1034 m flange-to-TCP. */
export const PANDA_TCP_IN_HAND = [0, 0, 0.1034] as const;

/** Joint names in the order the default model reads them. */
export const PANDA_JOINT_NAMES = [...PANDA_ARM.map((l) => l.joint), ...PANDA_FINGERS.map((f) => f.joint)];

/** Row-major 3×3 rotation of a (not necessarily unit) w-x-y-z quaternion. */
export function quatToMatrix(q: readonly [number, number, number, number]): number[] {
  const n = Math.hypot(...q);
  const [w, x, y, z] = q.map((v) => v / n) as [number, number, number, number];
  // prettier-ignore
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}
