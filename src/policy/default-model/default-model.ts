// The default model package (grape model init): the generated encoder for the embedded
// simulator's 96×96 camera and Panda arm, and a freshly initialized mlp head over OpenVLA's 7-dim
// action (end-effector deltas + gripper). Its head is untrained until SFT on expert demos.
import { headParameters, type HeadSpec } from '../../native/head-types.js';
import type { ModelManifest } from '../model-manifest.js';
import { MANIFEST_FORMAT } from '../model-manifest.js';
import type { PackageContents } from '../model-package.js';
import { headSpecOf } from '../model-package.js';
import {
  DEFAULT_ENCODER_CONFIG,
  ENCODER_INPUTS,
  ENCODER_OUTPUT,
  EMBEDDING_STREAM,
  buildDefaultEncoder,
  type DefaultEncoderConfig,
} from './default-encoder-graph.js';
import { PANDA_JOINT_NAMES } from './panda-kinematics.js';
import { seededUniform } from './seeded-weights.js';
import { MAX_ROTATION_STEP, MAX_TRANSLATION_STEP } from '../../sim/action-space.js';

export const DEFAULT_MODEL_NAME = 'grape-default';
export const DEFAULT_MODEL_VERSION = '1';
export const DEFAULT_HIDDEN = [512, 512];
export const DEFAULT_BINS = 65;

/**
 * The action's range (q01/q99) is the simulator's per-step limit, ±5 cm translation and ±0.3 rad
 * rotation (src/sim/action-space.ts), so no executable action — the scripted expert's included,
 * which moves up to 4 cm a step — is ever clipped. 65 bins give 1.5 mm and 9.2 mrad steps, finer than
 * a grasp needs: with 256 each bin of a few hundred demonstrations' actions had too few examples, and
 * the head's argmax fell back on the frequent ones (full speed, zero) instead of the offset it was
 * shown (docs/RESULTS.md). An odd count puts a bin centre on zero: with 64, "hold still" decoded to
 * +0.8 mm and +4.7 mrad a step on every axis, and a holding policy drifted centimetres.
 * Gripper: 0 = open, 1 = closed.
 */
export const DEFAULT_ACTION = {
  names: ['dx', 'dy', 'dz', 'droll', 'dpitch', 'dyaw', 'gripper'],
  q01: [
    -MAX_TRANSLATION_STEP,
    -MAX_TRANSLATION_STEP,
    -MAX_TRANSLATION_STEP,
    -MAX_ROTATION_STEP,
    -MAX_ROTATION_STEP,
    -MAX_ROTATION_STEP,
    0,
  ],
  q99: [
    MAX_TRANSLATION_STEP,
    MAX_TRANSLATION_STEP,
    MAX_TRANSLATION_STEP,
    MAX_ROTATION_STEP,
    MAX_ROTATION_STEP,
    MAX_ROTATION_STEP,
    1,
  ],
  binary: ['gripper'],
};

export function defaultManifest(
  config: DefaultEncoderConfig,
  features: number,
  blocks: ModelManifest['encoder']['blocks'],
): ModelManifest {
  const S = config.imageSize;
  return {
    format: MANIFEST_FORMAT,
    name: DEFAULT_MODEL_NAME,
    version: DEFAULT_MODEL_VERSION,
    description:
      "grape's default policy for the embedded simulator: a fixed, generated encoder (colour layout, " +
      'hue keypoints, Panda kinematics, hashed instruction words) and an mlp head trained by SFT in the addon.',
    controlRateHz: 10,
    action: {
      dims: DEFAULT_ACTION.names.length,
      names: DEFAULT_ACTION.names,
      bins: DEFAULT_BINS,
      binning: 'uniform',
      normalization: { q01: DEFAULT_ACTION.q01, q99: DEFAULT_ACTION.q99 },
      binary: DEFAULT_ACTION.binary,
    },
    observation: {
      image: {
        input: ENCODER_INPUTS.image,
        width: S,
        height: S,
        channels: 'rgb',
        resize: 'area',
        mean: [0, 0, 0],
        std: [1, 1, 1],
      },
      joints: { input: ENCODER_INPUTS.joints, names: PANDA_JOINT_NAMES },
    },
    instruction: {
      input: ENCODER_INPUTS.instruction,
      tokenizer: 'word-hash',
      vocabSize: config.vocabSize,
      maxTokens: config.maxTokens,
      ngrams: 2,
    },
    encoder: {
      output: ENCODER_OUTPUT,
      outputShape: [features],
      ...(blocks ? { blocks } : {}),
      generator: { name: 'grape-default-encoder', ...config },
    },
    head: { kind: 'mlp', inputDim: features, hidden: DEFAULT_HIDDEN, activation: 'gelu_tanh' },
  };
}

/** PyTorch's nn.Linear initialization (uniform ±1/√fan_in for weights and biases), seeded. */
export function initialHeadParameters(spec: HeadSpec, seed: number): Record<string, Float32Array> {
  const params = headParameters(spec).filter((p) => !p.lora);
  const shapes = new Map(params.map((p) => [p.name, p.shape]));
  return Object.fromEntries(
    params.map((p, i) => {
      const fanIn = shapes.get(p.name.replace(/\.bias$/, '.weight'))![1]!;
      const count = p.shape.reduce((a, b) => a * b, 1);
      return [p.name, seededUniform(count, 1 / Math.sqrt(fanIn), seed, EMBEDDING_STREAM + 1 + i)];
    }),
  );
}

/** Everything of the default package, from a seed. */
export function buildDefaultModel(seed = 0): PackageContents {
  const config: DefaultEncoderConfig = { ...DEFAULT_ENCODER_CONFIG, seed };
  const encoder = buildDefaultEncoder(config);
  const manifest = defaultManifest(config, encoder.features, encoder.blocks);
  return {
    manifest,
    encoder: encoder.onnx,
    head: initialHeadParameters(headSpecOf(manifest), seed),
    headMetadata: { checkpoint: 'base', objective: 'init', seed: String(seed) },
  };
}
