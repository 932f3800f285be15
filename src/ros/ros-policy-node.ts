// grape_policy on ROS 2: the policy node core (src/node) driven by an rclnodejs node. Subscriptions
// feed it camera, joint and pose messages stamped with the node clock (use_sim_time honoured), a timer
// ticks it at rate_hz (never queueing: a tick that finds the last one running is counted as an
// overrun by the core), its actions and status go out through RosTransport, and services drive the
// episode lifecycle. Every episode is recorded as a rosbag2 bag under data_dir.
import type { Node, Timer } from 'rclnodejs';

import { ensureDefaultModel } from '../app/model-location.js';
import { loadPolicy, type LoadedPolicy, type LoadPolicyOptions } from '../app/load-policy.js';
import { resolvePromotedCheckpoint } from '../app/promoted-policy.js';
import { defaultDataDir } from '../cli/data-dir.js';
import { EpisodeRecorder } from '../episode/episode-recorder.js';
import type { Episode, Outcome } from '../episode/episode-index.js';
import type { Objective } from '../gcpg/cost-spec.js';
import type { SessionJobs, SessionJobState } from '../jobs/session-jobs.js';
import {
  timeFromNanoseconds,
  type CompressedImage,
  type Image,
  type JointState,
  type PoseStamped,
  type Time,
} from '../messages/ros-messages.js';
import type { WorkspaceBox } from '../node/action-limits.js';
import { PolicyNode, type PolicyNodeConfig } from '../node/policy-node.js';
import type { Policy } from '../policy/policy.js';
import { BASE_CHECKPOINT } from '../policy/model-package.js';
import { ActionPublisher } from './action-publisher.js';
import { isEeDeltaAction } from './action-messages.js';
import { CdrMessageDecoder } from './cdr-message-decoder.js';
import { advertiseEpisodeServices, type NodeLifecycle, type SessionEnd } from './episode-services.js';
import type { ActionType, PolicyNodeParameters } from './parameter-spec.js';
import { sensorQos, statusQos } from './qos-profiles.js';
import type { Rclnodejs } from './rclnodejs-loader.js';
import { RosParameters } from './ros-parameters.js';
import { RosTransport } from './ros-transport.js';
import { diagnosticsOf, type JobDiagnostics } from './status-messages.js';

/** What the node is wired to beside ROS (injected, so the node is testable without them). */
export interface RosPolicyNodeHooks {
  /**
   * The job runner: ~/end_session starts the between-session job (score, pair, train) of the ended
   * session through it, and the node follows the job to report its candidate. None: no job is started.
   */
  jobs?: SessionJobs;
  /**
   * Loads a checkpoint by id ('' the promoted one; default: the model package's adapter of that id,
   * the promoted one as `grape policy promote` set it, or the package's own head for 'base').
   */
  loadCheckpoint?(checkpointId: string): Promise<LoadedPolicy>;
}

const DIAGNOSTICS_PERIOD_NS = 1_000_000_000n;

interface Session {
  id: string;
}

/** The between-session job this node started last, as it last stood. */
interface FollowedJob {
  id: string;
  state?: SessionJobState;
  /** Its candidate was promoted: load it as soon as no episode runs. */
  reloadPending?: boolean;
}

/** A recorder failure that stopped the current episode's bag (the diagnostics report it). */
interface RecorderHealth {
  error?: string;
}

/** What a running RosPolicyNode is made of. */
interface Parts {
  rcl: Rclnodejs;
  node: Node;
  parameters: RosParameters;
  loaded: LoadedPolicy;
  modelDir: string;
  dataDir: string;
  config: PolicyNodeConfig;
  recorder: EpisodeRecorder;
  recorderHealth: RecorderHealth;
  actions: ActionPublisher;
  transport: RosTransport;
  hooks: RosPolicyNodeHooks;
}

export class RosPolicyNode implements NodeLifecycle {
  private readonly node: Node;
  private readonly recorder: EpisodeRecorder;
  private core: PolicyNode;
  private policy: Policy;
  private ticking: Promise<void> | undefined;
  private session: Session | undefined;
  private job: FollowedJob | undefined;
  private reloading: Promise<unknown> | undefined;
  private closing: Promise<void> | undefined;
  private readonly timers: Timer[] = [];

