// The grape_policy process: rclnodejs initialised with the process arguments (--ros-args from
// `ros2 run` / `ros2 launch`: remappings, parameter files, node name), the node created and spun,
// and SIGINT/SIGTERM routed to an orderly shutdown.
import { localSessionJobs } from '../jobs/session-jobs.js';
import type { Rclnodejs } from './rclnodejs-loader.js';
import { RosPolicyNode, type RosPolicyNodeHooks } from './ros-policy-node.js';
import { onShutdownSignal } from './shutdown-signals.js';

export const NODE_NAME = 'grape_policy';

export interface PolicyNodeProcessOptions {
  /** Default: between-session jobs of this machine (grape jobs), the model package's checkpoints. */
  hooks?: RosPolicyNodeHooks;
  /** Ends the process after a signal (default process.exit). */
  exit?: (code: number) => void;
}

/** Starts grape_policy; returns once it runs. Throws, having shut rclnodejs down, when it cannot start. */
export async function runPolicyNode(
  rcl: Rclnodejs,
  options: PolicyNodeProcessOptions = {},
): Promise<RosPolicyNode> {
  await rcl.init();
  // rclnodejs's own SIGINT handler shuts the context down at once, under a running episode.
  rcl.removeSignalHandlers();
  const node = new rcl.Node(NODE_NAME);
  let policyNode: RosPolicyNode;
  try {
    policyNode = await RosPolicyNode.create(rcl, node, { jobs: localSessionJobs, ...options.hooks });
  } catch (error) {
    node.destroy();
    rcl.shutdown();
    throw error;
  }
  const log = (message: string) => process.stderr.write(`[${NODE_NAME}] ${message}\n`);
  onShutdownSignal(
    async (signal) => {
      await policyNode.shutdown(signal);
      node.destroy();
      rcl.shutdown();
    },
    { log, exit: options.exit ?? ((code) => process.exit(code)) },
  );
  node.spin();
  return policyNode;
}
