// Encoder on onnxruntime-node, run in a worker thread (./onnx-encoder-worker.ts): encode() posts the
// feeds and resolves with the features, so the calling thread never blocks on inference.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { Encoder, EncoderFeeds } from '../encoder.js';
import { closeExitGate, newExitGateState, openExitGate } from './exit-gate.js';
import type {
  EncoderDevice,
  EncoderReply,
  EncoderRequest,
  EncoderWorkerData,
} from './onnx-encoder-worker.js';

export type { EncoderDevice } from './onnx-encoder-worker.js';

export interface OnnxEncoderOptions {
  /** Name of the output holding the features. */
  output: string;
  /** 'cpu' (default); 'cuda' (an error where this onnxruntime-node has no CUDA provider); 'auto'. */
  device?: EncoderDevice;
  /** Threads inside one operator (default 1: the default encoder gains nothing from more). */
  intraOpThreads?: number;
  /** Threads running independent operators (default 1). */
  interOpThreads?: number;
  /** Let idle onnxruntime threads spin-wait (default false: they sleep, leaving the CPU to others). */
  spin?: boolean;
  /** Run these feeds (twice) before create() resolves, so the first real step is not a cold one. */
  warmup?: EncoderFeeds;
}

export class EncoderError extends Error {
  override readonly name = 'EncoderError';
}

/** The worker's entry point; from TypeScript sources (tsx), the worker registers tsx first. */
function startWorker(data: EncoderWorkerData): Worker {
  if (!fileURLToPath(import.meta.url).endsWith('.ts'))
    return new Worker(new URL('./onnx-encoder-worker.js', import.meta.url), { workerData: data });
  // Worker threads do not inherit tsx's loader hooks on Node 20, so the worker registers them itself.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./onnx-encoder-worker.ts', import.meta.url).href;
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: data });
}

/** Buffers the feeds own whole are moved to the worker; views into larger or shared ones are copied. */
function transferList(feeds: EncoderFeeds): ArrayBuffer[] {
  const buffers = Object.values(feeds)
    .map((t) => t.data)
    .filter(
      (d) => d.buffer instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength,
    )
    .map((d) => d.buffer as ArrayBuffer);
  return [...new Set(buffers)];
}

export class OnnxEncoder implements Encoder {
  private readonly pending = new Map<
    number,
    { resolve: (f: Float32Array) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;
  private constructor(
    private readonly worker: Worker,
    readonly device: string,
    readonly modelPath: string,
  ) {
    worker.on('message', (reply: EncoderReply) => {
      if (reply.type !== 'result' && reply.type !== 'error') return;
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.settled(reply.id);
      if (reply.type === 'result') call.resolve(reply.features);
      else call.reject(new EncoderError(`${this.modelPath}: ${reply.message}`));
    });
    worker.on('error', (error) => {
      this.fail(new EncoderError(`${this.modelPath}: encoder worker failed: ${error.message}`));
    });
    worker.on('exit', (code) => {
      this.fail(new EncoderError(`${this.modelPath}: encoder worker exited (code ${code})`));
    });
    worker.unref();
  }

  /** Starts the worker, opens the session and warms it up. */
  static async create(modelPath: string, options: OnnxEncoderOptions): Promise<OnnxEncoder> {
    const exitGate = newExitGateState();
    openExitGate(exitGate);
    const worker = startWorker({
      modelPath,
      output: options.output,
      device: options.device ?? 'cpu',
      intraOpThreads: options.intraOpThreads ?? 1,
      interOpThreads: options.interOpThreads ?? 1,
      spin: options.spin ?? false,
      exitGate,
    });
    worker.once('exit', () => {
      closeExitGate(exitGate);
    });
    const device = await new Promise<string>((resolve, reject) => {
      const onMessage = (reply: EncoderReply) => {
        settle();
        if (reply.type === 'ready') resolve(reply.device);
        else fail(reply.type === 'failed' ? reply.message : `unexpected first reply '${reply.type}'`);
      };
      const onError = (error: Error) => {
        settle();
        fail(error.message);
      };
      const onExit = (code: number) => {
        settle();
        fail(`worker exited (code ${code})`);
      };
      // Only our own listeners go: the Worker keeps internal ones of its own.
      const settle = () => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const fail = (message: string) => {
        void worker.terminate();
        reject(new EncoderError(`${modelPath}: cannot start the encoder: ${message}`));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    const encoder = new OnnxEncoder(worker, device, modelPath);
    if (options.warmup) {
      try {
        for (let i = 0; i < 2; i++) await encoder.encode(structuredClone(options.warmup));
      } catch (error) {
        await encoder.dispose();
        throw error;
      }
    }
    return encoder;
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const [id, call] of this.pending) {
      this.settled(id);
      call.reject(error);
    }
  }

  encode(feeds: EncoderFeeds): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive while a step is in flight, not while idle.
      this.worker.ref();
      const request: EncoderRequest = { type: 'run', id, feeds };
      this.worker.postMessage(request, transferList(feeds));
    });
  }

  async dispose(): Promise<void> {
    if (this.failure) return;
    this.fail(new EncoderError(`${this.modelPath}: encoder disposed`));
    const exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => {
        resolve();
      });
    });
    this.worker.ref();
    const close: EncoderRequest = { type: 'close' };
    this.worker.postMessage(close);
    await exited;
  }
}
