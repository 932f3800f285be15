// One or more (observation, instruction) pairs → the encoder's named input tensors, as the manifest
// lays them out: image, optional depth, joint positions, optional end-effector pose, instruction ids.
import type { CompressedImage, Image, JointState, PoseStamped } from '../messages/ros-messages.js';
import type { EncoderFeeds } from './encoder.js';
import { DepthPreprocessor, ImagePreprocessor } from './image-preprocessor.js';
import { InstructionTokenizer } from './instruction-tokenizer.js';
import { JointSelector } from './joint-selector.js';
import type { EndEffectorSpec, ModelManifest } from './model-manifest.js';
import { PolicyInputError } from './policy-input-error.js';

/** What the robot observes at one control step, as ROS messages. */
export interface Observation {
  image: Image | CompressedImage;
  joints: JointState;
  /** Required when the manifest has observation.depth. */
  depth?: Image;
  /** Required when the manifest has observation.endEffector. */
  endEffector?: PoseStamped;
}

export interface ObservationStep {
  observation: Observation;
  instruction: string;
}

const POSE_VALUES = 7;
/** Instructions seldom change within a session: a few tokenizations are kept. */
const INSTRUCTION_CACHE = 16;

function writePose(msg: PoseStamped, spec: EndEffectorSpec, out: Float32Array, offset: number): void {
  const frame = msg.header.frame_id;
  if (spec.frame && frame && frame !== spec.frame)
    throw new PolicyInputError('endEffector', `pose is in frame '${frame}'; the model needs '${spec.frame}'`);
  const { position: p, orientation: q } = msg.pose;
  const values = [p.x, p.y, p.z, q.x, q.y, q.z, q.w];
  values.forEach((v, i) => {
    if (!Number.isFinite(v))
      throw new PolicyInputError('endEffector', `pose value ${i} (x y z qx qy qz qw) is ${v}`);
  });
  const norm = Math.hypot(q.x, q.y, q.z, q.w);
  if (Math.abs(norm - 1) > 1e-2)
    throw new PolicyInputError(
      'endEffector',
      `orientation is not a unit quaternion (norm ${norm.toFixed(4)})`,
    );
  values.forEach((v, i) => (out[offset + i] = i >= 3 ? v / norm : v));
}

export class ObservationPreprocessor {
  readonly image: ImagePreprocessor;
  readonly depth: DepthPreprocessor | undefined;
  readonly joints: JointSelector;
  readonly instruction: InstructionTokenizer;
  private readonly instructionIds = new Map<string, BigInt64Array>();

  constructor(readonly manifest: Readonly<ModelManifest>) {
    const o = manifest.observation;
    this.image = new ImagePreprocessor(o.image);
    this.depth = o.depth ? new DepthPreprocessor(o.depth) : undefined;
    this.joints = new JointSelector(o.joints.names);
    this.instruction = new InstructionTokenizer(manifest.instruction);
  }

  /** Token ids of an instruction (cached). */
  instructionTokens(instruction: string): BigInt64Array {
    let ids = this.instructionIds.get(instruction);
    if (!ids) {
      ids = this.instruction.encode(instruction);
      if (this.instructionIds.size >= INSTRUCTION_CACHE) this.instructionIds.clear();
      this.instructionIds.set(instruction, ids);
    }
    return ids;
  }

  /** The encoder feeds of a batch of steps (n = steps.length). */
  feeds(steps: readonly ObservationStep[]): EncoderFeeds {
    const n = steps.length;
    const { observation: o, instruction: ins } = this.manifest;
    const image = new Float32Array(n * this.image.size);
    const joints = new Float32Array(n * o.joints.names.length);
    const ids = new BigInt64Array(n * ins.maxTokens);
    const depth = this.depth ? new Float32Array(n * this.depth.size) : undefined;
    const pose = o.endEffector ? new Float32Array(n * POSE_VALUES) : undefined;
    steps.forEach(({ observation, instruction }, i) => {
      this.image.tensor(observation.image, image, i * this.image.size);
      this.joints.positions(observation.joints, joints, i * o.joints.names.length);
      ids.set(this.instructionTokens(instruction), i * ins.maxTokens);
      if (depth && this.depth) {
        if (!observation.depth)
          throw new PolicyInputError(
            'depth',
            'the model needs a depth image (observation.depth in policy.json)',
          );
        this.depth.tensor(observation.depth, depth, i * this.depth.size);
      }
      if (pose && o.endEffector) {
        if (!observation.endEffector)
          throw new PolicyInputError(
            'endEffector',
            'the model needs the end-effector pose (observation.endEffector in policy.json)',
          );
        writePose(observation.endEffector, o.endEffector, pose, i * POSE_VALUES);
      }
    });
    const feeds: EncoderFeeds = {
      [o.image.input]: {
        type: 'float32',
        data: image,
        dims: [n, this.image.channels, o.image.height, o.image.width],
      },
      [o.joints.input]: { type: 'float32', data: joints, dims: [n, o.joints.names.length] },
      [ins.input]: { type: 'int64', data: ids, dims: [n, ins.maxTokens] },
    };
    if (depth && o.depth)
      feeds[o.depth.input] = { type: 'float32', data: depth, dims: [n, 1, o.depth.height, o.depth.width] };
    if (pose && o.endEffector)
      feeds[o.endEffector.input] = { type: 'float32', data: pose, dims: [n, POSE_VALUES] };
    return feeds;
  }

  /** Feeds of one all-zero step with a one-word instruction: a warm-up run of the encoder. */
  warmupFeeds(): EncoderFeeds {
    const { observation: o, instruction: ins } = this.manifest;
    const ids = new BigInt64Array(ins.maxTokens);
    ids[0] = 1n;
    const feeds: EncoderFeeds = {
      [o.image.input]: {
        type: 'float32',
        data: new Float32Array(this.image.size),
        dims: [1, this.image.channels, o.image.height, o.image.width],
      },
      [o.joints.input]: {
        type: 'float32',
        data: new Float32Array(o.joints.names.length),
        dims: [1, o.joints.names.length],
      },
      [ins.input]: { type: 'int64', data: ids, dims: [1, ins.maxTokens] },
    };
    if (o.depth && this.depth)
      feeds[o.depth.input] = {
        type: 'float32',
        data: new Float32Array(this.depth.size),
        dims: [1, 1, o.depth.height, o.depth.width],
      };
    if (o.endEffector)
      feeds[o.endEffector.input] = {
        type: 'float32',
        data: Float32Array.of(0, 0, 0, 0, 0, 0, 1),
        dims: [1, POSE_VALUES],
      };
    return feeds;
  }
}
