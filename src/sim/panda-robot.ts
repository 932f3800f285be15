// Names and fixed numbers of the vendored Panda (src/sim/assets/franka_emika_panda/panda.xml).

export const ARM_JOINTS = ['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7'] as const;
export const FINGER_JOINTS = ['finger_joint1', 'finger_joint2'] as const;
/** sensor_msgs/JointState names, in this order */
export const JOINT_NAMES: readonly string[] = [...ARM_JOINTS, ...FINGER_JOINTS];

export const ROBOT_BODIES: readonly string[] = [
  'link0',
  'link1',
  'link2',
  'link3',
  'link4',
  'link5',
  'link6',
  'link7',
  'hand',
  'left_finger',
  'right_finger',
];
export const FINGER_BODIES: readonly string[] = ['left_finger', 'right_finger'];
/** The arm's links, base to wrist (not the hand and fingers). */
export const ARM_LINK_BODIES: readonly string[] = ROBOT_BODIES.filter((b) => b.startsWith('link'));

/** The point between the fingertips that end-effector poses and actions refer to. */
export const TCP_SITE = 'tcp';
/** The arm's position actuators, joint1 to joint7. */
export const ARM_ACTUATORS: readonly string[] = ARM_JOINTS.map((_, i) => `actuator${i + 1}`);
/** The gripper actuator (tendon over both fingers): 0 = closed, 255 = open (0.04 m per finger). */
export const GRIPPER_ACTUATOR = 'actuator8';
export const GRIPPER_OPEN_CTRL = 255;
export const GRIPPER_CLOSED_CTRL = 0;
/** Finger travel: the opening between the pads is twice a finger joint's position. */
export const FINGER_MAX = 0.04;
/** Both fingers touching an object only hold it if it keeps them at least this far apart. */
export const MIN_GRASP_WIDTH = 0.01;

/** Joint angles with the TCP 0.3 m above the table at (0.45, 0, 0.3), pointing down (the start pose). */
export const READY_ARM_QPOS: readonly number[] = [0, -0.25545, 0, -2.42374, 0, 2.16752, -0.7853];
