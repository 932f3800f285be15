// The steps a task's scripted solution is made of. Tasks say what to do (with the geometry they know);
// the ScriptedExpert turns each skill into end-effector actions from privileged state.
import type { Vec3 } from './rotation.js';

export type ExpertSkill =
  /** grasp `object` from above and lift it to `carryHeight` (TCP height above the table) */
  | { kind: 'pick'; object: string; carryHeight: number }
  /** hold the grasp and raise the TCP to `height` */
  | { kind: 'lift'; height: number }
  /**
   * carry the grasped object at `carryHeight`, lower it until its centre is at `offset` from the current
   * position of `onto` (a fixture's base or an object's centre), open, retreat upwards
   */
  | { kind: 'place'; onto: string; offset: Vec3; carryHeight: number }
  /** with the gripper closed, push `object` along `direction` (unit, horizontal) until its centre is `distance` further */
  | { kind: 'push'; object: string; direction: Vec3; distance: number };
