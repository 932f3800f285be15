// The head a training run starts from, and what its checkpoint stores. Adapters apply to the
// package's own head (head.safetensors): a LoRA adapter carries factors and biases, a full one
// every parameter. So a LoRA run from the base head, or from a LoRA checkpoint of the same rank and
// alpha (whose factors it continues), is stored as LoRA; a LoRA run on top of anything else (a full
// checkpoint, a LoRA one of another rank) trains fresh factors on the parent's merged weights and
// is stored merged, as a full head.
import { headParameters, type HeadSpec, type LoraSpec } from '../native/head-types.js';
import type { LoadedAdapter, ModelPackage } from '../policy/model-package.js';
import { seededUniform } from '../policy/default-model/seeded-weights.js';

export type Trainable = 'lora' | 'full';

export interface InitialHead {
  spec: HeadSpec;
  parameters: Record<string, Float32Array>;
  /** How the trained head is stored. */
  storeAs: Trainable;
}

/** Stream of the seeded LoRA draws (the default model's own weights use streams 1…). */
const LORA_STREAM = 1 << 20;

/** Weights with W += (alpha / rank) · B · A for every LoRA layer; factors dropped. */
export function mergeLora(
  spec: HeadSpec,
  params: Readonly<Record<string, Float32Array>>,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const p of headParameters({ ...spec, lora: undefined }))
    out[p.name] = Float32Array.from(params[p.name]!);
  if (!spec.lora) return out;
  const { rank, alpha } = spec.lora;
  for (const p of headParameters(spec).filter((q) => q.name.endsWith('.weight'))) {
    const prefix = p.name.slice(0, -'.weight'.length);
    const a = params[`${prefix}.lora_A`]!;
    const b = params[`${prefix}.lora_B`]!;
    const [rows, cols] = p.shape as [number, number];
    const w = out[p.name]!;
    for (let o = 0; o < rows; o++)
      for (let k = 0; k < rank; k++) {
        const coef = (alpha / rank) * b[o * rank + k]!;
        if (coef === 0) continue;
        for (let i = 0; i < cols; i++) w[o * cols + i]! += coef * a[k * cols + i]!;
      }
  }
  return out;
}

/** PEFT's initialization: A uniform ±1/√in (kaiming_uniform, a = √5), B zero, so the head starts unchanged. */
function freshFactors(spec: HeadSpec, seed: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  headParameters(spec)
    .filter((p) => p.lora)
    .forEach((p, i) => {
      const count = p.shape[0]! * p.shape[1]!;
      out[p.name] = p.name.endsWith('lora_A')
        ? seededUniform(count, 1 / Math.sqrt(p.shape[1]!), seed, LORA_STREAM + i)
        : new Float32Array(count);
    });
  return out;
}

/** The parent checkpoint's head as plain weights (LoRA merged in). */
function parentWeights(pkg: ModelPackage, parent: LoadedAdapter | undefined): Record<string, Float32Array> {
  if (!parent) return pkg.headParameters;
  return mergeLora(parent.spec, { ...pkg.headParameters, ...parent.parameters });
}

export function initialHead(
  pkg: ModelPackage,
  parent: LoadedAdapter | undefined,
  trainable: Trainable,
  lora: LoraSpec,
  seed: number,
): InitialHead {
  if (trainable === 'full')
    return { spec: pkg.headSpec, parameters: parentWeights(pkg, parent), storeAs: 'full' };
  const spec: HeadSpec = { ...pkg.headSpec, lora };
  const continues =
    parent?.info.kind === 'lora' &&
    parent.info.lora?.rank === lora.rank &&
    parent.info.lora.alpha === lora.alpha;
  if (continues)
    return {
      spec,
      parameters: { ...pkg.headParameters, ...freshFactors(spec, seed), ...parent.parameters },
      storeAs: 'lora',
    };
  return {
    spec,
    parameters: { ...parentWeights(pkg, parent), ...freshFactors(spec, seed) },
    storeAs: parent ? 'full' : 'lora',
  };
}

/** The tensors a checkpoint stores: LoRA factors and biases, or the whole (merged) head. */
export function checkpointParameters(
  initial: InitialHead,
  trained: Readonly<Record<string, Float32Array>>,
): Record<string, Float32Array> {
  if (initial.storeAs === 'full') return mergeLora(initial.spec, trained);
  return Object.fromEntries(
    headParameters(initial.spec)
      .filter((p) => p.lora || p.name.endsWith('.bias'))
      .map((p) => [p.name, trained[p.name]!]),
  );
}
