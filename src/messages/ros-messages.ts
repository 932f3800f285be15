// ROS 2 message shapes as plain objects, field for field as rclnodejs delivers them (and as the
// simulator and the recorder produce and store them). The pure core speaks these; only src/ros/
// talks to rclnodejs itself.

export interface Time {
  sec: number;
  nanosec: number;
}

export interface Header {
  stamp: Time;
  frame_id: string;
}

/** sensor_msgs/msg/Image */
export interface Image {
  header: Header;
  height: number;
  width: number;
  /** e.g. rgb8, bgr8, rgba8, bgra8, mono8, 16UC1, 32FC1 */
  encoding: string;
  is_bigendian: number;
  /** bytes per row, padding included */
  step: number;
  data: Uint8Array;
}

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImage {
  header: Header;
  /** e.g. "jpeg", "png", "rgb8; jpeg compressed bgr8" */
  format: string;
  data: Uint8Array;
}

/** sensor_msgs/msg/JointState */
export interface JointState {
  header: Header;
  name: string[];
  position: number[] | Float64Array;
  velocity: number[] | Float64Array;
  effort: number[] | Float64Array;
}

export interface Point {
  x: number;
  y: number;
  z: number;
}

export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}

export interface Pose {
  position: Point;
  orientation: Quaternion;
}

/** geometry_msgs/msg/PoseStamped */
export interface PoseStamped {
  header: Header;
  pose: Pose;
}

export interface Vector3 {
  x: number;
  y: number;
  z: number;
}

/** geometry_msgs/msg/TwistStamped */
export interface TwistStamped {
  header: Header;
  twist: { linear: Vector3; angular: Vector3 };
}

export function timeFromNanoseconds(ns: bigint): Time {
  return { sec: Number(ns / 1_000_000_000n), nanosec: Number(ns % 1_000_000_000n) };
}

export function timeToNanoseconds(t: Time): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nanosec);
}
