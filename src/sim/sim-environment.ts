// The embedded simulator: a Franka Panda at a table with a task's objects, driven by 7-dim OpenVLA-style
// end-effector actions at 10 Hz and observed through a ray-cast RGB camera, joint states and the
// end-effector pose. Transport-independent (plain ROS message shapes, no ROS); deterministic per
// (task, seed, split).
//
// Actions are described in action-space.ts. Differential IK turns each action's target TCP pose into
// joint targets that the arm's position actuators (with gravity compensation) reach over the control
// step's physics steps.
import type { MjData, MjModel } from 'mujoco-js';

import {
  timeFromNanoseconds,
  type Image,
  type JointState,
  type PoseStamped,
  type Time,
} from '../messages/ros-messages.js';
import {
  ACTION_DIMS,
  CONTROL_HZ,
  GRIPPER_CLOSE_ACTION,
  GRIPPER_OPEN_ACTION,
  MAX_ROTATION_STEP,
  MAX_TRANSLATION_STEP,
  TCP_WORKSPACE,
} from './action-space.js';
import { ContactMonitor } from './contact-monitor.js';
import { DifferentialIk } from './differential-ik.js';
import { loadMujocoRuntime, VFS_MODEL_DIR, VFS_ROBOT_FILE, type Mujoco } from './mujoco-runtime.js';
import {
  ARM_ACTUATORS,
  ARM_JOINTS,
  ARM_LINK_BODIES,
  GRIPPER_ACTUATOR,
  GRIPPER_CLOSED_CTRL,
  GRIPPER_OPEN_CTRL,
  FINGER_JOINTS,
  FINGER_MAX,
  JOINT_NAMES,
  MIN_GRASP_WIDTH,
  READY_ARM_QPOS,
  TCP_SITE,
} from './panda-robot.js';
import { CAMERA_RESOLUTION, RayCastCamera, type CameraPose } from './ray-cast-camera.js';
import { quatFromEuler, quatFromMatrix, quatMultiply, quatNormalize, type Vec3 } from './rotation.js';
import type { SceneSpec } from './scene-spec.js';
import { sceneXml } from './scene-xml.js';
import { SeededRandom } from './seeded-random.js';
import type { SplitName } from './splits.js';
import type { BodyPose, StepSignals } from './step-signals.js';
import { createTaskEpisode, type TaskEpisode } from './task-episode.js';
import type { TaskRoles } from './task-spec.js';

export const WORLD_FRAME_ID = 'panda_link0';

/** Physics steps at reset, holding the start pose, so objects settle on their supports. */
const SETTLE_STEPS = 100;
/**
 * Contacts are read every this many physics steps (10 ms): a touch lasts longer than that, and reading
 * them every 2 ms step made up a quarter of a control step's time.
 */
const CONTACT_SAMPLE_EVERY = 5;
/** MuJoCo's mjNGAIN and mjNBIAS: the stride of actuator_gainprm and actuator_biasprm. */
const MJ_NGAIN = 10;
const MJ_NBIAS = 10;
/** Per-joint spread of the start pose around the ready posture, rad. */
const START_JOINT_NOISE = 0.02;

export interface SimOptions {
  /** camera width and height, px */
  cameraResolution?: number;
  cameraPose?: CameraPose;
}

export interface EpisodeInfo {
  taskId: string;
  seed: number;
  split: SplitName;
  instruction: string;
  /** control steps before the episode times out */
  horizon: number;
  roles: TaskRoles;
}

export interface Observation {
  image: Image;
  joints: JointState;
  eePose: PoseStamped;
  /** simulated seconds since reset */
  time: number;
}

export interface StepResult {
  signals: StepSignals;
  /** the task's success predicate on the state after this step */
  success: boolean;
  /** success, or the horizon reached */
  done: boolean;
  /** part of the action exceeded the per-step limits or the TCP workspace and was cut back */
  clamped: boolean;
}

