// The transport-independent policy node: it takes camera, joint-state and end-effector-pose
// messages as they arrive, runs the policy once per control tick on the latest of them (never a
// queue of stale frames), applies the safety limits, publishes the action through the transport,
// and records every step with its flags. The ROS adapter ticks it from a timer; the simulator
// driver ticks it once per simulated control step.
import {
  timeFromNanoseconds,
  type CompressedImage,
  type Image,
  type JointState,
  type PoseStamped,
} from '../messages/ros-messages.js';
import type { Episode, Outcome } from '../episode/episode-index.js';
import { StepFlag, type PolicyStep as PolicyStepMessage } from '../episode/policy-step.js';
import type { PolicyStep } from '../policy/policy.js';
import { checkActionLimits, limitAction, type ActionLimits } from './action-limits.js';
import type { EpisodeSink, NodeState, NodeStatus, NodeTransport, StepPolicy } from './node-interfaces.js';

export interface PolicyNodeConfig {
  rateHz: number;
  /** Compute and record every step, publish no actions. */
  dryRun: boolean;
  /** Inputs older than this hold the robot, s. */
  staleTimeoutS: number;
  /** An episode ends as a failure ("timeout") after this many control steps (0: never). */
  maxSteps: number;
  limits: ActionLimits;
  /** Topics the inputs are recorded under (as the recorder was opened with). */
  topics: { camera: string; joints: string; eePose?: string };
  /** The model needs the end-effector pose as an input (stale without it). */
  needsEePose: boolean;
  /** The action is the 7-dim end-effector delta space: limits apply, hold keeps the gripper. */
  eeDeltaActions: boolean;
  /** Record encoder features with each step (the training cache). */
  recordFeatures: boolean;
}

export interface StartEpisodeRequest {
  instruction: string;
  taskId: string;
  seed?: number;
  operator?: string;
  sessionId?: string;
  /**
   * A demonstration episode (e.g. "expert:scripted"): every tick executes the action given with
   * demonstrate(), recorded as this demonstrator's step (flags 0: training data for SFT).
   */
  demonstrator?: string;
}

export type TickResult =
  | { kind: 'idle' | 'skipped' }
  | { kind: 'hold'; action: Float64Array; reason: string }
  | { kind: 'step'; action: Float64Array; flags: number; step: PolicyStep; clamped: string[] };

interface Latest<T> {
  message: T;
  at: bigint;
  used: boolean;
  /** the CDR bytes as received, when the transport has them */
  raw?: Uint8Array;
}

interface ActiveEpisode {
  id: string;
  request: StartEpisodeRequest;
  step: number;
  droppedFrames: number;
  overruns: number;
  staleSince?: bigint;
}

const NS_PER_S = 1_000_000_000;

export class PolicyNode {
  private image?: Latest<Image | CompressedImage>;
  private joints?: Latest<JointState>;
  private eePose?: Latest<PoseStamped>;
  private episode?: ActiveEpisode;
  private busy = false;
  private override?: { action: Float64Array; kind: 'intervention' | 'demonstration' };
  private gripper = 0;
  private lastClamped: string[] = [];
  private message = 'idle';
  private state: NodeState = 'idle';
  private now = 0n;

  constructor(
    private readonly policy: StepPolicy,
    private readonly sink: EpisodeSink,
    private readonly transport: NodeTransport,
    readonly config: Readonly<PolicyNodeConfig>,
  ) {
    if (!(config.rateHz > 0)) throw new Error(`rate_hz must be > 0, got ${config.rateHz}`);
    if (!(config.staleTimeoutS > 0))
      throw new Error(`stale_timeout must be > 0, got ${config.staleTimeoutS}`);
    if (!Number.isInteger(config.maxSteps) || config.maxSteps < 0)
      throw new Error(`max_steps must be a non-negative integer, got ${config.maxSteps}`);
    checkActionLimits(config.limits);
  }

  get episodeId(): string | undefined {
    return this.episode?.id;
  }

  // `raw`: the message's CDR bytes as received (a raw subscription), recorded instead of `message`
  // so the bag holds exactly what the publisher sent.
  onImage(message: Image | CompressedImage, receivedAt: bigint, raw?: Uint8Array): void {
    if (this.episode && this.image && !this.image.used) this.episode.droppedFrames++;
    this.image = { message, at: receivedAt, used: false, raw };
    if (this.episode) this.sink.record(this.config.topics.camera, raw ?? message, receivedAt);
  }

  onJointState(message: JointState, receivedAt: bigint, raw?: Uint8Array): void {
    this.joints = { message, at: receivedAt, used: false, raw };
    if (this.episode) this.sink.record(this.config.topics.joints, raw ?? message, receivedAt);
  }

