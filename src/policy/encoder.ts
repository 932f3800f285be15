// The encoder as the policy sees it: named input tensors in, features out. The onnxruntime
// implementation lives in ./onnx/ (off the main thread); tests and other runtimes can bring their own.

export type EncoderTensor =
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int64'; data: BigInt64Array; dims: number[] };

/** Encoder inputs by ONNX input name; the first dim of each is the batch (steps). */
export type EncoderFeeds = Record<string, EncoderTensor>;

export interface Encoder {
  /** Where it runs, e.g. "onnxruntime-node 1.30.0 cpu (2 threads)". */
  readonly device: string;
  /**
   * Features of every step in the batch, [n, ...outputShape] flattened. The feeds' buffers may be
   * handed to another thread: do not use them after the call.
   */
  encode(feeds: EncoderFeeds): Promise<Float32Array>;
  dispose(): Promise<void>;
}
