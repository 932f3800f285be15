// What the policy node core needs from the rest of grape, as small interfaces: a policy that
// steps (src/policy's Policy), a sink for episodes (src/episode's EpisodeRecorder) and a transport
// that publishes (the ROS adapter, or the simulator driver).
import type { Time } from '../messages/ros-messages.js';
import type { EpisodeEnd, EpisodeStart } from '../episode/episode-recorder.js';
import type { Episode } from '../episode/episode-index.js';
import type { EpisodeEventKind, PolicyStep as PolicyStepMessage } from '../episode/policy-step.js';
import type { ClippedDim } from '../policy/action-tokenizer.js';
import type { Observation } from '../policy/observation-preprocessor.js';
import type { PolicyStep, SamplingOptions } from '../policy/policy.js';

export interface StepPolicy {
  readonly id: string;
  readonly actions: { readonly dims: number };
  readonly sampling: Readonly<SamplingOptions>;
  step(observation: Observation, instruction: string, options?: { stepIndex?: number }): Promise<PolicyStep>;
  follow(
    observation: Observation,
    instruction: string,
    action: ArrayLike<number>,
    options?: { stepIndex?: number },
  ): Promise<{ step: PolicyStep; clipped: ClippedDim[] }>;
}

export interface EpisodeSink {
  startEpisode(start: EpisodeStart, at?: bigint): Promise<Episode>;
  record(topic: string, message: object | Uint8Array, receivedAt: bigint): boolean;
  step(step: PolicyStepMessage, at?: bigint): boolean;
  event(kind: EpisodeEventKind, detail?: Record<string, unknown>, at?: bigint): boolean;
  endEpisode(end: EpisodeEnd, at?: bigint): Promise<Episode>;
}

/** An action for the robot, or the hold action (no motion, gripper as it was). */
export interface ActionCommand {
  stamp: Time;
  /** In the model's action space (the 7-dim end-effector delta space for the default model). */
  action: Float64Array;
  hold: boolean;
}

export type NodeState = 'idle' | 'running' | 'holding';

/** What UIs and the ROS status topic show (grape/msg/EpisodeStatus). */
export interface NodeStatus {
  stamp: Time;
  state: NodeState;
  episodeId: string;
  taskId: string;
  instruction: string;
  policyId: string;
  step: number;
  dryRun: boolean;
  /** Inputs older than the stale timeout, by name ("camera", "joints", "ee_pose"); empty when fresh. */
  staleInputs: string[];
  /** Frames replaced before a control step used them, since the episode started. */
  droppedFrames: number;
  /** Control ticks skipped because the previous step was still running. */
  overruns: number;
  /** What the limits cut back on the last step. */
  clamped: string[];
  intervening: boolean;
  message: string;
}

export interface NodeTransport {
  publishAction(command: ActionCommand): void;
  publishStatus(status: NodeStatus): void;
}
