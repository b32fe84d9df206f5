export { Module, ModuleList, ModuleDict, sameShape } from './module.js';
export type { StoredTensor, LoadStateDictOptions, LoadReport } from './module.js';
export { Parameter, isParameter } from './parameter.js';
export { Linear, Embedding, LayerNorm, Dropout } from './layers.js';
export { normal_, truncNormal_, kaimingUniform_, initBertWeights } from './init.js';
export { getActivation, ACTIVATION_NAMES, type Activation } from './activations.js';
