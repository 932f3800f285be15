// Wiring: a model package directory → a ready Policy, with the action head in the native addon
// and the encoder in onnxruntime-node (worker thread). Both are warmed up before it is returned.
import { stepFeatures } from '../native/head-types.js';
import { NativeActionHead } from '../native/native-head.js';
import {
  loadModelPackage,
  readAdapter,
  BASE_CHECKPOINT,
  type ModelPackage,
} from '../policy/model-package.js';
import { ObservationPreprocessor } from '../policy/observation-preprocessor.js';
import { OnnxEncoder, type EncoderDevice } from '../policy/onnx/onnx-encoder.js';
import { Policy, type SamplingOptions } from '../policy/policy.js';

export interface LoadPolicyOptions {
  /** Adapter id under adapters/ (default: the package's own head). */
  adapter?: string;
  /** 'auto' (default), 'cpu', 'cuda' or 'cuda:N': the head's device; the encoder follows (CPU or CUDA). */
  device?: string;
  /** Encoder intra-op threads (default 1). */
  encoderThreads?: number;
  sampling?: Partial<SamplingOptions>;
}

export interface LoadedPolicy {
  policy: Policy;
  package: ModelPackage;
}

function encoderDevice(device: string): EncoderDevice {
  if (device === 'cpu') return 'cpu';
  return device.startsWith('cuda') ? 'cuda' : 'auto';
}

export async function loadPolicy(dir: string, options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  const pkg = await loadModelPackage(dir);
  const { manifest } = pkg;
  const adapter = options.adapter === undefined ? undefined : await readAdapter(pkg, options.adapter);
  const device = options.device ?? 'auto';
  const head = new NativeActionHead(adapter?.spec ?? pkg.headSpec, { device });
  let encoder: OnnxEncoder | undefined;
  try {
    await head.setParameters(pkg.headParameters);
    if (adapter) await head.setParameters(adapter.parameters);
    const preprocessor = new ObservationPreprocessor(manifest);
    encoder = await OnnxEncoder.create(pkg.encoderPath, {
      output: manifest.encoder.output,
      device: encoderDevice(device),
      ...(options.encoderThreads ? { intraOpThreads: options.encoderThreads } : {}),
      warmup: preprocessor.warmupFeeds(),
    });
    await head.act(new Float32Array(stepFeatures(head.spec)), { greedy: true });
    // An encoder exported with a fixed batch of 1 scores logged steps one at a time.
    const batchDim = pkg.encoderSignature.inputs[0]?.dims[0];
    const policy = new Policy(manifest, encoder, head, {
      id: `${manifest.name}@${manifest.version}/${adapter?.info.id ?? BASE_CHECKPOINT}`,
      ...(options.sampling ? { sampling: options.sampling } : {}),
      encodeBatch: typeof batchDim === 'number' ? batchDim : 32,
    });
    return { policy, package: pkg };
  } catch (error) {
    head.dispose();
    await encoder?.dispose();
    throw error;
  }
}
