// Whether ROS 2 is usable here, found without loading rclnodejs (which needs a sourced ROS 2).
import { createRequire } from 'node:module';

export interface RosEnvironment {
  /** ROS_DISTRO and AMENT_PREFIX_PATH are set (setup.bash was sourced). */
  sourced: boolean;
  distro?: string;
  rmw?: string;
  /** rclnodejs can be resolved from this package. */
  rclnodejs: 'installed' | 'missing';
  /** What is missing for the ROS node to run, in words; empty when nothing is. */
  missing: string[];
}

export function probeRos(env: NodeJS.ProcessEnv = process.env): RosEnvironment {
  const sourced = Boolean(env.ROS_DISTRO && env.AMENT_PREFIX_PATH);
  let rclnodejs: RosEnvironment['rclnodejs'] = 'missing';
  try {
    createRequire(import.meta.url).resolve('rclnodejs');
    rclnodejs = 'installed';
  } catch {
    // optional dependency: absent on machines without ROS 2
  }
  const missing: string[] = [];
  if (!sourced) missing.push('ROS 2 is not sourced (source /opt/ros/<distro>/setup.bash)');
  if (rclnodejs === 'missing')
    missing.push('rclnodejs is not installed (npm ci installs it: run it in the package directory)');
  return { sourced, distro: env.ROS_DISTRO, rmw: env.RMW_IMPLEMENTATION, rclnodejs, missing };
}
