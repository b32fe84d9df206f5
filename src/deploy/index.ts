// Deployment: the ONNX export (transformers.js / onnxruntime folder, browser page) and the HTTP server.
export { exportModel, type ExportOptions, type ExportResult, type ExportedFile } from './export.js';
export { buildOnnxGraph, encodeOnnx, decodeModel, OPSET, IR_VERSION, type ExportSelection, type WeightFormat, type OnnxGraph } from './onnx/index.js';
export { startServer, serve, SERVE_DEFAULTS, type ServeOptions, type RunningServer, type ServerStats, type ServedPrediction } from './serve.js';
