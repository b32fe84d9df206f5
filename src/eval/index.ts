// Evaluation: sklearn-compatible metrics, the domain-confusion measure (fresh logistic-regression
// domain classifier + proxy A-distance), 2-D PCA of pooled features, and the HTML run report.
export type { ClassScores, DomainConfusion, EvalRecord, LogRecord, Metrics, Point, RunInfo, RunMetrics, StageMetrics, StepRecord } from './types.js';
export { classificationMetrics, tokenClassificationMetrics, confusionMatrix, metricsFromConfusion } from './metrics.js';
export { fitLogisticRegression, fitLinearLogistic, linearLogisticProba, argmaxRows } from './logreg.js';
export type { LogisticOptions, LinearLogistic, LogisticRegressionModel, FitLogisticRegressionOptions } from './logreg.js';
export { DenseMatrix, CsrMatrix, type DesignMatrix } from './design-matrix.js';
export { minimizeLbfgs, type LbfgsOptions, type LbfgsResult } from './lbfgs.js';
export { domainConfusion, type DomainConfusionOptions, type DomainConfusionResult } from './domain-confusion.js';
export { fitPca2d, projectBeforeAfter, type Pca2d, type FeatureSnapshot, type ProjectionOptions } from './projection.js';
export { renderReport, writeReport, readRunFolder, parseLog, checkRunMetrics, type ReportInput } from './report.js';
