// Public model API: load/save HF folders, AdapterModel (encoder + per-domain adapters + named heads).
export { AdapterModel, globToRegExp } from './model.js';
export type { AdapterModelOptions, ForwardOptions, ModelOutput, ParamGroups, Pooling } from './model.js';
export { BertModel, RobertaModel, createPositionIdsFromInputIds, firstToken } from './bert.js';
export type { BertInput, BertOutput } from './bert.js';
export { resolveConfig } from './config.js';
export type { BertFamilyConfig, ResolvedConfig } from './config.js';
export {
  SEQ_BN,
  DOUBLE_SEQ_BN,
  BottleneckAdapter,
  resolveAdapterConfig,
  parseAdapterConfigFile,
  ADAPTER_CONFIG_NAME,
  ADAPTER_WEIGHTS_NAME,
} from './adapters.js';
export type { BnConfig, AdapterConfigSpec, AdapterConfigFile } from './adapters.js';
export {
  Head,
  SequenceClassificationHead,
  TokenClassificationHead,
  MaskedLMHead,
  DomainDiscriminatorHead,
  alignLabelsToFirstSubtoken,
  specFromHeadConfig,
  HEAD_POOLINGS,
  poolSequence,
} from './heads.js';
export type { HeadSpec, HeadType, HeadResult, HeadContext, HeadPooling, DomainCentre } from './heads.js';
export { modelFromTensors, hfTensors, sidecarOf, SIDECAR_NAME } from './checkpoint.js';
export type { LoadInfo, ModelSidecar } from './checkpoint.js';
export { loadModel, loadAdapter, loadHead, readModelConfig, readModelTensors, modelWeightFiles, HEAD_CONFIG_NAME, HEAD_WEIGHTS_NAME } from './load.js';
export { saveModel, saveAdapter, saveHead, hfConfigJson } from './save.js';
export type { SaveModelOptions } from './save.js';