  private constructor(private readonly parts: Parts) {
    this.node = parts.node;
    this.recorder = parts.recorder;
    this.policy = parts.loaded.policy;
    this.core = new PolicyNode(this.policy, parts.recorder, parts.transport, parts.config);
  }

  /**
   * Declares the parameters on `node`, loads the model, opens the recorder, and starts the
   * subscriptions, publishers, services and control timer. Throws (having released what it took)
   * when a parameter, the model or the data dir is unusable, saying which.
   */
  static async create(rcl: Rclnodejs, node: Node, hooks: RosPolicyNodeHooks = {}): Promise<RosPolicyNode> {
    const parameters = RosParameters.declare(rcl, node);
    const p = parameters.initial;
    const logger = node.getLogger();
    const dataDir = p.data_dir || defaultDataDir();
    let modelDir = p.model;
    if (modelDir === '') {
      const model = await ensureDefaultModel(dataDir);
      modelDir = model.dir;
      logger.warn(
        `no model given: running the default model ${modelDir}${model.created ? ' (generated now)' : ''}`,
      );
    }
    // Empty `checkpoint`: the promoted one (grape policy promote), the package's own head before any.
    const checkpoint = p.checkpoint || ((await resolvePromotedCheckpoint(dataDir, modelDir)).adapterId ?? '');
    const loaded = await loadPolicy(modelDir, policyOptions(p, checkpoint));
    let recorder: EpisodeRecorder | undefined;
    try {
      const needsEePose = checkObservation(loaded, modelDir, p);
      // Recorded under the names actually subscribed (after remapping).
      const topics = {
        camera: node.resolveTopicName(p.camera_topic),
        joints: node.resolveTopicName(p.joint_states_topic),
        ...(p.ee_pose_topic ? { eePose: node.resolveTopicName(p.ee_pose_topic) } : {}),
      };
      const recorderHealth: RecorderHealth = {};
      recorder = await EpisodeRecorder.open({
        dataDir,
        topics: [
          { name: topics.camera, type: `sensor_msgs/msg/${p.camera_type}`, camera: true },
          { name: topics.joints, type: 'sensor_msgs/msg/JointState' },
          ...(topics.eePose ? [{ name: topics.eePose, type: 'geometry_msgs/msg/PoseStamped' }] : []),
        ],
        camera: { rateHz: p.rate_hz },
        onError: (error) => {
          recorderHealth.error = error.message;
          logger.error(error.message);
        },
      });
      for (const r of recorder.recovery.recovered)
        logger.warn(`recovered episode ${r.id}, which an earlier run left unfinished (${r.steps} steps)`);
      const names = loaded.policy.actions.spec.names;
      const actions = ActionPublisher.create(rcl, node, {
        type: p.action_type as ActionType,
        topic: p.action_topic,
        gripperTopic: p.gripper_topic,
        names,
        rateHz: p.rate_hz,
        frame: p.action_frame,
        policyId: loaded.policy.id,
      });
      const status = node.createPublisher('grape/msg/EpisodeStatus', '~/status', { qos: statusQos(rcl) });
      const config: PolicyNodeConfig = {
        rateHz: p.rate_hz,
        dryRun: p.dry_run,
        staleTimeoutS: p.stale_timeout,
        maxSteps: p.max_steps,
        limits: {
          maxTranslation: p.max_translation,
          maxRotation: p.max_rotation,
          ...(p.workspace_min.length > 0 ? { workspace: workspaceOf(p) } : {}),
        },
        topics,
        needsEePose,
        eeDeltaActions: isEeDeltaAction(names),
        recordFeatures: p.record_features,
      };
      const rosNode = new RosPolicyNode({
        rcl,
        node,
        parameters,
        loaded,
        modelDir,
        dataDir,
        config,
        recorder,
        recorderHealth,
        actions,
        transport: new RosTransport(actions, status, logger),
        hooks,
      });
      rosNode.subscribe(p);
      advertiseEpisodeServices(node, rosNode, { dryRun: p.dry_run, logger });
      rosNode.startTimers();
      logger.info(
        `running ${loaded.policy.id} at ${p.rate_hz} Hz on ${topics.camera} + ${topics.joints}` +
          `${topics.eePose ? ` + ${topics.eePose}` : ''}; actions: ${p.action_type} on ${p.action_topic}` +
          `${p.dry_run ? ' (dry run: none is published)' : ''}; recording to ${dataDir}`,
      );
      return rosNode;
    } catch (error) {
      await recorder?.close();
      await loaded.policy.dispose();
      throw error;
    }
  }

