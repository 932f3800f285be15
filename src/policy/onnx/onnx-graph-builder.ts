// Builds ONNX graphs in code (onnx-proto), so models grape generates — the default encoder, the
// benchmarks' heads — come from a seed and source, never from binary blobs.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const ElemType = { float: 1, int64: 7 } as const;
export type ElemTypeName = keyof typeof ElemType;

type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

export const int = (value: number): Attribute => ({ kind: 'int', value });
export const ints = (value: number[]): Attribute => ({ kind: 'ints', value });
export const float = (value: number): Attribute => ({ kind: 'float', value });
export const str = (value: string): Attribute => ({ kind: 'string', value });

function attribute(name: string, a: Attribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** A dimension: a number, or a name for a symbolic one (the batch). */
export type Dim = number | string;

function valueInfo(name: string, elem: ElemTypeName, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ElemType[elem],
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  private claim(name: string): string {
    if (this.names.has(name))
      throw new Error(`ONNX graph '${this.graphName}': value '${name}' defined twice`);
    this.names.add(name);
    return name;
  }

  input(name: string, elem: ElemTypeName, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elem, dims));
    return name;
  }

  output(name: string, elem: ElemTypeName, dims: Dim[]): void {
    if (!this.names.has(name))
      throw new Error(`ONNX graph '${this.graphName}': output '${name}' is never computed`);
    this.outputs.push(valueInfo(name, elem, dims));
  }

  /** A float32 constant (weights, biases, coordinate maps). */
  floats(name: string, dims: number[], data: ArrayLike<number>): string {
    const values = Float32Array.from(data);
    const count = dims.reduce((a, b) => a * b, 1);
    if (values.length !== count)
      throw new Error(
        `ONNX graph '${this.graphName}': constant '${name}' has ${values.length} values; dims need ${count}`,
      );
    this.initializers.push({
      name: this.claim(name),
      dims,
      dataType: ElemType.float,
      rawData: new Uint8Array(values.buffer),
    });
    return name;
  }

  /** An int64 constant (shapes, axes, indices). */
  int64s(name: string, values: number[]): string {
    this.initializers.push({
      name: this.claim(name),
      dims: [values.length],
      dataType: ElemType.int64,
      int64Data: values,
    });
    return name;
  }

  /** Adds a node; returns the names of its outputs (generated unless given). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    outputs: string[] | number = 1,
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.claim(`${opType.toLowerCase()}_${this.counter++}`))
        : outputs.map((o) => this.claim(o));
    this.nodes.push({
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(attributes).map(([k, a]) => attribute(k, a)),
    });
    return outs;
  }

  /** A node with one output, returned by name. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, output?: string): string {
    return this.node(opType, inputs, attributes, output ? [output] : 1)[0]!;
  }

  /** The serialized ModelProto (default opset 20, IR version 9). */
  build(options: { opset?: number; producer?: string; docString?: string } = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 9,
      producerName: options.producer ?? 'grape',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opset ?? 20 }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
