// Wiring: the policy node core on the embedded simulator, recording every episode exactly as on a
// robot (camera, joints, end-effector pose, /grape/step, events) plus the simulator's privileged
// per-step signals for GCPG. The policy drives (evaluation, rollouts), or the scripted expert
// does (demonstrations: the SFT data), through the same node.
import { EpisodeRecorder } from '../episode/episode-recorder.js';
import type { Episode } from '../episode/episode-index.js';
import { SIM_SIGNALS_TOPIC, SIM_SIGNALS_TYPE, encodeSimSignals } from '../gcpg/sim-signals-record.js';
import type { NodeStatus, NodeTransport, StepPolicy } from '../node/node-interfaces.js';
import { EE_DELTA_NAMES } from '../node/action-limits.js';
import { PolicyNode, type PolicyNodeConfig } from '../node/policy-node.js';
import { CONTROL_HZ, MAX_ROTATION_STEP, MAX_TRANSLATION_STEP, TCP_WORKSPACE } from '../sim/action-space.js';
import { DEMONSTRATION_NOISE, ScriptedExpert, type ExpertOptions } from '../sim/scripted-expert.js';
import { SimEnvironment, type Observation } from '../sim/sim-environment.js';
import type { SplitName } from '../sim/splits.js';
import type { StepSignals } from '../sim/step-signals.js';

export const SIM_TOPICS = {
  camera: '/camera/image_raw',
  joints: '/joint_states',
  eePose: '/grape/ee_pose',
} as const;

export interface SimEpisodeRequest {
  taskId: string;
  seed: number;
  split: SplitName;
}

export interface SimEpisodeResult extends SimEpisodeRequest {
  episodeId: string;
  instruction: string;
  success: boolean;
  steps: number;
  /** onsets of contact with anything but the task's target */
  collisions: number;
  pathLength: number;
  bagPath: string;
}

export interface SimRunnerOptions {
  dataDir: string;
  policy: StepPolicy & { readonly actions: { readonly spec: { readonly names: readonly string[] } } };
  /** Compute and record, execute nothing (the arm holds still). Default false. */
  dryRun?: boolean;
  /** Record encoder features with each step (training cache). Default true. */
  recordFeatures?: boolean;
  sessionId?: string;
  operator?: string;
}

const NS_PER_S = 1e9;

/** The node's view of the simulator: actions are executed by the runner, statuses kept for the caller. */
class SimTransport implements NodeTransport {
  lastStatus: NodeStatus | undefined;
  publishAction(): void {
    // The runner executes the tick's result itself: the published command and the result agree.
  }
  publishStatus(status: NodeStatus): void {
    this.lastStatus = status;
  }
}

export class SimRunner {
  private constructor(
    readonly env: SimEnvironment,
    readonly recorder: EpisodeRecorder,
    readonly node: PolicyNode,
    private readonly transport: SimTransport,
    private readonly options: SimRunnerOptions,
  ) {}

  /** The node's last status (what a UI would show). */
  get status(): NodeStatus | undefined {
    return this.transport.lastStatus;
  }

  static async open(options: SimRunnerOptions): Promise<SimRunner> {
    const names = options.policy.actions.spec.names;
    const eeDeltaActions =
      names.length === EE_DELTA_NAMES.length && names.every((n, i) => n === EE_DELTA_NAMES[i]);
    if (!eeDeltaActions)
      throw new Error(
        `the simulator executes 7-dim end-effector deltas (${EE_DELTA_NAMES.join(' ')}); the policy's action is ${names.join(' ')}`,
      );
    const env = await SimEnvironment.create();
    const recorder = await EpisodeRecorder.open({
      dataDir: options.dataDir,
      topics: [
        { name: SIM_TOPICS.camera, type: 'sensor_msgs/msg/Image', camera: true },
        { name: SIM_TOPICS.joints, type: 'sensor_msgs/msg/JointState' },
        { name: SIM_TOPICS.eePose, type: 'geometry_msgs/msg/PoseStamped' },
        { name: SIM_SIGNALS_TOPIC, type: SIM_SIGNALS_TYPE },
      ],
      camera: { rateHz: CONTROL_HZ },
    });
    const config: PolicyNodeConfig = {
      rateHz: CONTROL_HZ,
      dryRun: options.dryRun ?? false,
      staleTimeoutS: 2 / CONTROL_HZ,
      maxSteps: 0, // the task's horizon ends the episode
      limits: {
        maxTranslation: MAX_TRANSLATION_STEP,
        maxRotation: MAX_ROTATION_STEP,
        workspace: TCP_WORKSPACE,
      },
      topics: SIM_TOPICS,
      needsEePose: false,
      eeDeltaActions,
      recordFeatures: options.recordFeatures ?? true,
    };
    const transport = new SimTransport();
    const node = new PolicyNode(options.policy, recorder, transport, config);
    return new SimRunner(env, recorder, node, transport, options);
  }

