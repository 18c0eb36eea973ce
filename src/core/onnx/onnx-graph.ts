import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

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

  /**
   * The model file's bytes, written field by field with @bufbuild/protobuf's wire writer (onnx.proto's
   * field numbers, no generated code). Repeated ints are written unpacked, one field each, the form
   * the earlier hand-written encoder gave: the files are byte-identical to before.
   */
  toBytes(producer = 'pconv-bench'): Uint8Array {
    const w = new BinaryWriter();
    int(w, 1, 8); // ir_version 8 goes with opset 17
    string(w, 2, producer);
    message(w, 8, () => {
      string(w, 1, '');
      int(w, 2, 17);
    });
    message(w, 7, () => {
      for (const node of this.nodes) message(w, 1, () => writeNode(w, node));
      string(w, 2, 'main');
      for (const init of this.initializers) message(w, 5, () => writeTensor(w, init));
      for (const value of this.inputs) message(w, 11, () => writeValueInfo(w, value.name, value.shape));
      for (const value of this.outputs) message(w, 12, () => writeValueInfo(w, value.name, value.shape));
    });
    return w.finish();
  }
}

/** int32, int64 or enum (wire type 0; a negative int64 takes ten bytes of two's complement). */
function int(w: BinaryWriter, field: number, value: number): void {
  w.tag(field, WireType.Varint).int64(value);
}

function string(w: BinaryWriter, field: number, value: string): void {
  w.tag(field, WireType.LengthDelimited).string(value);
}

/** A nested message: its fields, written by `write`, length-delimited. */
function message(w: BinaryWriter, field: number, write: () => void): void {
  w.tag(field, WireType.LengthDelimited).fork();
  write();
  w.join();
}

function writeNode(w: BinaryWriter, node: OnnxNode): void {
  for (const input of node.inputs) string(w, 1, input);
  for (const output of node.outputs) string(w, 2, output);
  string(w, 4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) {
    message(w, 5, () => {
      string(w, 1, name);
      if ('float' in value) {
        w.tag(2, WireType.Bit32).float(value.float);
        int(w, 20, ATTRIBUTE_TYPE.float);
      } else if ('int' in value) {
        int(w, 3, value.int);
        int(w, 20, ATTRIBUTE_TYPE.int);
      } else if ('ints' in value) {
        for (const v of value.ints) int(w, 8, v);
        int(w, 20, ATTRIBUTE_TYPE.ints);
      } else {
        string(w, 4, value.string);
        int(w, 20, ATTRIBUTE_TYPE.string);
      }
    });
  }
}

function writeTensor(w: BinaryWriter, tensor: OnnxInitializer): void {
  for (const dim of tensor.dims) int(w, 1, dim);
  int(w, 2, tensor.values instanceof Float32Array ? FLOAT : INT64);
  string(w, 8, tensor.name);
  // raw_data is little-endian; so are the typed arrays on every platform Node runs on.
  w.tag(9, WireType.LengthDelimited).bytes(new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength));
}

function writeValueInfo(w: BinaryWriter, name: string, shape: OnnxShape): void {
  string(w, 1, name);
  message(w, 2, () =>
    message(w, 1, () => {
      int(w, 1, FLOAT);
      message(w, 2, () => {
        for (const dim of shape) message(w, 1, () => (typeof dim === 'number' ? int(w, 1, dim) : string(w, 2, dim)));
      });
    }),
  );
}