interface Loaded {
  xml: string;
  model: MjModel;
  data: MjData;
  ik: DifferentialIk;
  tcpSite: number;
  armActuators: number[];
  /** per arm actuator, its damping over its stiffness (s): the lead a moving setpoint needs to be tracked */
  armVelocityLead: number[];
  gripperActuator: number;
  armLinkGeoms: number[];
}

interface Episode {
  info: EpisodeInfo;
  task: TaskEpisode;
  camera: RayCastCamera;
  contacts: ContactMonitor;
  signals: StepSignals;
  /** the arm's joint position setpoints (the last IK goal), without the velocity feedforward */
  jointSetpoint: number[];
}

export class SimEnvironment {
  private loaded: Loaded | undefined;
  private current: Episode | undefined;

  private constructor(
    private readonly mj: Mujoco,
    private readonly options: SimOptions,
  ) {}

  static async create(options: SimOptions = {}): Promise<SimEnvironment> {
    return new SimEnvironment(await loadMujocoRuntime(), options);
  }

  /** Starts an episode of `taskId` from the initial state of `seed` in `split`. */
  reset(taskId: string, seed: number, split: SplitName = 'in-domain'): EpisodeInfo {
    const task = createTaskEpisode(taskId, seed, split);
    const { setup } = task;
    const { model, data } = this.load(sceneXml(setup.scene, VFS_ROBOT_FILE));
    this.endEpisode();
    const mj = this.mj;
    mj.mj_resetData(model, data);
    const noise = new SeededRandom('grape-sim robot', taskId, seed);
    const start = READY_ARM_QPOS.map((q) => q + noise.uniform(-START_JOINT_NOISE, START_JOINT_NOISE));
    this.writeJoints(model, data, ARM_JOINTS, start);
    this.writeJoints(model, data, FINGER_JOINTS, [FINGER_MAX, FINGER_MAX]);
    const { armActuators, gripperActuator } = this.loaded!;
    const ctrl = data.ctrl as Float64Array;
    armActuators.forEach((a, j) => (ctrl[a] = start[j]!));
    ctrl[gripperActuator] = GRIPPER_OPEN_CTRL;
    // Free bodies and mocap bodies are placed after the reset, which would overwrite them.
    for (const [name, pose] of Object.entries(setup.objectPoses)) this.placeFreeBody(model, data, name, pose);
    for (const [name, pose] of Object.entries(setup.fixturePoses))
      this.placeMocapBody(model, data, name, pose);
    mj.mj_forward(model, data);
    for (let i = 0; i < SETTLE_STEPS; i++) mj.mj_step(model, data);
    data.time = 0;
    mj.mj_forward(model, data);

    const info: EpisodeInfo = {
      taskId: task.task.id,
      seed,
      split,
      instruction: setup.instruction,
      horizon: task.task.horizon,
      roles: setup.roles,
    };
    const camera = new RayCastCamera(mj, model, {
      width: this.options.cameraResolution ?? CAMERA_RESOLUTION,
      height: this.options.cameraResolution ?? CAMERA_RESOLUTION,
      lighting: setup.scene.lighting,
      background: setup.scene.background,
      shadowless: this.loaded!.armLinkGeoms,
      ...(this.options.cameraPose ? { pose: this.options.cameraPose } : {}),
    });
    const contacts = new ContactMonitor(mj, model, setup.scene, setup.roles.target);
    contacts.sample(data);
    const signals = this.readSignals(setup.scene, 0, 0, 'open', contacts);
    this.current = { info, task, camera, contacts, signals, jointSetpoint: start };
    return info;
  }

  get episode(): EpisodeInfo {
    return this.active().info;
  }

  /** The task instance behind the current episode (scene, predicates, expert plan). */
  get taskEpisode(): TaskEpisode {
    return this.active().task;
  }

