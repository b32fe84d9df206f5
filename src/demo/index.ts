// `adaptext demo` and the transfer benchmark's building blocks: bundled data and backbone,
// fixed splits, stage settings (full / --quick), the result table, time per stage.
export {
  DEMO_CORPORA,
  DEMO_DOMAINS,
  DEMO_LANGUAGES,
  demoCorpus,
  demoDomainError,
  isDemoDomain,
  bundledDataDir,
  bundledModelDir,
  packageRoot,
  type DemoCorpus,
  type DemoDomain,
  type DemoLanguage,
} from './bundled.js';
export {
  splitDomain,
  fewShotSet,
  heldOutTarget,
  writeSplits,
  writeFewShot,
  writeHeldOut,
  DEMO_LABELS,
  SPLIT_TRAIN,
  SPLIT_VALIDATION,
  DEFAULT_SPLIT_SEED,
  DEFAULT_SHOTS,
  type DomainSplits,
} from './splits.js';
export { FULL_SETTINGS, QUICK_SETTINGS, demoConfigObject, type DemoSettings, type StageSettings } from './settings.js';
export { ROW_IDS, rowsFromMetrics, alignmentConfusion, formatTable, formatConfusionLine, type DemoRow, type RowId } from './table.js';
export { TimingProgress, type StageTiming } from './timing.js';
export { runDemo, demoSettings, defaultOutDir, formatTimings, type DemoOptions, type DemoResult } from './run.js';
