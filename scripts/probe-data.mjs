// The bundled Amazon labelled reviews as {text, label: 0 negative | 1 positive}, for the backbone
// probes (scripts/probe-backbone.mjs, scripts/linear-probe.mjs).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from '../src/pretrain/corpus.ts';

export function labelledReviews(dataDir, domain) {
  const file = join(dataDir, `${domain}.labeled.jsonl.gz`);
  if (!existsSync(file)) throw new Error(`${file}: missing (the bundled Amazon data)`);
  return readText(file)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const o = JSON.parse(l);
      if (o.label !== 'positive' && o.label !== 'negative') throw new Error(`${file}:${i + 1}: label must be positive/negative`);
      return { text: o.text, label: o.label === 'positive' ? 1 : 0 };
    });
}
