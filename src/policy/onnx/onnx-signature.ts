// The inputs and outputs an ONNX model declares (names, element types, dims), read from the file
// itself so a model package can be checked without starting onnxruntime.
import onnxProto from 'onnx-proto';

import { ModelPackageError } from '../model-package-error.js';

const { onnx } = onnxProto;

export interface OnnxValue {
  name: string;
  /** 'float', 'int64', ... ('unknown(N)' for anything else). */
  type: string;
  /** A number for a fixed dim, a name for a symbolic one, null where the file leaves it open. */
  dims: (number | string | null)[];
}

export interface OnnxSignature {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset: number;
  producer: string;
}

const TYPE_NAMES: Record<number, string> = {
  1: 'float',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'double',
  16: 'bfloat16',
};

function value(v: onnxProto.onnx.IValueInfoProto): OnnxValue {
  const tensor = v.type?.tensorType;
  const elem = tensor?.elemType ?? 0;
  return {
    name: v.name ?? '',
    type: TYPE_NAMES[elem] ?? `unknown(${elem})`,
    dims: (tensor?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : null,
    ),
  };
}

export function readOnnxSignature(bytes: Uint8Array, file: string): OnnxSignature {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelPackageError(file, '', `not an ONNX model (${(error as Error).message})`);
  }
  const graph = model.graph;
  if (!graph) throw new ModelPackageError(file, '', 'not an ONNX model (no graph)');
  // Older exporters also list initializers as graph inputs; those are weights, not feeds.
  const weights = new Set((graph.initializer ?? []).map((t) => t.name));
  // version is a protobuf int64 (number or Long): Number() reads either.
  const opset: unknown = model.opsetImport.find((o) => !o.domain)?.version;
  return {
    inputs: (graph.input ?? []).filter((i) => !weights.has(i.name)).map(value),
    outputs: (graph.output ?? []).map(value),
    opset: opset === undefined || opset === null ? 0 : Number(opset),
    producer: `${model.producerName}${model.producerVersion ? ` ${model.producerVersion}` : ''}`,
  };
}
