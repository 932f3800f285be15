// The worker thread that owns the onnxruntime session of an OnnxEncoder: the main thread (a ROS
// executor, a simulator loop) only posts feeds and receives features, never waits on inference.
import { parentPort, workerData } from 'node:worker_threads';

import * as ort from 'onnxruntime-node';

import type { EncoderFeeds } from '../encoder.js';
import { throughExitGate, type ExitGateState } from './exit-gate.js';

export type EncoderDevice = 'cpu' | 'cuda' | 'auto';

export interface EncoderWorkerData {
  modelPath: string;
  output: string;
  device: EncoderDevice;
  intraOpThreads: number;
  interOpThreads: number;
  spin: boolean;
  /** Shared with the main thread, whose process.exit waits for session calls in flight. */
  exitGate: ExitGateState;
}

export type EncoderRequest = { type: 'run'; id: number; feeds: EncoderFeeds } | { type: 'close' };

export type EncoderReply =
  | { type: 'ready'; device: string }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; features: Float32Array }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const config = workerData as EncoderWorkerData;
const send = (reply: EncoderReply, transfer: ArrayBuffer[] = []) => {
  port.postMessage(reply, transfer);
};

function cudaAvailable(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled);
}

async function openSession(): Promise<{ session: ort.InferenceSession; device: string }> {
  const options = {
    intraOpNumThreads: config.intraOpThreads,
    interOpNumThreads: config.interOpThreads,
    graphOptimizationLevel: 'all' as const,
    // Idle pool threads spin-wait by default: on a machine with few cores they take the CPU the
    // control loop and the head need, so they sleep unless asked to spin.
    ...(config.spin
      ? {}
      : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  };
  const open = (providers: string[]) =>
    ort.InferenceSession.create(config.modelPath, { ...options, executionProviders: providers });
  const threads = `intra-op ${config.intraOpThreads}, inter-op ${config.interOpThreads} threads`;
  const version = `onnxruntime-node ${ort.env.versions.node ?? '?'}`;
  if (config.device === 'cuda' && !cudaAvailable())
    throw new Error(
      'device=cuda, but this onnxruntime-node has no CUDA execution provider (its CUDA libraries are a ' +
        'separate install, skipped when ONNXRUNTIME_NODE_INSTALL=skip); use device=cpu',
    );
  if (config.device !== 'cpu' && cudaAvailable()) {
    try {
      return { session: await open(['cuda', 'cpu']), device: `${version} cuda (${threads} for CPU nodes)` };
    } catch (error) {
      if (config.device === 'cuda') throw error;
      const device = `${version} cpu (${threads}; CUDA failed: ${(error as Error).message})`;
      return { session: await open(['cpu']), device };
    }
  }
  const session = await open(['cpu']);
  const why = config.device === 'auto' ? '; no CUDA provider installed' : '';
  return { session, device: `${version} cpu (${threads}${why})` };
}

/** The whole buffer can be handed over; a view into a larger one is copied. */
function transferable(a: Float32Array): ArrayBuffer[] {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? [a.buffer as ArrayBuffer] : [];
}

async function main(): Promise<void> {
  let opened: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    opened = await throughExitGate(config.exitGate, openSession);
  } catch (error) {
    send({ type: 'failed', message: (error as Error).message });
    return;
  }
  if (!opened) return; // the process is exiting
  const { session, device } = opened;
  port.on('message', (request: EncoderRequest) => {
    if (request.type === 'close') {
      void throughExitGate(config.exitGate, () => session.release()).finally(() => {
        port.close();
      });
      return;
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(request.feeds))
      feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    // Skipped (undefined) only when the process is exiting: nobody waits for the answer then.
    throughExitGate(config.exitGate, () => session.run(feeds, [config.output])).then(
      (result) => {
        if (!result) return;
        const features = result[config.output]!.data as Float32Array;
        send({ type: 'result', id: request.id, features }, transferable(features));
      },
      (error: unknown) => {
        send({ type: 'error', id: request.id, message: (error as Error).message });
      },
    );
  });
  send({ type: 'ready', device });
}

await main();
