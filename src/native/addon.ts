// The one typed description of the native addon (native/addon/*.cc) and its loader. Raw handles
// stay in src/native: everything else uses ActionHead (head-types.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { HeadError } from './head-error.js';
import type { HalfDType, HeadSpec, ParameterInfo } from './head-types.js';
import type { HeadTrainer, TrainerConfig } from './trainer-types.js';

export interface BuildInfo {
  builder: 'cmake-js' | 'node-gyp';
  cuda: boolean;
  /** e.g. "80-real 86-real 89-real 90" (CMake spelling); empty without CUDA. */
  cudaArchitectures: string;
  compiler: string;
  /** CPU kernel sets compiled in, e.g. "generic avx2 avx512". */
  cpuKernels: string;
  napiVersion: number;
}

export interface DeviceSelection {
  requested: string;
  selected: string;
  reason: string;
}

type RawDType = 'float32' | HalfDType;

export interface RawHead {
  readonly spec: Required<Omit<HeadSpec, 'lora'>> & Pick<HeadSpec, 'lora'>;
  readonly device: string;
  readonly deviceReason: string;
  readonly disposed: boolean;
  parameterInfo(): ParameterInfo[];
  setParameters(params: Record<string, Float32Array>): Promise<void>;
  getParameters(): Promise<Record<string, Float32Array>>;
  logits(features: Float32Array | Uint16Array, steps: number, dtype: RawDType): Promise<Float32Array>;
  logLikelihood(
    features: Float32Array | Uint16Array,
    steps: number,
    dtype: RawDType,
    tokens: Int32Array,
    options: { perDim?: boolean; segments?: Int32Array; mask?: Uint8Array },
  ): Promise<{ steps: Float32Array; dims?: Float32Array; segments?: Float64Array }>;
  act(
    features: Float32Array | Uint16Array,
    steps: number,
    dtype: RawDType,
    options: { temperature?: number; topK?: number; seed?: number; firstStep?: number; perDim?: boolean },
  ): Promise<{ tokens: Int32Array; logp: Float32Array; dims?: Float32Array }>;
  dispose(): void;
}

/** The addon's Trainer: HeadTrainer's methods, with upload taking raw arrays. */
export type RawTrainer = Omit<HeadTrainer, 'spec' | 'upload'> & {
  upload(data: {
    features: Float32Array | Uint16Array;
    dtype: RawDType;
    steps: number;
    tokens: Int32Array;
    policyMask: Uint8Array;
    offsets: Int32Array;
  }): Promise<void>;
};

export interface Addon {
  Head: new (spec: HeadSpec, device?: string) => RawHead;
  Trainer: new (
    spec: HeadSpec,
    device: string,
    config: TrainerConfig,
    initial: Record<string, Float32Array>,
  ) => RawTrainer;
  buildInfo(): BuildInfo;
  selectDevice(device?: string): DeviceSelection;
}

export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the addon may be, in order: $GRAPE_ADDON, the cmake-js build, the node-gyp build. */
export function addonCandidates(): string[] {
  const fromEnv = process.env.GRAPE_ADDON;
  if (fromEnv) return [resolve(fromEnv)];
  return [join(packageRoot, 'build-cmake', 'Release', 'grape.node'), join(packageRoot, 'build', 'Release', 'grape.node')];
}

let loaded: { addon: Addon; path: string } | undefined;

export function loadAddon(): { addon: Addon; path: string } {
  if (loaded) return loaded;
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new HeadError(
      'GRAPE_ADDON_MISSING',
      `the native addon is not built (looked for ${candidates.join(', ')}); run \`npm install\` or \`npm run build:native\``,
    );
  }
  const require = createRequire(import.meta.url);
  loaded = { addon: require(path) as Addon, path };
  return loaded;
}
