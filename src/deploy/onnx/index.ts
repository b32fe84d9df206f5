// ONNX export of one deployable model (encoder + one domain's adapters + one task head).
import type { AdapterModel } from '../../models/model.js';
import { packageVersion } from '../../io/package-info.js';
import { emitClassifier, type ExportSelection, type WeightFormat } from './bert.js';
import { GraphBuilder } from './graph.js';

export { decodeModel, GraphBuilder, IR_VERSION, OPSET } from './graph.js';
export type { ExportSelection, WeightFormat } from './bert.js';

export interface OnnxGraph {
  builder: GraphBuilder;
  /** Graph input names in feed order. */
  inputs: string[];
}

/** The graph of `model` with adapter `sel.adapter` and head `sel.head` (not yet serialized). */
export function buildOnnxGraph(model: AdapterModel, sel: ExportSelection, weights: WeightFormat = 'fp32'): OnnxGraph {
  const builder = new GraphBuilder();
  const { inputs } = emitClassifier(builder, model, sel, weights);
  return { builder, inputs };
}

/** The serialized ModelProto, with the selection recorded in its metadata. */
export function encodeOnnx(graph: OnnxGraph, sel: ExportSelection, extra: Record<string, string> = {}): Uint8Array {
  return graph.builder.encode({
    producerVersion: packageVersion(),
    graphName: 'adaptext',
    metadata: { adapter: sel.adapter ?? '', head: sel.head, ...extra },
  });
}
