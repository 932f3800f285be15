// rclnodejs, loaded only when it can work: its native binding needs a sourced ROS 2 (rcl, rmw and
// the message packages), so importing it elsewhere fails at load time with an unhelpful error.
import { probeRos } from './ros-environment.js';

/** The rclnodejs module (its default export holds the whole API). */
export type Rclnodejs = typeof import('rclnodejs');

export class RosUnavailableError extends Error {
  override readonly name = 'RosUnavailableError';
}

/** Imports rclnodejs, or says what is missing for it to load. */
export async function loadRclnodejs(env: NodeJS.ProcessEnv = process.env): Promise<Rclnodejs> {
  const ros = probeRos(env);
  if (ros.missing.length > 0) throw new RosUnavailableError(ros.missing.join('; '));
  try {
    return (await import('rclnodejs')).default;
  } catch (error) {
    throw new RosUnavailableError(
      `rclnodejs does not load with ROS 2 ${ros.distro ?? ''} (${(error as Error).message}); build it for this ` +
        'ROS 2 with `npm run rclnodejs` in the grape package directory (docs/ros.md)',
      { cause: error },
    );
  }
}