  /** Camera image, joint states and end-effector pose now. */
  observe(): Observation {
    const episode = this.active();
    const { data } = this.loaded!;
    const stamp = timeOf(data.time);
    const ee = episode.signals.ee;
    return {
      image: episode.camera.render(data, stamp),
      joints: this.jointState(stamp),
      eePose: {
        header: { stamp, frame_id: WORLD_FRAME_ID },
        pose: {
          position: { x: ee.position[0], y: ee.position[1], z: ee.position[2] },
          orientation: {
            w: ee.orientation[0],
            x: ee.orientation[1],
            y: ee.orientation[2],
            z: ee.orientation[3],
          },
        },
      },
      time: data.time,
    };
  }

  /** Executes one action over a control period (1 / CONTROL_HZ s of physics). */
  step(action: ArrayLike<number>): StepResult {
    const episode = this.active();
    if (action.length !== ACTION_DIMS) {
      throw new Error(`an action has ${ACTION_DIMS} numbers (Δxyz, Δrpy, gripper), got ${action.length}`);
    }
    for (let i = 0; i < ACTION_DIMS; i++) {
      if (!Number.isFinite(action[i])) throw new Error(`action[${i}] is ${action[i]}, not a finite number`);
    }
    const mj = this.mj;
    const { model, data, ik, armActuators, armVelocityLead, gripperActuator } = this.loaded!;
    let clamped = false;
    const limit = (v: number, max: number) => {
      const c = Math.min(max, Math.max(-max, v));
      if (c !== v) clamped = true;
      return c;
    };
    // Deltas apply to the measured pose, what the policy observes: a target the arm had not reached
    // (held back by a contact) would be state no observation shows.
    const base = episode.signals.ee;
    const position = [0, 1, 2].map((i) => {
      const want = base.position[i]! + limit(action[i]!, MAX_TRANSLATION_STEP);
      const kept = Math.min(TCP_WORKSPACE.max[i]!, Math.max(TCP_WORKSPACE.min[i]!, want));
      if (kept !== want) clamped = true;
      return kept;
    }) as Vec3;
    const turn = quatFromEuler(
      limit(action[3]!, MAX_ROTATION_STEP),
      limit(action[4]!, MAX_ROTATION_STEP),
      limit(action[5]!, MAX_ROTATION_STEP),
    );
    const goal = ik.solve(data, position, quatNormalize(quatMultiply(turn, base.orientation)));
    const gripper = action[6]! >= (GRIPPER_CLOSE_ACTION + GRIPPER_OPEN_ACTION) / 2 ? 'close' : 'open';
    const startQ = episode.jointSetpoint;
    episode.contacts.clear();
    const substeps = Math.round(1 / (CONTROL_HZ * model.opt.timestep));
    for (let k = 1; k <= substeps; k++) {
      // Joint targets move linearly from the last goal to the new one: smooth motion, no torque spikes.
      // The servos are damped (kv/kp = 0.1 s, a whole control period): without velocity feedforward the
      // arm would trail its setpoint by most of a step, a lag no single observation shows.
      const ctrl = data.ctrl as Float64Array;
      armActuators.forEach((a, j) => {
        const span = goal[j]! - startQ[j]!;
        ctrl[a] = startQ[j]! + (span * k) / substeps + armVelocityLead[j]! * span * CONTROL_HZ;
      });
      ctrl[gripperActuator] = gripper === 'close' ? GRIPPER_CLOSED_CTRL : GRIPPER_OPEN_CTRL;
      mj.mj_step(model, data);
      if (k % CONTACT_SAMPLE_EVERY === 0) episode.contacts.sample(data);
    }
    episode.jointSetpoint = Array.from(goal);
    mj.mj_forward(model, data);
    const previous = episode.signals;
    const scene = episode.task.setup.scene;
    const signals = this.readSignals(
      scene,
      previous.step + 1,
      previous.pathLength,
      gripper,
      episode.contacts,
    );
    const [x0, y0, z0] = previous.ee.position;
    const [x1, y1, z1] = signals.ee.position;
    signals.pathLength += Math.hypot(x1 - x0, y1 - y0, z1 - z0);
    episode.signals = signals;
    const success = episode.task.setup.success(signals);
    return { signals, success, done: success || signals.step >= episode.info.horizon, clamped };
  }

