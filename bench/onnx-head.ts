// The mlp head as an ONNX graph (what a user would run in onnxruntime instead of our addon):
// MatMul/Add/Gelu(tanh) → MatMul/Add → LogSoftmax → GatherElements → ReduceSum, per step.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface MlpWeights {
  inputDim: number;
  hidden: number;
  actionDims: number;
  bins: number;
  /** PyTorch layout: [out, in]. */
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

/** Serialized ModelProto: inputs x [n, F] float, t [n, D, 1] int64; output lp [n]. */
export function mlpLogLikelihoodGraph(m: MlpWeights): Uint8Array {
  const { inputDim: F, hidden: Hd, actionDims: D, bins: B } = m;
  const init = (name: string, dims: number[], data: Float32Array) =>
    onnx.TensorProto.create({
      name,
      dims,
      dataType: 1,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  const ints = (name: string, values: number[]) =>
    onnx.TensorProto.create({ name, dims: [values.length], dataType: 7, int64Data: values });
  const vi = (name: string, elem: number, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: elem,
          shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const intAttr = (name: string, i: number) =>
    onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const node = (
    op: string,
    input: string[],
    output: string[],
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ) => onnx.NodeProto.create({ opType: op, input, output, attribute });
  const graph = onnx.GraphProto.create({
    name: 'grape_mlp_head',
    initializer: [
      init('W1', [F, Hd], transpose(m.w1, Hd, F)),
      init('b1', [Hd], m.b1),
      init('W2', [Hd, D * B], transpose(m.w2, D * B, Hd)),
      init('b2', [D * B], m.b2),
      ints('shape', [-1, D, B]),
      ints('axes', [1, 2]),
    ],
    node: [
      node('MatMul', ['x', 'W1'], ['m1']),
      node('Add', ['m1', 'b1'], ['a1']),
      node(
        'Gelu',
        ['a1'],
        ['h'],
        [
          onnx.AttributeProto.create({
            name: 'approximate',
            type: onnx.AttributeProto.AttributeType.STRING,
            s: new TextEncoder().encode('tanh'),
          }),
        ],
      ),
      node('MatMul', ['h', 'W2'], ['m2']),
      node('Add', ['m2', 'b2'], ['z']),
      node('Reshape', ['z', 'shape'], ['z3']),
      node('LogSoftmax', ['z3'], ['ls'], [intAttr('axis', -1)]),
      node('GatherElements', ['ls', 't'], ['g'], [intAttr('axis', 2)]),
      node('ReduceSum', ['g', 'axes'], ['lp'], [intAttr('keepdims', 0)]),
    ],
    input: [vi('x', 1, ['n', F]), vi('t', 7, ['n', D, 1])],
    output: [vi('lp', 1, ['n'])],
  });
  const model = onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 20 }], graph });
  return onnx.ModelProto.encode(model).finish();
}