  /** The node clock now, ns (ROS time: /clock under use_sim_time). */
  private nowNs(): bigint {
    return this.node.now().nanoseconds;
  }

  private subscribe(p: Readonly<PolicyNodeParameters>): void {
    const qos = sensorQos(this.parts.rcl);
    const logger = this.node.getLogger();
    // `deliver` gets a message of `type` (as rclnodejs or the CDR decoder made it).
    const input = (
      type: string,
      topic: string,
      deliver: (message: unknown, at: bigint, raw?: Uint8Array) => void,
    ) => {
      if (!p.raw_subscriptions) {
        this.node.createSubscription(type, topic, { qos }, (message: object) => {
          deliver(message, this.nowNs());
        });
        return;
      }
      const decoder = new CdrMessageDecoder(type);
      let lastError = '';
      this.node.createSubscription(type, topic, { qos, isRaw: true }, (buffer: Buffer) => {
        const at = this.nowNs();
        const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        let message: unknown;
        try {
          message = decoder.decode(bytes);
        } catch (error) {
          const reason = `${topic}: ${(error as Error).message}`;
          if (reason !== lastError) logger.error(reason); // once per distinct error, not per message
          lastError = reason;
          return;
        }
        deliver(message, at, bytes);
      });
    };
    input(`sensor_msgs/msg/${p.camera_type}`, p.camera_topic, (m, at, raw) => {
      this.core.onImage(m as Image | CompressedImage, at, raw);
    });
    input('sensor_msgs/msg/JointState', p.joint_states_topic, (m, at, raw) => {
      this.core.onJointState(m as JointState, at, raw);
    });
    if (p.ee_pose_topic)
      input('geometry_msgs/msg/PoseStamped', p.ee_pose_topic, (m, at, raw) => {
        this.core.onEePose(m as PoseStamped, at, raw);
      });
  }