  /** The live MuJoCo module, model and data, for benchmarks and debugging (valid until the next reset). */
  physics(): { mj: Mujoco; model: MjModel; data: MjData } {
    this.active();
    const { model, data } = this.loaded!;
    return { mj: this.mj, model, data };
  }

  /** The signals after the last step (or the reset). */
  signals(): StepSignals {
    return this.active().signals;
  }

  close(): void {
    this.endEpisode();
    if (this.loaded) {
      this.loaded.ik.delete();
      this.loaded.data.delete();
      this.loaded.model.delete();
      this.loaded = undefined;
    }
  }

  private active(): Episode {
    if (!this.current) throw new Error('no episode: call reset(task, seed, split) first');
    return this.current;
  }

  private endEpisode(): void {
    if (!this.current) return;
    this.current.camera.delete();
    this.current.contacts.delete();
    this.current = undefined;
  }

  /** Compiles the scene unless it is the one already loaded (episodes of one scene share a model). */
  private load(xml: string): Loaded {
    if (this.loaded?.xml === xml) return this.loaded;
    this.close();
    const mj = this.mj;
    const file = `${VFS_MODEL_DIR}/scene.xml`;
    mj.FS.writeFile(file, xml);
    // loadFromXML prints the parser's message and returns null rather than throwing.
    const model = mj.MjModel.loadFromXML(file) as MjModel | null;
    if (!model) throw new Error('MuJoCo could not compile the scene (its message is on stderr)');
    const data = new mj.MjData(model);
    const id = (type: { value: number }, name: string) => {
      const found = mj.mj_name2id(model, type.value, name);
      if (found < 0) throw new Error(`the scene has no ${name}`);
      return found;
    };
    const armActuators = ARM_ACTUATORS.map((name) => id(mj.mjtObj.mjOBJ_ACTUATOR, name));
    // Position servos: force = kp·ctrl + biasprm[1]·q + biasprm[2]·q̇ with biasprm = (0, -kp, -kv).
    // Read now: the views go stale when WebAssembly memory grows (as the IK's allocation may make it).
    const gain = model.actuator_gainprm as Float64Array;
    const bias = model.actuator_biasprm as Float64Array;
    const armVelocityLead = armActuators.map((a) => -bias[a * MJ_NBIAS + 2]! / gain[a * MJ_NGAIN]!);
    this.loaded = {
      xml,
      model,
      data,
      ik: new DifferentialIk(mj, model),
      tcpSite: id(mj.mjtObj.mjOBJ_SITE, TCP_SITE),
      armActuators,
      armVelocityLead,
      gripperActuator: id(mj.mjtObj.mjOBJ_ACTUATOR, GRIPPER_ACTUATOR),
      armLinkGeoms: armLinkGeoms(
        model,
        ARM_LINK_BODIES.map((name) => id(mj.mjtObj.mjOBJ_BODY, name)),
      ),
    };
    return this.loaded;
  }

