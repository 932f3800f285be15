// Small 3-D vector and quaternion helpers for the simulator. Quaternions are [w, x, y, z] (MuJoCo's
// order); rotation vectors are axis × angle in radians.

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

type Matrix3 = [number, number, number, number, number, number, number, number, number];

export function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

export function scale(a: Vec3, s: number): Vec3 {
  return [a[0] * s, a[1] * s, a[2] * s];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  return n > 0 ? scale(a, 1 / n) : [0, 0, 0];
}

export function quatMultiply(a: Quat, b: Quat): Quat {
  return [
    a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
    a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
    a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
    a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
  ];
}

export function quatConjugate(q: Quat): Quat {
  return [q[0], -q[1], -q[2], -q[3]];
}

export function quatNormalize(q: Quat): Quat {
  const n = Math.hypot(q[0], q[1], q[2], q[3]);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

export function quatFromAxisAngle(axis: Vec3, angle: number): Quat {
  const u = normalize(axis);
  const s = Math.sin(angle / 2);
  return [Math.cos(angle / 2), u[0] * s, u[1] * s, u[2] * s];
}

/** Quaternion → rotation vector of the shorter way round (angle ≤ π). */
export function quatToRotationVector(q: Quat): Vec3 {
  const s = q[0] < 0 ? -1 : 1;
  const w = Math.min(1, q[0] * s);
  const v: Vec3 = [q[1] * s, q[2] * s, q[3] * s];
  const sinHalf = norm(v);
  if (sinHalf < 1e-12) return scale(v, 2);
  return scale(v, (2 * Math.atan2(sinHalf, w)) / sinHalf);
}

/** Fixed-axis roll (x), pitch (y), yaw (z): R = Rz(yaw) · Ry(pitch) · Rx(roll). */
export function quatFromEuler(roll: number, pitch: number, yaw: number): Quat {
  return quatMultiply(
    quatFromAxisAngle([0, 0, 1], yaw),
    quatMultiply(quatFromAxisAngle([0, 1, 0], pitch), quatFromAxisAngle([1, 0, 0], roll)),
  );
}

export function rotate(q: Quat, v: Vec3): Vec3 {
  const u: Vec3 = [q[1], q[2], q[3]];
  const t = scale(cross(u, v), 2);
  return add(add(v, scale(t, q[0])), cross(u, t));
}

/** Angle wrapped into (-π, π]. */
export function wrapAngle(a: number): number {
  const w = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return w === -Math.PI ? Math.PI : w;
}

/** Row-major 3×3 rotation matrix (MuJoCo's xmat layout) → unit quaternion. */
export function quatFromMatrix(m: ArrayLike<number>): Quat {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from(m).slice(0, 9) as Matrix3;
  const trace = m00 + m11 + m22;
  let q: Quat;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  return quatNormalize(q[0] < 0 ? [-q[0], -q[1], -q[2], -q[3]] : q);
}
