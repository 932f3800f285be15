// The mlp head as ONNX graphs (what a user would run in onnxruntime instead of our addon):
// MatMul/Add/Gelu(tanh) → MatMul/Add → LogSoftmax per action row, then either the log-likelihood of
// given tokens (scoring) or the tokens to act on and their log-likelihood (greedy or sampled).
import { OnnxGraphBuilder, int, str } from '../src/policy/onnx/onnx-graph-builder.js';

export interface MlpWeights {
  inputDim: number;
  hidden: readonly number[];
  actionDims: number;
  bins: number;
  /** The head's parameters by name (`layers.<i>.weight` [out, in], PyTorch layout; `layers.<i>.bias`). */
  parameters: Readonly<Record<string, Float32Array>>;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

/** Input x [n, F] → log_softmax over each action row, [n, D, B]. */
function logSoftmaxRows(g: OnnxGraphBuilder, m: MlpWeights): string {
  const { inputDim: F, actionDims: D, bins: B } = m;
  const widths = [F, ...m.hidden, D * B];
  let h = g.input('x', 'float', ['n', F]);
  for (let i = 0; i + 1 < widths.length; i++) {
    const [inDim, outDim] = [widths[i]!, widths[i + 1]!];
    const z = g.op('Add', [
      g.op('MatMul', [
        h,
        g.floats(`W${i}`, [inDim, outDim], transpose(m.parameters[`layers.${i}.weight`]!, outDim, inDim)),
      ]),
      g.floats(`b${i}`, [outDim], m.parameters[`layers.${i}.bias`]!),
    ]);
    h = i + 2 < widths.length ? g.op('Gelu', [z], { approximate: str('tanh') }) : z;
  }
  return g.op('LogSoftmax', [g.op('Reshape', [h, g.int64s('rows', [-1, D, B])])], { axis: int(-1) });
}

/** Σ_d logsoftmax[n, d, t[n, d]] for tokens t [n, D, 1] int64, as output `name` [n]. */
function gatherSum(g: OnnxGraphBuilder, ls: string, t: string, name: string): void {
  const picked = g.op('GatherElements', [ls, t], { axis: int(2) });
  g.op('ReduceSum', [picked, g.int64s('axes', [1, 2])], { keepdims: int(0) }, name);
  g.output(name, 'float', ['n']);
}

/** Serialized ModelProto: inputs x [n, F] float, t [n, D, 1] int64; output lp [n]. */
export function mlpLogLikelihoodGraph(m: MlpWeights): Uint8Array {
  const g = new OnnxGraphBuilder('grape_mlp_head');
  const ls = logSoftmaxRows(g, m);
  gatherSum(g, ls, g.input('t', 'int64', ['n', m.actionDims, 1]), 'lp');
  return g.build();
}

/**
 * Serialized ModelProto acting like the addon's act(): input x [n, F]; outputs tokens [n, D, 1]
 * int64 and their untempered log-likelihood lp [n]. 'greedy' takes each row's argmax; 'sample'
 * draws with onnxruntime's Multinomial (temperature 1).
 */
export function mlpActGraph(m: MlpWeights, mode: 'greedy' | 'sample'): Uint8Array {
  const { actionDims: D, bins: B } = m;
  const g = new OnnxGraphBuilder(`grape_mlp_act_${mode}`);
  const ls = logSoftmaxRows(g, m);
  const tokens =
    mode === 'greedy'
      ? g.op('ArgMax', [ls], { axis: int(2), keepdims: int(1) }, 'tokens')
      : g.op(
          'Reshape',
          [
            g.op('Multinomial', [g.op('Reshape', [ls, g.int64s('flat_rows', [-1, B])])], {
              sample_size: int(1),
              dtype: int(7),
            }),
            g.int64s('token_shape', [-1, D, 1]),
          ],
          {},
          'tokens',
        );
  g.output('tokens', 'int64', ['n', D, 1]);
  gatherSum(g, ls, tokens, 'lp');
  return g.build();
}