  private readSignals(
    scene: SceneSpec,
    step: number,
    pathLength: number,
    command: 'open' | 'close',
    contacts: ContactMonitor,
  ): StepSignals {
    const { model, data, tcpSite: site } = this.loaded!;
    const mj = this.mj;
    const xpos = data.xpos as Float64Array;
    const xquat = data.xquat as Float64Array;
    const qvel = data.qvel as Float64Array;
    const bodyPose = (name: string): BodyPose => {
      const b = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, name);
      return {
        position: [xpos[3 * b]!, xpos[3 * b + 1]!, xpos[3 * b + 2]!],
        orientation: [xquat[4 * b]!, xquat[4 * b + 1]!, xquat[4 * b + 2]!, xquat[4 * b + 3]!],
      };
    };
    const objects = Object.fromEntries(
      scene.objects.map((o) => {
        const dof = (model.jnt_dofadr as Int32Array)[
          mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, o.name)
        ]!;
        return [
          o.name,
          { ...bodyPose(o.name), velocity: [qvel[dof]!, qvel[dof + 1]!, qvel[dof + 2]!] as Vec3 },
        ];
      }),
    );
    const fingers = this.readJoints(model, data, FINGER_JOINTS);
    const width = fingers[0]! + fingers[1]!;
    const sitePos = (data.site_xpos as Float64Array).subarray(3 * site, 3 * site + 3);
    return {
      step,
      time: data.time,
      ee: {
        position: [sitePos[0]!, sitePos[1]!, sitePos[2]!],
        orientation: quatFromMatrix((data.site_xmat as Float64Array).subarray(9 * site, 9 * site + 9)),
      },
      gripper: { command, width, grasped: width >= MIN_GRASP_WIDTH ? contacts.grasped() : null },
      objects,
      fixtures: Object.fromEntries(scene.fixtures.map((f) => [f.name, bodyPose(f.name)])),
      contacts: contacts.records(),
      pathLength,
    };
  }

  private jointState(stamp: Time): JointState {
    const { model, data } = this.loaded!;
    const mj = this.mj;
    const ids = JOINT_NAMES.map((n) => mj.mj_name2id(model, mj.mjtObj.mjOBJ_JOINT.value, n));
    const qposAdr = model.jnt_qposadr as Int32Array;
    const dofAdr = model.jnt_dofadr as Int32Array;
    const qpos = data.qpos as Float64Array;
    const qvel = data.qvel as Float64Array;
    const effort = data.qfrc_actuator as Float64Array;
    return {
      header: { stamp, frame_id: WORLD_FRAME_ID },
      name: [...JOINT_NAMES],
      position: Float64Array.from(ids, (j) => qpos[qposAdr[j]!]!),
      velocity: Float64Array.from(ids, (j) => qvel[dofAdr[j]!]!),
      effort: Float64Array.from(ids, (j) => effort[dofAdr[j]!]!),
    };
  }

  private readJoints(model: MjModel, data: MjData, names: readonly string[]): number[] {
    const qpos = data.qpos as Float64Array;
    return names.map((n) => qpos[(model.jnt_qposadr as Int32Array)[this.jointId(model, n)]!]!);
  }

  private writeJoints(
    model: MjModel,
    data: MjData,
    names: readonly string[],
    values: readonly number[],
  ): void {
    const qpos = data.qpos as Float64Array;
    names.forEach((n, i) => (qpos[(model.jnt_qposadr as Int32Array)[this.jointId(model, n)]!] = values[i]!));
  }

  private placeFreeBody(model: MjModel, data: MjData, name: string, pose: BodyPose): void {
    const adr = (model.jnt_qposadr as Int32Array)[this.jointId(model, name)]!;
    (data.qpos as Float64Array).set([...pose.position, ...pose.orientation], adr);
  }

  private placeMocapBody(model: MjModel, data: MjData, name: string, pose: BodyPose): void {
    const body = this.mj.mj_name2id(model, this.mj.mjtObj.mjOBJ_BODY.value, name);
    const mocap = body < 0 ? -1 : (model.body_mocapid as Int32Array)[body]!;
    if (mocap < 0) throw new Error(`${name} is not a fixture of this scene`);
    (data.mocap_pos as Float64Array).set(pose.position, 3 * mocap);
    (data.mocap_quat as Float64Array).set(pose.orientation, 4 * mocap);
  }

  private jointId(model: MjModel, name: string): number {
    const id = this.mj.mj_name2id(model, this.mj.mjtObj.mjOBJ_JOINT.value, name);
    if (id < 0) throw new Error(`no joint ${name} in the scene`);
    return id;
  }
}

function armLinkGeoms(model: MjModel, bodies: number[]): number[] {
  const bodyOf = model.geom_bodyid as Int32Array;
  return Array.from({ length: model.ngeom }, (_, g) => g).filter((g) => bodies.includes(bodyOf[g]!));
}

function timeOf(seconds: number): Time {
  return timeFromNanoseconds(BigInt(Math.round(seconds * 1e9)));
}
