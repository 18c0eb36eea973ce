import { ProtobufWriter } from './protobuf-writer.js';

/** Attribute values a node may carry: a float, an int, a list of ints or a string. */
export type OnnxAttribute = { readonly float: number } | { readonly int: number } | { readonly ints: readonly number[] } | { readonly string: string };

interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
}

interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly values: Float32Array | BigInt64Array;
}

/** A tensor's shape in a graph input or output: a number is fixed, a string a named free size. */
export type OnnxShape = readonly (number | string)[];

// onnx.proto enums: TensorProto.DataType and AttributeProto.AttributeType.
const FLOAT = 1;
const INT64 = 7;
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

/**
 * A small builder for ONNX graphs of float32 tensors: nodes in topological order, float32 or int64
 * initializers, named inputs and outputs, written as an ONNX model file (opset 17). Values get
 * names from `fresh` so that a caller never has to invent unique ones.
 */
export class OnnxGraph {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly inputs: { name: string; shape: OnnxShape }[] = [];
  private readonly outputs: { name: string; shape: OnnxShape }[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    this.counter++;
    return `${prefix}_${this.counter}`;
  }

  input(name: string, shape: OnnxShape): string {
    this.inputs.push({ name, shape });
    return name;
  }

  output(name: string, shape: OnnxShape): void {
    this.outputs.push({ name, shape });
  }

  constant(prefix: string, dims: readonly number[], values: Float32Array | BigInt64Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`OnnxGraph: ${prefix} has ${values.length} values for dims [${dims.join(', ')}]`);
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims, values });
    return name;
  }

  scalar(value: number): string {
    return this.constant('scalar', [], Float32Array.of(value));
  }

  /** Adds a node with one output and returns that output's name (`named` fixes it). */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, OnnxAttribute>> = {}, named?: string): string {
    const output = named ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  }

  toBytes(producer = 'pconv-bench'): Uint8Array {
    const model = new ProtobufWriter();
    model.int(1, 8); // ir_version 8 goes with opset 17
    model.string(2, producer);
    model.message(8, (opset) => opset.string(1, '').int(2, 17));
    model.message(7, (graph) => {
      for (const node of this.nodes) graph.message(1, (n) => writeNode(n, node));
      graph.string(2, 'main');
      for (const init of this.initializers) graph.message(5, (t) => writeTensor(t, init));
      for (const value of this.inputs) graph.message(11, (v) => writeValueInfo(v, value.name, value.shape));
      for (const value of this.outputs) graph.message(12, (v) => writeValueInfo(v, value.name, value.shape));
    });
    return model.finish();
  }
}

function writeNode(w: ProtobufWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) {
    w.message(5, (a) => {
      a.string(1, name);
      if ('float' in value) a.float(2, value.float).int(20, ATTRIBUTE_TYPE.float);
      else if ('int' in value) a.int(3, value.int).int(20, ATTRIBUTE_TYPE.int);
      else if ('ints' in value) a.ints(8, value.ints).int(20, ATTRIBUTE_TYPE.ints);
      else a.string(4, value.string).int(20, ATTRIBUTE_TYPE.string);
    });
  }
}

function writeTensor(w: ProtobufWriter, tensor: OnnxInitializer): void {
  w.ints(1, tensor.dims);
  w.int(2, tensor.values instanceof Float32Array ? FLOAT : INT64);
  w.string(8, tensor.name);
  // raw_data is little-endian; so are the typed arrays on every platform Node runs on.
  w.bytes(9, new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength));
}

function writeValueInfo(w: ProtobufWriter, name: string, shape: OnnxShape): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.int(1, FLOAT);
      tensorType.message(2, (s) => {
        for (const dim of shape) s.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
      });
    }),
  );
}
