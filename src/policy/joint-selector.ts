// sensor_msgs/JointState → joint positions in the manifest's order, matched by name (drivers list
// joints in any order, and often more of them than the model uses).
import type { JointState } from '../messages/ros-messages.js';
import { PolicyInputError } from './policy-input-error.js';

export class JointSelector {
  private lastNames: readonly string[] | undefined;
  private lastIndex = new Int32Array(0);

  constructor(readonly names: readonly string[]) {}

  /** Where each wanted joint sits in `msg.name`, cached while the publisher keeps its name list. */
  private indices(msg: JointState): Int32Array {
    if (
      this.lastNames &&
      this.lastNames.length === msg.name.length &&
      this.lastNames.every((n, i) => n === msg.name[i])
    )
      return this.lastIndex;
    const at = new Map<string, number>();
    msg.name.forEach((n, i) => {
      if (at.has(n)) throw new PolicyInputError('joints', `joint '${n}' is listed twice`);
      at.set(n, i);
    });
    const index = Int32Array.from(this.names, (n) => {
      const i = at.get(n);
      if (i === undefined)
        throw new PolicyInputError(
          'joints',
          `joint '${n}' is missing (the message has: ${msg.name.join(', ') || 'none'})`,
        );
      return i;
    });
    this.lastNames = [...msg.name];
    this.lastIndex = index;
    return index;
  }

  /** Positions of the manifest's joints, in its order, into `out` at `offset`. */
  positions(msg: JointState, out = new Float32Array(this.names.length), offset = 0): Float32Array {
    const n = msg.name.length;
    if (msg.position.length !== n)
      throw new PolicyInputError('joints', `${n} names but ${msg.position.length} positions`);
    // velocity and effort may be empty (not reported) but otherwise must match the names.
    for (const field of ['velocity', 'effort'] as const) {
      const len = msg[field].length;
      if (len !== 0 && len !== n)
        throw new PolicyInputError('joints', `${n} names but ${len} ${field} values`);
    }
    const index = this.indices(msg);
    for (let j = 0; j < index.length; j++) {
      const p = msg.position[index[j]!]!;
      if (!Number.isFinite(p))
        throw new PolicyInputError('joints', `joint '${this.names[j]}' position is ${p}`);
      out[offset + j] = p;
    }
    return out;
  }
}
