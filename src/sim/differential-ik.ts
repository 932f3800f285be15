// Differential inverse kinematics for the Panda's TCP: damped least squares on the site Jacobian
// (mj_jacSite), iterated a few times on a scratch MjData so the live simulation is never touched, with a
// null-space pull towards the ready posture so the redundant seventh joint does not drift.
import type { MjData, MjModel } from 'mujoco-js';

import type { Mujoco } from './mujoco-runtime.js';
import { ARM_JOINTS, READY_ARM_QPOS, TCP_SITE } from './panda-robot.js';
import {
  quatConjugate,
  quatFromMatrix,
  quatMultiply,
  quatToRotationVector,
  type Quat,
  type Vec3,
} from './rotation.js';

const DAMPING = 0.05;
const ITERATIONS = 3;
const NULL_SPACE_GAIN = 0.2;
const N = ARM_JOINTS.length;

export class DifferentialIk {
  private readonly scratch: MjData;
  private readonly jacp: InstanceType<Mujoco['DoubleBuffer']>;
  private readonly jacr: InstanceType<Mujoco['DoubleBuffer']>;
  private readonly site: number;
  private readonly qposAdr: number[];
  private readonly dofAdr: number[];
  private readonly lower: number[];
  private readonly upper: number[];

  constructor(
    private readonly mj: Mujoco,
    private readonly model: MjModel,
  ) {
    this.scratch = new mj.MjData(model);
    this.jacp = new mj.DoubleBuffer(3 * model.nv);
    this.jacr = new mj.DoubleBuffer(3 * model.nv);
    this.site = mj.mj_name2id(model, mj.mjtObj.mjOBJ_SITE.value, TCP_SITE);
    const joints = ARM_JOINTS.map((name) => mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, name));
    const qposAdr = model.jnt_qposadr as Int32Array;
    const dofAdr = model.jnt_dofadr as Int32Array;
    const range = model.jnt_range as Float64Array;
    this.qposAdr = joints.map((j) => qposAdr[j]!);
    this.dofAdr = joints.map((j) => dofAdr[j]!);
    this.lower = joints.map((j) => range[2 * j]!);
    this.upper = joints.map((j) => range[2 * j + 1]!);
  }

  /** Arm joint angles that put the TCP at (position, orientation), starting from `data`'s configuration. */
  solve(data: MjData, position: Vec3, orientation: Quat): Float64Array {
    const { mj, model, scratch } = this;
    const q = Float64Array.from(this.qposAdr, (a) => (data.qpos as Float64Array)[a]!);
    (scratch.qpos as Float64Array).set(data.qpos as Float64Array);
    for (let iter = 0; iter < ITERATIONS; iter++) {
      const qpos = scratch.qpos as Float64Array;
      this.qposAdr.forEach((a, i) => (qpos[a] = q[i]!));
      mj.mj_kinematics(model, scratch);
      mj.mj_comPos(model, scratch);
      mj.mj_jacSite(model, scratch, this.jacp, this.jacr, this.site);
      const sitePos = (scratch.site_xpos as Float64Array).subarray(3 * this.site, 3 * this.site + 3);
      const siteQuat = quatFromMatrix(
        (scratch.site_xmat as Float64Array).subarray(9 * this.site, 9 * this.site + 9),
      );
      const rot = quatToRotationVector(quatMultiply(orientation, quatConjugate(siteQuat)));
      const err = [position[0] - sitePos[0]!, position[1] - sitePos[1]!, position[2] - sitePos[2]!, ...rot];
      const jac = this.armJacobian();
      const dq = dampedLeastSquares(jac, err);
      // Null space: the part of the posture pull that does not move the TCP. Damped, that part still
      // moves it a little, so the last iteration leaves the pull out: a millimetre of residue per solve
      // made an arm told to hold still creep (deltas apply to the measured pose, so residues add up).
      const last = iter === ITERATIONS - 1;
      const pull = last ? undefined : Array.from(q, (v, i) => NULL_SPACE_GAIN * (READY_ARM_QPOS[i]! - v));
      const moved = pull && dampedLeastSquares(jac, multiply(jac, pull));
      for (let i = 0; i < N; i++) {
        const step = pull && moved ? q[i]! + dq[i]! + pull[i]! - moved[i]! : q[i]! + dq[i]!;
        q[i] = Math.min(this.upper[i]!, Math.max(this.lower[i]!, step));
      }
    }
    return q;
  }

  /** Rows: 3 translational, 3 rotational; columns: the arm joints. */
  private armJacobian(): number[][] {
    const nv = this.model.nv;
    const p = this.jacp.GetView() as Float64Array;
    const r = this.jacr.GetView() as Float64Array;
    return [0, 1, 2, 3, 4, 5].map((row) =>
      this.dofAdr.map((dof) => (row < 3 ? p[row * nv + dof]! : r[(row - 3) * nv + dof]!)),
    );
  }

  delete(): void {
    this.scratch.delete();
    this.jacp.delete();
    this.jacr.delete();
  }
}

function multiply(jac: number[][], v: ArrayLike<number>): number[] {
  return jac.map((row) => row.reduce((s, x, i) => s + x * v[i]!, 0));
}

/** Jᵀ (J Jᵀ + λ² I)⁻¹ e. */
function dampedLeastSquares(jac: number[][], e: number[]): number[] {
  const m = jac.length;
  const a = jac.map((ri, i) =>
    jac.map((rj, j) => ri.reduce((s, x, k) => s + x * rj[k]!, 0) + (i === j ? DAMPING * DAMPING : 0)),
  );
  const y = solveSymmetric(a, e, m);
  return jac[0]!.map((_, col) => jac.reduce((s, row, i) => s + row[col]! * y[i]!, 0));
}

/** Cholesky solve of a symmetric positive-definite system. */
function solveSymmetric(a: number[][], b: number[], n: number): number[] {
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  return y;
}
