// Lifts a point of the first camera frame to the world frame: normalized image coordinates → pixel →
// depth (the median of valid readings around it, robust to holes and edges) → camera optical frame
// through the pinhole intrinsics → world frame through the camera's extrinsics. The depth image must be
// registered to the colour image the point was chosen on (same field of view; any resolution).
import type { Image, Pose } from '../messages/ros-messages.js';
import { imageSource } from '../policy/image-source.js';
import type { Vec3 } from './cost-spec.js';
import type { PixelLifter } from './trajectory-signals.js';

/** sensor_msgs/CameraInfo, the part the pinhole model needs: K = [fx 0 cx; 0 fy cy; 0 0 1], row-major. */
export interface CameraIntrinsics {
  width: number;
  height: number;
  k: ArrayLike<number>;
}

/** Half the side of the window of depth readings a pixel's depth is the median of. */
const WINDOW = 2;

function rotate(q: Pose['orientation'], v: Vec3): Vec3 {
  // v + 2w(u × v) + 2u × (u × v), with u the quaternion's vector part.
  const { x, y, z, w } = q;
  const cx = y * v[2] - z * v[1];
  const cy = z * v[0] - x * v[2];
  const cz = x * v[1] - y * v[0];
  return [
    v[0] + 2 * (w * cx + y * cz - z * cy),
    v[1] + 2 * (w * cy + z * cx - x * cz),
    v[2] + 2 * (w * cz + x * cy - y * cx),
  ];
}

export class DepthPixelLifter implements PixelLifter {
  private readonly depth: ReturnType<typeof imageSource>;
  private readonly rotation: Pose['orientation'];

  constructor(
    depth: Image,
    private readonly intrinsics: CameraIntrinsics,
    /** the camera optical frame (x right, y down, z forward) in the world frame */
    private readonly extrinsics: Pose,
  ) {
    this.depth = imageSource(depth, 'depth', 'depth image');
    const k = intrinsics.k;
    if (k.length !== 9 || !(k[0]! > 0) || !(k[4]! > 0)) {
      throw new Error('camera intrinsics: K must be 9 numbers with fx, fy > 0 (sensor_msgs/CameraInfo.k)');
    }
    if (intrinsics.width !== depth.width || intrinsics.height !== depth.height) {
      throw new Error(
        `camera intrinsics are for ${intrinsics.width}×${intrinsics.height} images, the depth image is ${depth.width}×${depth.height}`,
      );
    }
    // Hand-written extrinsics carry a few digits: normalized if nearly unit, refused if not a rotation.
    const { x, y, z, w } = extrinsics.orientation;
    const n = Math.hypot(x, y, z, w);
    if (!(Math.abs(n - 1) <= 0.01))
      throw new Error(`camera extrinsics: the orientation (norm ${n}) is not a unit quaternion`);
    this.rotation = { x: x / n, y: y / n, z: z / n, w: w / n };
  }

  lift(u: number, v: number): Vec3 {
    const { width, height } = this.depth;
    // Pixel centres sit at integer coordinates (the convention K is calibrated in).
    const px = u * width - 0.5;
    const py = v * height - 0.5;
    const d = this.depthAround(Math.round(px), Math.round(py));
    if (d === undefined) {
      throw new Error(
        `no valid depth around (u ${u}, v ${v}) = pixel (${Math.round(px)}, ${Math.round(py)}) of the first depth frame`,
      );
    }
    const k = this.intrinsics.k;
    const camera: Vec3 = [((px - k[2]!) * d) / k[0]!, ((py - k[5]!) * d) / k[4]!, d];
    const r = rotate(this.rotation, camera);
    const t = this.extrinsics.position;
    return [r[0] + t.x, r[1] + t.y, r[2] + t.z];
  }

  private depthAround(cx: number, cy: number): number | undefined {
    const { width, height, data, rowStride, pixelStride, scale } = this.depth;
    const values: number[] = [];
    for (let y = Math.max(0, cy - WINDOW); y <= Math.min(height - 1, cy + WINDOW); y++) {
      for (let x = Math.max(0, cx - WINDOW); x <= Math.min(width - 1, cx + WINDOW); x++) {
        const d = data[y * rowStride + x * pixelStride]! * scale;
        if (Number.isFinite(d) && d > 0) values.push(d);
      }
    }
    if (values.length === 0) return undefined;
    values.sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  }
}
