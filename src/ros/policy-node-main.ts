#!/usr/bin/env node
// Entry point of `ros2 run grape policy_node` (lib/grape/policy_node runs it) and of the launch file.
import { loadRclnodejs } from './rclnodejs-loader.js';
import { NODE_NAME, runPolicyNode } from './policy-node-process.js';

try {
  await runPolicyNode(await loadRclnodejs());
} catch (error) {
  process.stderr.write(`[${NODE_NAME}] cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}