  /** One episode with the policy in control. */
  runPolicyEpisode(request: SimEpisodeRequest): Promise<SimEpisodeResult> {
    return this.run(request);
  }

  /**
   * One demonstration: the scripted expert acts, recorded as its own steps; its noise settings go over
   * DEMONSTRATION_NOISE.
   */
  runExpertEpisode(request: SimEpisodeRequest, expert: ExpertOptions = {}): Promise<SimEpisodeResult> {
    return this.run(request, expert);
  }

  private async run(request: SimEpisodeRequest, expertOptions?: ExpertOptions): Promise<SimEpisodeResult> {
    const info = this.env.reset(request.taskId, request.seed, request.split);
    const expert = expertOptions
      ? new ScriptedExpert(this.env.taskEpisode, { ...DEMONSTRATION_NOISE, ...expertOptions })
      : undefined;
    // Bag times: the wall clock at the start plus simulated time, so episodes sort as they ran.
    const origin = BigInt(Date.now()) * 1_000_000n;
    const at = (simSeconds: number) => origin + BigInt(Math.round(simSeconds * NS_PER_S));
    this.feed(this.env.observe(), at);
    const episode = await this.node.startEpisode(
      {
        instruction: info.instruction,
        taskId: info.taskId,
        seed: request.seed,
        ...(expert ? { demonstrator: 'expert:scripted' } : {}),
        ...(this.options.sessionId ? { sessionId: this.options.sessionId } : {}),
        ...(this.options.operator ? { operator: this.options.operator } : {}),
      },
      at(0),
    );
    let signals = this.env.signals();
    let collisions = 0;
    let touching = false;
    let success: boolean;
    for (;;) {
      const now = at(signals.time);
      if (expert) this.node.demonstrate(expert.act(signals));
      const tick = await this.node.tick(now);
      if (!('action' in tick)) throw new Error(`the node did not step (${tick.kind})`);
      const executed = this.options.dryRun
        ? holdOf(tick.action)
        : (expert?.disturb(tick.action) ?? tick.action);
      const result = this.env.step(Array.from(executed));
      signals = result.signals;
      this.recorder.record(
        SIM_SIGNALS_TOPIC,
        { data: encodeSimSignals(signals, info.roles) },
        at(signals.time),
      );
      const nowTouching = signals.contacts.some((c) => !c.target);
      if (nowTouching && !touching) {
        collisions++;
        this.recorder.event('collision', collisionDetail(signals), at(signals.time));
      }
      touching = nowTouching;
      if (result.done) {
        success = result.success;
        break;
      }
      this.feed(this.env.observe(), at);
    }
    const ended: Episode = await this.node.endEpisode(
      success ? 'success' : 'failure',
      undefined,
      at(signals.time),
    );
    return {
      ...request,
      episodeId: episode.id,
      instruction: info.instruction,
      success,
      steps: signals.step,
      collisions,
      pathLength: signals.pathLength,
      bagPath: ended.bagPath,
    };
  }

  private feed(observation: Observation, at: (s: number) => bigint): void {
    const t = at(observation.time);
    this.node.onImage(observation.image, t);
    this.node.onJointState(observation.joints, t);
    this.node.onEePose(observation.eePose, t);
  }

  async close(): Promise<void> {
    await this.recorder.close();
    this.env.close();
  }
}

/** The simulator's hold: no motion, the gripper as commanded. */
function holdOf(action: Float64Array): Float64Array {
  const hold = new Float64Array(action.length);
  hold[6] = action[6]!;
  return hold;
}

function collisionDetail(signals: StepSignals): Record<string, unknown> {
  const c = signals.contacts.filter((x) => !x.target);
  return {
    step: signals.step,
    contacts: c.map((x) => ({ link: x.link, other: x.other, kind: x.kind, force: x.force })),
  };
}
