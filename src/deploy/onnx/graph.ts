// A small ONNX graph builder over the official protobuf schema (the `onnx-proto` package: the
// generated protobufjs code of onnx.proto, IR version 8). Nodes are added in execution order
// (ONNX requires a topologically sorted node list); every value gets a unique name under the
// current scope (`/bert/encoder/layer.0/attention/...`, the naming torch.onnx.export uses), so an
// error from onnxruntime names the module it came from.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

const { onnx } = onnxProto;

/** IR version 8 = ONNX 1.10–1.12; opset 17 adds LayerNormalization and is what onnxruntime-web runs. */
export const IR_VERSION = 8;
export const OPSET = 17;

export type ElemType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8';

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
};

export type TensorData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

function elemOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}

/** An attribute value with its ONNX type spelled out (ONNX tells 1 from 1.0). */
export type Attr = { i: number } | { f: number } | { ints: readonly number[] } | { s: string } | { t: TensorData; dims: readonly number[] };
export const int = (i: number): Attr => ({ i });
export const float = (f: number): Attr => ({ f });
export const ints = (v: readonly number[]): Attr => ({ ints: v });

/** A dimension: a fixed size, or a symbolic name (dynamic axis, e.g. 'batch_size'). */
export type Dim = number | string;

export interface ValueSpec {
  name: string;
  type: ElemType;
  dims: readonly Dim[];
}

export interface Initializer {
  name: string;
  data: TensorData;
  dims: readonly number[];
}

interface Node {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, Attr>>;
  domain: string;
}

function tensorProto(name: string, data: TensorData, dims: readonly number[]): Onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`onnx tensor '${name}': ${data.length} values for dims [${dims.join(', ')}]`);
  // raw_data is little-endian, like every platform Node runs on.
  return { name, dims: [...dims], dataType: ELEM[elemOf(data)], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function attrProto(name: string, a: Attr): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: T.TENSOR, t: tensorProto('', a.t, a.dims) };
}

function valueInfo(v: ValueSpec): Onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.type],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  readonly inputs: ValueSpec[] = [];
  readonly outputs: ValueSpec[] = [];
  readonly initializers: Initializer[] = [];
  readonly nodes: Node[] = [];
  private readonly used = new Set<string>();
  private scopes: string[] = [];
  private readonly constCache = new Map<string, string>();

  /** A name not used yet: `base` under the current scope, numbered when taken. */
  private fresh(base: string): string {
    const prefix = this.scopes.length > 0 ? `/${this.scopes.join('/')}/` : '';
    let name = `${prefix}${base}`;
    for (let k = 1; this.used.has(name); k++) name = `${prefix}${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Run `body` with `name` appended to the scope of the values it creates. */
  scope<T>(name: string, body: () => T): T {
    this.scopes.push(name);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    if (this.used.has(name)) throw new Error(`onnx graph: input '${name}' defined twice`);
    this.used.add(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** Mark `value` as a graph output named `name` (an Identity node renames it). */
  output(value: string, name: string, type: ElemType, dims: readonly Dim[]): void {
    if (this.used.has(name)) throw new Error(`onnx graph: output name '${name}' already used`);
    this.used.add(name);
    this.nodes.push({ opType: 'Identity', name: `/${name}/Identity`, inputs: [value], outputs: [name], attrs: {}, domain: '' });
    this.outputs.push({ name, type, dims });
  }

  /** A weight, under its own (state-dict) name when it has one. */
  initializer(name: string, data: TensorData, dims: readonly number[]): string {
    const n = this.used.has(name) ? this.fresh(name) : name;
    this.used.add(n);
    this.initializers.push({ name: n, data, dims });
    return n;
  }

  /** A constant; equal small constants are shared. */
  constant(data: TensorData, dims: readonly number[], hint = 'const'): string {
    const key = data.length <= 16 ? `${elemOf(data)}:${dims.join('x')}:${Array.from(data as ArrayLike<number | bigint>, String).join(',')}` : null;
    const hit = key === null ? undefined : this.constCache.get(key);
    if (hit !== undefined) return hit;
    const scopes = this.scopes;
    this.scopes = [];
    const name = this.fresh(`onnx::${hint}`);
    this.scopes = scopes;
    this.initializers.push({ name, data, dims });
    if (key !== null) this.constCache.set(key, name);
    return name;
  }

  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
      'i64',
    );
  }

  f32(values: readonly number[], dims: readonly number[] = []): string {
    return this.constant(Float32Array.from(values), dims, 'f32');
  }

  /** Add one node with one output; returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}, domain = ''): string {
    return this.opN(opType, inputs, 1, attrs, domain)[0]!;
  }

  /** Add one node with `n` outputs. */
  opN(opType: string, inputs: readonly string[], n: number, attrs: Readonly<Record<string, Attr>> = {}, domain = ''): string[] {
    const name = this.fresh(opType);
    const outputs = Array.from({ length: n }, (_, k) => (k === 0 ? `${name}_output_0` : `${name}_output_${k}`));
    for (const o of outputs) this.used.add(o);
    this.nodes.push({ opType, name, inputs, outputs, attrs, domain });
    return outputs;
  }

  /** The serialized ModelProto. */
  encode(meta: { producerVersion: string; graphName: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const model: Onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'adaptext',
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? '',
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.graphName,
        node: this.nodes.map((n) => ({
          name: n.name,
          opType: n.opType,
          domain: n.domain,
          input: [...n.inputs],
          output: [...n.outputs],
          attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
        })),
        initializer: this.initializers.map((t) => tensorProto(t.name, t.data, t.dims)),
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Decode a serialized model (tests and `inspect`). */
export function decodeModel(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