  private startTimers(): void {
    const period = BigInt(Math.round(1e9 / this.parts.config.rateHz));
    this.timers.push(
      this.node.createTimer(period, () => {
        this.tick();
      }),
    );
    const diagnostics = this.node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', {
      qos: statusQos(this.parts.rcl),
    });
    this.timers.push(
      this.node.createTimer(DIAGNOSTICS_PERIOD_NS, () => {
        this.followJob();
        const job = this.jobDiagnostics();
        diagnostics.publish(
          diagnosticsOf(this.core.status(), {
            header: { stamp: this.stamp(), frame_id: '' },
            nodeName: this.node.getFullyQualifiedName(),
            ...(this.parts.recorderHealth.error ? { recorderError: this.parts.recorderHealth.error } : {}),
            ...(job ? { job } : {}),
          }),
        );
      }),
    );
  }

  private stamp(): Time {
    return timeFromNanoseconds(this.nowNs());
  }

  /** One control tick; a tick while the last one runs is handed to the core, which counts it as an overrun. */
  private tick(): void {
    const tick = this.core.tick(this.nowNs()).then(
      () => undefined,
      (error: unknown) => {
        this.node.getLogger().error(`control step failed: ${(error as Error).message}`);
      },
    );
    this.ticking ??= tick.finally(() => {
      this.ticking = undefined;
    });
  }

  /** Waits for a running control step, so that nothing it publishes lands after what follows. */
  private async settle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  async startEpisode(request: {
    taskId: string;
    instruction: string;
    operator: string;
    seed?: number;
  }): Promise<Episode> {
    const { parameters } = this.parts;
    const taskId = request.taskId || parameters.current('task_id');
    const instruction = request.instruction || parameters.current('instruction');
    const operator = request.operator || parameters.current('operator');
    if (!taskId) throw new Error('no task id: give task_id in the request or set the task_id parameter');
    if (!instruction)
      throw new Error('no instruction: give instruction in the request or set the instruction parameter');
    this.parts.recorderHealth.error = undefined;
    this.session ??= this.recorder.index.startSession(operator ? { operator } : {});
    return this.core.startEpisode(
      {
        taskId,
        instruction,
        sessionId: this.session.id,
        ...(operator ? { operator } : {}),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
      },
      this.nowNs(),
    );
  }

  async endEpisode(outcome: Outcome, notes: string): Promise<Episode> {
    await this.settle();
    return this.core.endEpisode(outcome, notes || undefined, this.nowNs());
  }

  async endSession(request: { notes: string; train: boolean }): Promise<SessionEnd> {
    if (this.core.episodeId) await this.endEpisode('aborted', 'the session ended during the episode');
    const session = this.session;
    if (!session)
      return { sessionId: '', episodes: 0, jobId: '', message: 'no episode was recorded in this session' };
    this.session = undefined;
    this.recorder.index.endSession(session.id);
    const episodes = this.recorder.index.episodes({ sessionId: session.id }).length;
    let job = { jobId: '', message: 'training not requested' };
    if (request.train) job = await this.startJob(session.id, request.notes);
    return {
      sessionId: session.id,
      episodes,
      jobId: job.jobId,
      message: `session ${session.id} ended with ${episodes} episode(s); ${job.message}`,
    };
  }

  /** Starts the between-session job of an ended session; says why when none is started. */
  private async startJob(sessionId: string, notes: string): Promise<{ jobId: string; message: string }> {
    const { hooks, parameters, dataDir, modelDir } = this.parts;
    const logger = this.node.getLogger();
    if (!hooks.jobs)
      return {
        jobId: '',
        message:
          'no job runner is wired to this node: run grape session end --session ' +
          `${sessionId} to score, pair and train`,
      };
    try {
      const autoPromote = parameters.current('auto_promote');
      const started = await hooks.jobs.start({
        dataDir,
        modelDir,
        sessionId,
        notes,
        objective: parameters.current('objective') as Objective,
        ...(autoPromote ? { autoPromote } : {}),
      });
      this.job = { id: started.jobId };
      logger.info(started.message);
      return started;
    } catch (error) {
      const message = `no job started: ${(error as Error).message}`;
      logger.warn(`session ${sessionId}: ${message}`);
      return { jobId: '', message };
    }
  }

  /**
   * Checks on the job this node started (once a second): reports its end on ~/status and in the
   * log — the candidate and how to promote it, or why it failed — and loads a promoted candidate
   * as soon as no episode runs.
   */
  private followJob(): void {
    const job = this.job;
    const jobs = this.parts.hooks.jobs;
    if (!job || !jobs) return;
    if (job.state === undefined || !isEnded(job.state.status)) {
      let state: SessionJobState | undefined;
      try {
        state = jobs.state(this.parts.dataDir, job.id);
      } catch (error) {
        state = { jobId: job.id, status: 'failed', message: `job ${job.id}: ${(error as Error).message}` };
      }
      if (!state) return;
      const ended = isEnded(state.status);
      job.state = state;
      if (ended) this.jobEnded(job, state);
    }
    if (job.reloadPending && !this.core.episodeId && !this.reloading) {
      job.reloadPending = false;
      this.reloading = this.reloadPolicy('')
        .then(
          (policyId) => {
            this.notify(`running ${policyId}, promoted by job ${job.id}`);
          },
          (error: unknown) => {
            this.notify(`could not load the promoted checkpoint: ${(error as Error).message}`, 'warn');
          },
        )
        .finally(() => {
          this.reloading = undefined;
        });
    }
  }

  private jobEnded(job: FollowedJob, state: SessionJobState): void {
    const c = state.candidate;
    if (state.status !== 'succeeded') {
      this.notify(`job ${job.id} ${state.status}: ${state.message}`, 'warn');
      return;
    }
    if (!c) {
      this.notify(`job ${job.id} succeeded: ${state.message}`);
      return;
    }
    if (c.promoted) {
      job.reloadPending = true;
      this.notify(
        `candidate ${c.checkpointId} promoted by job ${job.id}: loading it before the next episode`,
      );
    } else {
      this.notify(
        `candidate ${c.checkpointId} ready: grape policy promote ${c.adapterId}, then ~/reload_policy`,
      );
    }
  }

  /** Says something on ~/status (the node's state as it is, this message) and in the log. */
  private notify(message: string, level: 'info' | 'warn' = 'info'): void {
    const logger = this.node.getLogger();
    if (level === 'warn') logger.warn(message);
    else logger.info(message);
    this.parts.transport.publishStatus({ ...this.core.status(), stamp: this.stamp(), message });
  }

  private jobDiagnostics(): JobDiagnostics | undefined {
    const state = this.job?.state;
    if (!this.job || !state) return undefined;
    return {
      id: this.job.id,
      status: state.status,
      ...(state.step ? { step: state.step } : {}),
      message: state.message,
      ...(state.candidate
        ? { candidate: state.candidate.checkpointId, promoted: state.candidate.promoted }
        : {}),
    };
  }

  async reloadPolicy(checkpointId: string): Promise<string> {
    if (this.core.episodeId) throw new Error(`episode ${this.core.episodeId} is running: end it first`);
    const { hooks, modelDir, dataDir, recorder, transport, config, actions } = this.parts;
    const adapter = async () =>
      checkpointId === ''
        ? ((await resolvePromotedCheckpoint(dataDir, modelDir)).adapterId ?? '')
        : checkpointId;
    const loaded = await (hooks.loadCheckpoint
      ? hooks.loadCheckpoint(checkpointId)
      : loadPolicy(modelDir, policyOptions(this.parts.parameters.initial, await adapter())));
    const before = this.policy.actions.spec.names.join(' ');
    const after = loaded.policy.actions.spec.names.join(' ');
    const problem = this.core.episodeId
      ? `episode ${this.core.episodeId} started while the checkpoint loaded: end it and reload again`
      : after !== before
        ? `checkpoint '${checkpointId}' acts in ${after}, the running policy in ${before}`
        : undefined;
    if (problem) {
      await loaded.policy.dispose();
      throw new Error(problem);
    }
    await this.settle();
    const previous = this.policy;
    this.policy = loaded.policy;
    this.core = new PolicyNode(loaded.policy, recorder, transport, config);
    actions.policyId = loaded.policy.id;
    await previous.dispose();
    this.node.getLogger().info(`running ${loaded.policy.id}`);
    return loaded.policy.id;
  }

  /**
   * Stops driving the robot: stops the control loop, publishes the hold action (unless dry_run),
   * closes a running episode as aborted, and flushes the recorder. Idempotent.
   */
  shutdown(reason: string): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) timer.cancel();
      await this.reloading;
      await this.settle();
      if (!this.parts.config.dryRun) this.parts.actions.hold(this.stamp());
      if (this.core.episodeId)
        await this.core.endEpisode('aborted', `the node shut down (${reason})`, this.nowNs());
      await this.recorder.close();
      await this.policy.dispose();
    })();
    return this.closing;
  }
}

