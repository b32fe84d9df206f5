// Row access to an N x D feature matrix, dense or sparse (CSR), so one logistic-regression
// objective serves both the dense pooled-feature domain classifier and the sparse TF-IDF
// baseline. Only the two operations the objective needs: per-row dot products with K weight
// vectors, and adding a row (scaled per weight vector) into K gradient vectors.
// Shapes: N rows, D columns, K weight vectors stored back to back in w[K*D] (w[k*D + j]).

export interface DesignMatrix {
  readonly rows: number; // N
  readonly cols: number; // D
  /** out[k] = Σ_j X[i,j] · w[k*D + j] for k < K. */
  rowDot(i: number, w: Float64Array, k: number, out: Float64Array): void;
  /** g[k*D + j] += coef[k] · X[i,j] for k < K, every column j of row i. */
  rowAxpy(i: number, coef: Float64Array, k: number, g: Float64Array): void;
}

/** Dense row-major matrix: data[N*D]. */
export class DenseMatrix implements DesignMatrix {
  constructor(
    readonly data: Float64Array, // [N*D]
    readonly rows: number,
    readonly cols: number,
  ) {
    if (data.length !== rows * cols) {
      throw new Error(`DenseMatrix: data has ${data.length} values, expected rows*cols = ${rows}*${cols}`);
    }
  }

  rowDot(i: number, w: Float64Array, k: number, out: Float64Array): void {
    const d = this.cols;
    const off = i * d;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const wo = c * d;
      for (let j = 0; j < d; j++) s += this.data[off + j]! * w[wo + j]!;
      out[c] = s;
    }
  }

  rowAxpy(i: number, coef: Float64Array, k: number, g: Float64Array): void {
    const d = this.cols;
    const off = i * d;
    for (let c = 0; c < k; c++) {
      const a = coef[c]!;
      if (a === 0) continue;
      const go = c * d;
      for (let j = 0; j < d; j++) g[go + j] += a * this.data[off + j]!;
    }
  }
}

/** Compressed sparse rows: row i holds columns indices[indptr[i]..indptr[i+1]) with values. */
export class CsrMatrix implements DesignMatrix {
  constructor(
    readonly indptr: Int32Array, // [N+1]
    readonly indices: Int32Array, // [nnz], ascending within a row
    readonly values: Float64Array, // [nnz]
    readonly cols: number,
  ) {
    const n = indptr.length - 1;
    if (n < 0 || indptr[0] !== 0 || indptr[n] !== indices.length || indices.length !== values.length) {
      throw new Error(`CsrMatrix: inconsistent arrays (indptr ${indptr.length}, last ${indptr[n]}, indices ${indices.length}, values ${values.length})`);
    }
    this.rows = n;
  }

  readonly rows: number;

  rowDot(i: number, w: Float64Array, k: number, out: Float64Array): void {
    const a = this.indptr[i]!;
    const b = this.indptr[i + 1]!;
    const d = this.cols;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const wo = c * d;
      for (let p = a; p < b; p++) s += this.values[p]! * w[wo + this.indices[p]!]!;
      out[c] = s;
    }
  }

  rowAxpy(i: number, coef: Float64Array, k: number, g: Float64Array): void {
    const a = this.indptr[i]!;
    const b = this.indptr[i + 1]!;
    const d = this.cols;
    for (let c = 0; c < k; c++) {
      const s = coef[c]!;
      if (s === 0) continue;
      const go = c * d;
      for (let p = a; p < b; p++) g[go + this.indices[p]!] += s * this.values[p]!;
    }
  }
}
