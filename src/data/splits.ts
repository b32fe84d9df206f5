// Deterministic train / validation / test / few-shot splits of a labelled set by seed.
//
// Stratified by label: each split takes from every label in proportion to what is left of it
// (largest-remainder rounding, ties to the smaller label index), so label shares match the
// whole set as closely as integer counts allow. Order of carving: test, validation, train;
// the few-shot set is then drawn (stratified again) from train — it is the small labelled
// target set of stage 3, so it must not overlap validation or test. Unlabelled items (label
// null) form a group of their own. Same items + same seed → same splits.
import { Rng } from '../tensor/rng.js';

export interface SplitSizes {
  /** Count (integer >= 1) or fraction in (0, 1) of all items. */
  validation: number;
  test: number;
  /** Default: everything not in validation/test. */
  train?: number;
  /** Drawn from train; default 0 (none). */
  fewShot?: number;
}

export interface SplitOptions<T> {
  seed: number;
  sizes: SplitSizes;
  /** Label of an item for stratification (null = unlabelled). Omit for a plain random split. */
  labelOf?: (item: T) => number | null;
}

export interface Splits<T> {
  train: T[];
  validation: T[];
  test: T[];
  fewShot: T[];
  /** Indices into the input of each split, ascending. */
  indices: { train: number[]; validation: number[]; test: number[]; fewShot: number[] };
}

export function splitDataset<T>(items: readonly T[], opts: SplitOptions<T>): Splits<T> {
  const n = items.length;
  const count = (name: string, v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`splitDataset: ${name} must be a count or a fraction in (0, 1), got ${v}`);
    if (v > 0 && v < 1) return Math.round(n * v);
    if (!Number.isInteger(v)) throw new Error(`splitDataset: ${name} must be a count or a fraction in (0, 1), got ${v}`);
    return v;
  };
  const nTest = count('test', opts.sizes.test, 0);
  const nVal = count('validation', opts.sizes.validation, 0);
  const nTrain = count('train', opts.sizes.train, n - nTest - nVal);
  const nFew = count('fewShot', opts.sizes.fewShot, 0);
  if (nTest + nVal + nTrain > n || nTrain < 0) {
    const train = opts.sizes.train !== undefined ? `${nTrain} train + ` : '';
    throw new Error(`splitDataset: asked for ${train}${nVal} validation + ${nTest} test, but there are only ${n} items`);
  }
  if (nFew > nTrain) throw new Error(`splitDataset: fewShot (${nFew}) is larger than train (${nTrain}); the few-shot set is drawn from train`);

  const rng = new Rng(opts.seed);
  // Groups by label, in ascending label order (null last), each in random order.
  const groupsByLabel = new Map<number | null, number[]>();
  for (let i = 0; i < n; i++) {
    const l = opts.labelOf ? opts.labelOf(items[i]!) : null;
    let g = groupsByLabel.get(l);
    if (g === undefined) groupsByLabel.set(l, (g = []));
    g.push(i);
  }
  const keys = [...groupsByLabel.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  const pools = keys.map((k) => rng.shuffle(groupsByLabel.get(k)!));

  const take = (from: number[][], k: number): number[] => {
    const sizes = from.map((p) => p.length);
    const alloc = allocate(k, sizes);
    const out: number[] = [];
    from.forEach((p, g) => {
      for (const i of p.splice(0, alloc[g]!)) out.push(i); // no push(...big): ~125k+ args overflow the stack
    });
    return out.sort((a, b) => a - b);
  };
  const test = take(pools, nTest);
  const validation = take(pools, nVal);
  const train = take(pools, nTrain);
  let fewShot: number[] = [];
  if (nFew > 0) {
    const trainPools = keys.map(() => [] as number[]);
    const keyIndex = new Map(keys.map((k, i) => [k, i]));
    for (const i of rng.shuffle([...train])) trainPools[keyIndex.get(opts.labelOf ? opts.labelOf(items[i]!) : null)!]!.push(i);
    fewShot = take(trainPools, nFew);
  }
  const pick = (idx: number[]) => idx.map((i) => items[i]!);
  return {
    train: pick(train),
    validation: pick(validation),
    test: pick(test),
    fewShot: pick(fewShot),
    indices: { train, validation, test, fewShot },
  };
}

/** Largest-remainder split of k over groups proportional to their sizes (k <= sum of sizes). */
function allocate(k: number, sizes: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (k === 0 || total === 0) return sizes.map(() => 0);
  const exact = sizes.map((s) => (k * s) / total);
  const alloc = exact.map((e) => Math.floor(e));
  let left = k - alloc.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, g) => ({ g, frac: e - Math.floor(e) }))
    .sort((a, b) => b.frac - a.frac || a.g - b.g);
  for (const { g } of order) {
    if (left === 0) break;
    if (alloc[g]! < sizes[g]!) {
      alloc[g]! += 1;
      left -= 1;
    }
  }
  return alloc;
}