  onEePose(message: PoseStamped, receivedAt: bigint, raw?: Uint8Array): void {
    this.eePose = { message, at: receivedAt, used: false, raw };
    if (this.episode && this.config.topics.eePose)
      this.sink.record(this.config.topics.eePose, raw ?? message, receivedAt);
  }

  async startEpisode(request: StartEpisodeRequest, at: bigint): Promise<Episode> {
    if (this.episode) throw new Error(`episode ${this.episode.id} is still running; end or abort it first`);
    if (!request.instruction.trim()) throw new Error('an episode needs an instruction');
    const episode = await this.sink.startEpisode(
      {
        taskId: request.taskId,
        instruction: request.instruction,
        policyId: request.demonstrator ?? this.policy.id,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.operator === undefined ? {} : { operator: request.operator }),
        ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      },
      at,
    );
    this.episode = { id: episode.id, request, step: 0, droppedFrames: 0, overruns: 0 };
    this.override = undefined;
    this.gripper = 0;
    this.lastClamped = [];
    this.now = at;
    // The inputs the first step will use belong in the episode too.
    const { camera, joints, eePose } = this.config.topics;
    if (this.image) this.sink.record(camera, this.image.raw ?? this.image.message, this.image.at);
    if (this.joints) this.sink.record(joints, this.joints.raw ?? this.joints.message, this.joints.at);
    if (this.eePose && eePose)
      this.sink.record(eePose, this.eePose.raw ?? this.eePose.message, this.eePose.at);
    this.publishStatus('running', `episode ${episode.id} started`);
    return episode;
  }

  async endEpisode(outcome: Outcome, notes: string | undefined, at: bigint): Promise<Episode> {
    const episode = this.episode;
    if (!episode) throw new Error('no episode is running');
    this.episode = undefined;
    if (outcome === 'aborted') this.sink.event('abort', notes ? { notes } : {}, at);
    const ended = await this.sink.endEpisode({ outcome, ...(notes ? { notes } : {}) }, at);
    this.now = at;
    this.publishStatus('idle', `episode ${episode.id} ended: ${outcome}${notes ? ` (${notes})` : ''}`);
    return ended;
  }

  /** The operator takes over: ticks execute `action` (flagged as an intervention) until null. */
  intervene(action: ArrayLike<number> | null, at: bigint): void {
    const starting = action !== null && this.override === undefined;
    const ending = action === null && this.override !== undefined;
    this.override = action === null ? undefined : { action: Float64Array.from(action), kind: 'intervention' };
    if (this.episode && (starting || ending))
      this.sink.event(starting ? 'intervention_start' : 'intervention_end', {}, at);
  }

  /** The action the next tick of a demonstration episode executes. */
  demonstrate(action: ArrayLike<number>): void {
    if (!this.episode?.request.demonstrator) throw new Error('demonstrate() needs a demonstration episode');
    this.override = { action: Float64Array.from(action), kind: 'demonstration' };
  }

  /** One control step at time `now` (ns, the clock the inputs were stamped with). */
  async tick(now: bigint): Promise<TickResult> {
    const episode = this.episode;
    if (!episode) return { kind: 'idle' };
    if (this.busy) {
      episode.overruns++;
      return { kind: 'skipped' };
    }
    this.busy = true;
    this.now = now;
    try {
      const result = await this.control(episode, now);
      if (this.config.maxSteps > 0 && episode.step >= this.config.maxSteps && this.episode === episode)
        await this.endEpisode('failure', `timeout after ${episode.step} steps`, now);
      return result;
    } finally {
      this.busy = false;
    }
  }

  status(): NodeStatus {
    return this.buildStatus(this.episode ? this.state : 'idle', this.message);
  }

  private staleInputs(now: bigint): string[] {
    const limit = BigInt(Math.round(this.config.staleTimeoutS * NS_PER_S));
    const stale = (input: Latest<unknown> | undefined) => !input || now - input.at > limit;
    const out: string[] = [];
    if (stale(this.image)) out.push('camera');
    if (stale(this.joints)) out.push('joints');
    if (this.config.needsEePose && stale(this.eePose)) out.push('ee_pose');
    return out;
  }

  private async control(episode: ActiveEpisode, now: bigint): Promise<TickResult> {
    const stale = this.staleInputs(now);
    if (stale.length > 0) {
      if (episode.staleSince === undefined) {
        episode.staleSince = now;
        this.sink.event('stale_input', { inputs: stale }, now);
      }
      return this.hold(episode, now, `stale input: ${stale.join(', ')}`);
    }
    episode.staleSince = undefined;
    const observation = {
      image: this.image!.message,
      joints: this.joints!.message,
      ...(this.eePose ? { endEffector: this.eePose.message } : {}),
    };
    this.image!.used = true;
    let step: PolicyStep;
    let flags = this.config.dryRun ? StepFlag.DRY_RUN : 0;
    const clampedNow: string[] = [];
    const demonstrator = episode.request.demonstrator;
    if (demonstrator && this.override?.kind !== 'demonstration')
      return this.hold(episode, now, "waiting for the demonstrator's action");
    try {
      if (this.override) {
        const followed = await this.policy.follow(
          observation,
          episode.request.instruction,
          this.override.action,
          {
            stepIndex: episode.step,
          },
        );
        step = demonstrator ? { ...followed.step, policyId: demonstrator } : followed.step;
        if (this.override.kind === 'intervention') flags |= StepFlag.INTERVENTION;
        else this.override = undefined; // one demonstrated action per tick
        clampedNow.push(...followed.clipped.map((c) => `${c.name} ${c.value} → ${c.limit} (model range)`));
      } else {
        step = await this.policy.step(observation, episode.request.instruction, { stepIndex: episode.step });
      }
    } catch (error) {
      // Bad input (an unsupported encoding, a missing joint, NaN): hold, say what was wrong, keep going.
      const reason = (error as Error).message;
      this.sink.event('note', { error: reason }, now);
      return this.hold(episode, now, `policy input error: ${reason}`);
    }
    // The episode may have ended (or been aborted) while the policy computed: act on nothing then.
    if (this.episode !== episode) return { kind: 'idle' };
    let action = step.action;
    if (this.config.eeDeltaActions) {
      const limited = limitAction(action, this.config.limits, this.eePose?.message.pose);
      action = limited.action;
      clampedNow.push(...limited.clamped);
      this.gripper = action[6]!;
    }
    if (clampedNow.length > 0) flags |= StepFlag.CLAMPED;
    this.lastClamped = clampedNow;
    this.record(episode, step, action, flags, now);
    if (!this.config.dryRun)
      this.transport.publishAction({ stamp: timeFromNanoseconds(now), action, hold: false });
    this.publishStatus(
      'running',
      clampedNow.length ? `clamped: ${clampedNow.join('; ')}` : `step ${episode.step}`,
    );
    return { kind: 'step', action, flags, step, clamped: clampedNow };
  }

  /** No motion; the gripper stays as last commanded. */
  private holdAction(): Float64Array {
    const action = new Float64Array(this.policy.actions.dims);
    if (this.config.eeDeltaActions) action[6] = this.gripper;
    return action;
  }

  private hold(episode: ActiveEpisode, now: bigint, reason: string): TickResult {
    const action = this.holdAction();
    const flags = StepFlag.HOLD | (this.config.dryRun ? StepFlag.DRY_RUN : 0);
    const message: PolicyStepMessage = {
      header: { stamp: timeFromNanoseconds(now), frame_id: '' },
      step: episode.step++,
      policy_id: this.policy.id,
      tokens: [],
      action,
      logp: 0,
      logp_dims: [],
      temperature: 0,
      top_k: 0,
      flags,
      features: [],
    };
    this.sink.step(message, now);
    if (!this.config.dryRun)
      this.transport.publishAction({ stamp: timeFromNanoseconds(now), action, hold: true });
    this.publishStatus('holding', reason);
    return { kind: 'hold', action, reason };
  }

  private record(
    episode: ActiveEpisode,
    step: PolicyStep,
    action: Float64Array,
    flags: number,
    now: bigint,
  ): void {
    const sampling = step.sampling;
    this.sink.step(
      {
        header: { stamp: timeFromNanoseconds(now), frame_id: '' },
        step: episode.step++,
        policy_id: step.policyId,
        tokens: step.tokens,
        action,
        logp: step.logp,
        logp_dims: step.logpDims,
        temperature: sampling.greedy ? 0 : sampling.temperature,
        top_k: sampling.topK,
        flags,
        features: this.config.recordFeatures ? step.features : [],
      },
      now,
    );
  }

  private buildStatus(state: NodeState, message: string): NodeStatus {
    const e = this.episode;
    return {
      stamp: timeFromNanoseconds(this.now),
      state,
      episodeId: e?.id ?? '',
      taskId: e?.request.taskId ?? '',
      instruction: e?.request.instruction ?? '',
      policyId: this.policy.id,
      step: e?.step ?? 0,
      dryRun: this.config.dryRun,
      staleInputs: e ? this.staleInputs(this.now) : [],
      droppedFrames: e?.droppedFrames ?? 0,
      overruns: e?.overruns ?? 0,
      clamped: this.lastClamped,
      intervening: this.override?.kind === 'intervention',
      message,
    };
  }

  private publishStatus(state: NodeState, message: string): void {
    this.message = message;
    this.state = state;
    this.transport.publishStatus(this.buildStatus(state, message));
  }
}