function isEnded(status: SessionJobState['status']): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/** How the policy is loaded: on `device`, the adapter `checkpoint` ('' or 'base': the package's own head), sampling. */
function policyOptions(p: Readonly<PolicyNodeParameters>, checkpoint: string): LoadPolicyOptions {
  return {
    device: p.device,
    ...(checkpoint && checkpoint !== BASE_CHECKPOINT ? { adapter: checkpoint } : {}),
    sampling: { greedy: p.greedy, temperature: p.temperature, topK: p.top_k },
  };
}

/** Whether the model takes the end-effector pose; throws for an input grape_policy cannot give it. */
function checkObservation(
  loaded: LoadedPolicy,
  modelDir: string,
  p: Readonly<PolicyNodeParameters>,
): boolean {
  const observation = loaded.package.manifest.observation;
  if (observation.depth)
    throw new Error(`model ${modelDir} takes a depth image, which grape_policy does not subscribe to yet`);
  const needsEePose = observation.endEffector !== undefined;
  if (needsEePose && p.ee_pose_topic === '')
    throw new Error(`model ${modelDir} takes the end-effector pose: set ee_pose_topic`);
  return needsEePose;
}

function workspaceOf(p: Readonly<PolicyNodeParameters>): WorkspaceBox {
  const corner = (v: number[]) => [v[0]!, v[1]!, v[2]!] as const;
  return { min: corner(p.workspace_min), max: corner(p.workspace_max) };
}
