// Evaluation after a stage: the target test set (and the source test
// set) through each domain's own adapter and task head, and domain confusion — a fresh
// logistic-regression domain classifier on held-out pooled features of source and target
// (0.5 = indistinguishable) with the proxy A-distance. The features are kept with the stage
// checkpoint so the projection "before (stage 1) / after (stage 2) alignment" can be drawn.
//
// Which adapter and head: source rows → the source adapter + source task head (the target
// adapter after stage 1 when stage2.source_adapter = target); target rows → the target adapter
// + target task head. Before stage 2 there is no target adapter, so target
// rows run through the source adapter (that IS the source-only model). A head the model does not
// have yet (target task ≠ source task before stage 3) means that row is skipped, with a note.
import type { AdapterModel } from '../models/index.js';
import type { Tokenizer } from '../text/index.js';
import { domainConfusion } from '../eval/domain-confusion.js';
import type { DomainConfusion, Metrics } from '../eval/types.js';
import type { PipelineConfig } from './config.js';
import { DOMAIN_ID, type EncodingCache, type PipelineData } from './data.js';
import { evaluateTask, poolFeatures } from './evaluate.js';
import type { ProgressSink } from '../engine/progress.js';
import type { RunFolder, StageName } from './run-folder.js';
import { deriveSeed } from '../engine/seeds.js';
import { featureKind, stage2SourceAdapter } from './setup.js';

export interface StageEvaluation {
  target_test?: Metrics;
  source_test?: Metrics;
  /** Source rows through the source adapter vs target rows through the target adapter (what DANN aligns). */
  domain_confusion?: DomainConfusion;
  /**
   * Both domains through the TARGET adapter (the deployed target model's view), when the
   * stage has a target adapter. Two different adapters can make the domains separable by a
   * small consistent offset alone; this number shows how much of the separation that is.
   */
  domain_confusion_target_adapter?: DomainConfusion;
  notes: string[];
}

export interface StageFeatures {
  source: Float32Array[];
  target: Float32Array[];
  sourceLabels: string[];
  targetLabels: string[];
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function evaluateStage(a: {
  stage: StageName;
  cfg: PipelineConfig;
  model: AdapterModel;
  tokenizer: Tokenizer;
  data: PipelineData;
  enc: EncodingCache;
  run: RunFolder;
  step: number;
  progress: ProgressSink;
}): { evaluation: StageEvaluation; features: StageFeatures | null } {
  const { cfg, model, tokenizer, data, enc } = a;
  const notes: string[] = [];
  const ev: StageEvaluation = { notes };
  const padId = tokenizer.specialIds.pad;
  const bs = cfg.evaluation.batch_size;
  const has = (adapter: string) => model.adapterNames().includes(adapter);
  const src = data.source;
  const tgt = data.target;
  // Source rows are scored (and featurised) through the adapter their task loss trained: the
  // source adapter in stage 1, stage2SourceAdapter from stage 2 on (the target one by default).
  const trainedWith = a.stage === 'stage1' ? src.name : stage2SourceAdapter(cfg, src.name, tgt.name);
  const srcAdapter = has(trainedWith) ? trainedWith : has(src.name) ? src.name : has(tgt.name) ? tgt.name : null;
  const tgtAdapter = has(tgt.name) ? tgt.name : srcAdapter;
  const encode = (role: 'source' | 'target', ex: typeof src.test) => enc.get(tokenizer, ex, cfg.max_length, DOMAIN_ID[role]);

  const targetTest = encode('target', tgt.test);
  if (targetTest.length > 0 && model.headNames().includes(tgt.taskName)) {
    ev.target_test = evaluateTask(model, targetTest, { adapter: tgtAdapter, domain: tgt.name, head: tgt.taskName, task: tgt.task, batchSize: bs, padId });
    a.run.log({ type: 'eval', stage: a.stage, split: 'test', domain: 'target', step: a.step, metrics: ev.target_test });
  } else if (targetTest.length > 0) notes.push(`no target test score: the model has no '${tgt.taskName}' head yet`);
  const sourceTest = encode('source', src.test);
  if (sourceTest.length > 0 && model.headNames().includes(src.taskName) && srcAdapter !== null) {
    ev.source_test = evaluateTask(model, sourceTest, { adapter: srcAdapter, domain: src.name, head: src.taskName, task: src.task, batchSize: bs, padId });
    a.run.log({ type: 'eval', stage: a.stage, split: 'test', domain: 'source', step: a.step, metrics: ev.source_test });
  }

  // Held-out features: source test (else validation) and target test, each through its own adapter.
  const srcHeld = sourceTest.length > 0 ? sourceTest : encode('source', src.validation);
  let features: StageFeatures | null = null;
  if (srcHeld.length >= 4 && targetTest.length >= 4) {
    const f = { features: featureKind(cfg, model), batchSize: bs, padId };
    const labelName = (task: typeof src.task, l: number) => (l >= 0 ? task.labels[l]! : '');
    features = {
      source: poolFeatures(model, srcHeld, { ...f, adapter: srcAdapter, domain: src.name }),
      target: poolFeatures(model, targetTest, { ...f, adapter: tgtAdapter, domain: tgt.name }),
      sourceLabels: srcHeld.map((e) => labelName(src.task, e.label)),
      targetLabels: targetTest.map((e) => labelName(tgt.task, e.label)),
    };
    const dc = domainConfusion(features.source, features.target, deriveSeed(cfg.seed, 'domain-confusion', a.stage), {
      maxPerDomain: cfg.evaluation.confusion_max_per_domain,
    });
    ev.domain_confusion = { accuracy: dc.accuracy, proxyADistance: dc.proxyADistance, n: dc.n };
    if (tgtAdapter !== srcAdapter) {
      const viaTarget = poolFeatures(model, srcHeld, { ...f, adapter: tgtAdapter, domain: src.name });
      const dt = domainConfusion(viaTarget, features.target, deriveSeed(cfg.seed, 'domain-confusion', a.stage), { maxPerDomain: cfg.evaluation.confusion_max_per_domain });
      ev.domain_confusion_target_adapter = { accuracy: dt.accuracy, proxyADistance: dt.proxyADistance, n: dt.n };
    }
  } else notes.push(`no domain confusion: needs at least 4 held-out rows per domain (source ${srcHeld.length}, target ${targetTest.length})`);

  const parts = [
    ev.target_test ? `target test acc ${pct(ev.target_test.accuracy)} macro-F1 ${pct(ev.target_test.macroF1)}` : null,
    ev.source_test ? `source test acc ${pct(ev.source_test.accuracy)}` : null,
    ev.domain_confusion ? `domain classifier acc ${pct(ev.domain_confusion.accuracy)} (A-distance ${ev.domain_confusion.proxyADistance.toFixed(2)})` : null,
    ev.domain_confusion_target_adapter ? `both domains through the target adapter ${pct(ev.domain_confusion_target_adapter.accuracy)}` : null,
  ].filter((x) => x !== null);
  a.progress.note(`${a.stage}: ${parts.join(', ') || 'nothing to evaluate'}`);
  return { evaluation: ev, features };
}
