// The node core's action commands as the messages of each output type, and what "hold" is in each:
//   geometry_msgs/msg/TwistStamped (MoveIt Servo): the per-step end-effector deltas as velocities
//     (delta × rate, m/s and rad/s) in the action frame, with the gripper as a separate
//     std_msgs/msg/Float64 command; hold = the zero twist, and no gripper command (it stays as it was);
//   std_msgs/msg/Float64MultiArray: the raw action vector; hold = zero deltas, gripper as last commanded;
//   grape/msg/Action: the raw vector with its dim names, hold flag and policy id.
import type { TwistStamped, Time } from '../messages/ros-messages.js';
import { EE_DELTA_NAMES } from '../node/action-limits.js';
import type { ActionCommand } from '../node/node-interfaces.js';
import type { ActionType } from './parameter-spec.js';

/** std_msgs/msg/Float64 */
export interface Float64Message {
  data: number;
}

/** std_msgs/msg/Float64MultiArray */
export interface Float64MultiArrayMessage {
  layout: { dim: { label: string; size: number; stride: number }[]; data_offset: number };
  data: Float64Array;
}

/** grape/msg/Action */
export interface ActionMessage {
  header: { stamp: Time; frame_id: string };
  names: string[];
  values: Float64Array;
  hold: boolean;
  policy_id: string;
}

export interface ActionLayout {
  /** The model's action dim names, in order. */
  names: readonly string[];
  rateHz: number;
  /** frame_id of the published actions. */
  frame: string;
}

const GRIPPER = EE_DELTA_NAMES.indexOf('gripper');

/** The model's action is the 7-dim end-effector delta space (dx dy dz droll dpitch dyaw gripper). */
export function isEeDeltaAction(names: readonly string[]): boolean {
  return names.length === EE_DELTA_NAMES.length && names.every((n, i) => n === EE_DELTA_NAMES[i]);
}

/** Why the model's action cannot be published as `type`; undefined when it can. */
export function actionTypeProblem(type: ActionType, names: readonly string[]): string | undefined {
  if (type !== 'geometry_msgs/msg/TwistStamped' || isEeDeltaAction(names)) return undefined;
  return (
    `action_type ${type} needs the end-effector delta action (${EE_DELTA_NAMES.join(' ')}); this model's ` +
    `action is ${names.join(' ')}: publish it as std_msgs/msg/Float64MultiArray or grape/msg/Action`
  );
}

/** Twist velocities for one control period; the zero twist for a hold. */
export function twistOf(command: ActionCommand, layout: ActionLayout): TwistStamped {
  const a = command.action;
  const v = (d: number) => (command.hold ? 0 : a[d]! * layout.rateHz);
  return {
    header: { stamp: command.stamp, frame_id: layout.frame },
    twist: { linear: { x: v(0), y: v(1), z: v(2) }, angular: { x: v(3), y: v(4), z: v(5) } },
  };
}

/** The gripper command beside a twist; none for a hold (the gripper stays as it was). */
export function gripperOf(command: ActionCommand): Float64Message | undefined {
  return command.hold ? undefined : { data: command.action[GRIPPER]! };
}

export function multiArrayOf(command: ActionCommand): Float64MultiArrayMessage {
  const size = command.action.length;
  return {
    layout: { dim: [{ label: 'action', size, stride: size }], data_offset: 0 },
    data: Float64Array.from(command.action),
  };
}

export function actionMessageOf(
  command: ActionCommand,
  layout: ActionLayout,
  policyId: string,
): ActionMessage {
  return {
    header: { stamp: command.stamp, frame_id: layout.frame },
    names: [...layout.names],
    values: Float64Array.from(command.action),
    hold: command.hold,
    policy_id: policyId,
  };
}

/** The hold action outside a control step (episode end, shutdown): no motion, gripper as last commanded. */
export function holdCommand(stamp: Time, dims: number, gripper: number | undefined): ActionCommand {
  const action = new Float64Array(dims);
  if (gripper !== undefined) action[GRIPPER] = gripper;
  return { stamp, action, hold: true };
}
