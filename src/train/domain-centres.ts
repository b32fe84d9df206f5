// Domain centres at the start of stage 2 (stage2.centre_features): each domain's pooled vectors,
// averaged over its text (source: labelled train rows; target: unlabelled rows), become that
// domain's centre (AdapterModel.setDomainCentre), so the task head and the discriminator read
// `pooled − centre(domain)`. A first-moment difference between the domains — the direction a
// held-out linear domain classifier reads first, and the shift that tilts a source-trained head
// towards one class on target text — then never reaches them (mean matching; AdaBN-style
// domain-specific normalisation, Li et al. 2016, reduced to its linear part). The source task
// head absorbs its new input shift in its bias, so its source predictions do not change; target
// rows are what move.
import type { EncodedExample } from '../data/index.js';
import { SequenceClassificationHead, type AdapterModel, type HeadPooling } from '../models/index.js';
import { poolFeatures } from './evaluate.js';

/** Rows per domain whose pooled vectors are averaged (the centre's standard error is σ/√n). */
export const DOMAIN_CENTRE_ROWS = 1000;

export interface CentreDomain {
  /** The domain's name (the key of its centre). */
  name: string;
  /** The adapter its rows run through in the stage that follows. */
  adapter: string | null;
  rows: readonly EncodedExample[];
}

/** Mean of the raw pooled vectors of `d.rows` (no centre subtracted) → [H]. */
function meanOf(model: AdapterModel, d: CentreDomain, pooling: HeadPooling, batchSize: number, padId: number): Float64Array {
  if (d.rows.length === 0) throw new Error(`domain centre of '${d.name}': no rows`);
  const X = poolFeatures(model, d.rows.slice(0, DOMAIN_CENTRE_ROWS), { adapter: d.adapter, features: pooling === 'pooler' ? 'pooled' : pooling, batchSize, padId, domain: null });
  const H = X[0]!.length;
  const m = new Float64Array(H);
  for (const r of X) for (let j = 0; j < H; j++) m[j] += r[j]! / X.length;
  return m;
}

/**
 * Set the centres of `domains` and keep the heads in `trainedOn` (sequence heads trained on rows
 * of domain `trainedOn.domain`) computing the same function for that domain: their bias absorbs
 * the change of what they read. Returns the distance between the centres (for the log).
 */
export function centreDomains(
  model: AdapterModel,
  a: { pooling: HeadPooling; domains: readonly CentreDomain[]; trainedOn: { domain: string; heads: readonly string[] }; batchSize: number; padId: number },
): { distance: number } {
  const means = a.domains.map((d) => meanOf(model, d, a.pooling, a.batchSize, a.padId));
  const i = a.domains.findIndex((d) => d.name === a.trainedOn.domain);
  if (i < 0) throw new Error(`domain centres: '${a.trainedOn.domain}' is not among the domains (${a.domains.map((d) => d.name).join(', ')})`);
  const old = model.domainCentre(a.trainedOn.domain);
  const shift = Float32Array.from(means[i]!, (x, j) => x - (old !== null && old.pooling === a.pooling ? old.mean[j]! : 0));
  for (const name of a.trainedOn.heads) {
    const h = model.getHead(name);
    if (h instanceof SequenceClassificationHead && h.pooling === a.pooling) h.absorbInputShift(shift);
  }
  a.domains.forEach((d, k) => model.setDomainCentre(d.name, a.pooling, means[k]!));
  let distance = 0;
  if (means.length === 2) for (let j = 0; j < means[0]!.length; j++) distance += (means[0]![j]! - means[1]![j]!) ** 2;
  return { distance: Math.sqrt(distance) };
}
