// The evaluation records of a run folder (docs/run-format.md): what the pipeline writes into
// metrics.json / log.jsonl / run.json and what the report reads back. Plain JSON shapes, so
// they survive a round trip through JSON.stringify/parse unchanged.

/** Per-class scores, sklearn `precision_recall_fscore_support` semantics (zero_division=0). */
export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of examples whose TRUE label is this class. */
  support: number;
}

export interface Metrics {
  /** Examples scored (for token classification: non-ignored positions). */
  n: number;
  accuracy: number;
  /** Unweighted mean of per-class F1 over the classes present in truth or predictions. */
  macroF1: number;
  labels: string[];
  perClass: ClassScores[];
  /** confusion[true][pred], counts. */
  confusion: number[][];
}

export interface DomainConfusion {
  /** Held-out accuracy of a fresh source-vs-target classifier; 0.5 = indistinguishable. */
  accuracy: number;
  /** 2(1 - 2ε), ε = held-out error. 2 = perfectly separable, 0 = indistinguishable. */
  proxyADistance: number;
  /** Held-out examples the accuracy is measured on (half source, half target). */
  n: number;
}

export interface Point {
  x: number;
  y: number;
  domain: 'source' | 'target';
  label?: string;
}

export interface StageMetrics {
  target_test?: Metrics;
  source_test?: Metrics;
  domain_confusion?: DomainConfusion;
}

export interface RunMetrics {
  labels: string[];
  stages: Record<string, StageMetrics>;
  /** `stage`: the run folder the row was measured in (stage1 … fewshot_only); absent in older files. */
  ablation?: Array<{ name: string; description: string; stage?: string; target: Metrics; domain_confusion?: DomainConfusion }>;
  baselines?: Array<{ name: string; description: string; target: Metrics }>;
  vocab?: { added: number; fragmentationBefore: number; fragmentationAfter: number; examples: string[] };
  /** explainedVarianceRatio is an optional addition (projectBeforeAfter returns it): axis labels show it. */
  projection?: { before: Point[]; after: Point[]; explainedVarianceRatio?: { before?: number[]; after?: number[] } };
}

export interface StepRecord {
  type: 'step';
  stage: string;
  step: number;
  epoch: number;
  loss: number;
  lossTask?: number;
  lossMlm?: number;
  lossDomain?: number;
  lossConfusion?: number;
  discAcc?: number;
  lambda?: number;
  lr: number;
  gradNorm: number;
  time: number;
}

export interface EvalRecord {
  type: 'eval';
  stage: string;
  split: 'validation' | 'test';
  domain: 'source' | 'target';
  step: number;
  metrics: Metrics;
}

export type LogRecord = StepRecord | EvalRecord;

export interface RunInfo {
  formatVersion: number;
  adaptextVersion?: string;
  createdAt?: string;
  config?: unknown;
  seed?: number;
  model?: string;
}
