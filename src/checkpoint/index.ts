// The checkpoint store shared by the stages and pretraining (store.ts says the layout).
export { writeCheckpoint, writeManifest, verifyCheckpoint, readStateFile, loadOptimizerState, TRAINER_STATE_NAME, OPTIMIZER_NAME, MANIFEST_NAME } from './store.js';
export type { CheckpointParts } from './store.js';
