// Loads the scikit-learn reference values written by fixtures/sklearn_golden.py.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { arrayDiff } from '../support/close.js';

export interface Golden {
  sklearn: string;
  metrics: Array<{
    k: number;
    y: number[];
    p: number[];
    accuracy: number;
    macroF1: number;
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    confusion: number[][];
  }>;
  logreg: Array<{
    k: number;
    C: number;
    X: number[][];
    y: number[];
    Xq: number[][];
    mean: number[];
    scale: number[];
    coef: number[][];
    intercept: number[];
    proba: number[][];
  }>;
  tfidf: {
    docs: string[];
    y: number[];
    queries: string[];
    vocabulary: string[];
    idf: number[];
    train_rows: Array<{ indices: number[]; data: number[] }>;
    query_rows: Array<{ indices: number[]; data: number[] }>;
    coef: number[][];
    intercept: number[];
    proba: number[][];
  };
  pca: { X: number[][]; components: number[][]; explained_variance_ratio: number[]; explained_variance_ddof0: number[] };
}

export const golden: Golden = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/sklearn_golden.json', import.meta.url)), 'utf8')) as Golden;

/** Largest |a - b| over two equal-length arrays (asserts equal length; Infinity on a NaN mismatch). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return arrayDiff(a, b, 'maxDiff').maxAbs;
}
