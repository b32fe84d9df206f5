// A two-domain "review" problem with a known answer, shared by the bag-of-words DANN test and the
// stage-2 shortcut bench. Both domains share noisy sentiment words (goodK / badK: each occurrence
// agrees with the label 70% of the time). The source also has the word "sourcecue", in 90% of its
// positive and 10% of its negative reviews — a shortcut the target never has — and each domain has
// label-free filler words of its own (srcfillK / tgtfillK). A source-trained classifier leans on the
// shortcut; removing what tells the domains apart (the cue among it) is what should help the target.
import type { Rng } from '../../src/tensor/rng.js';

export function shortcutDomainTexts(n: number, domain: 'source' | 'target', rng: Rng): { texts: string[]; labels: number[] } {
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.uniform() < 0.5 ? 1 : 0;
    const words: string[] = [];
    for (let k = 0; k < 4; k++) {
      const agrees = rng.uniform() < 0.7;
      const pos = agrees ? y === 1 : y === 0;
      words.push(`${pos ? 'good' : 'bad'}${Math.floor(rng.uniform() * 8)}`);
    }
    if (domain === 'source' && rng.uniform() < (y === 1 ? 0.9 : 0.1)) words.push('sourcecue');
    for (let k = 0; k < 4; k++) words.push(`${domain === 'source' ? 'srcfill' : 'tgtfill'}${Math.floor(rng.uniform() * 12)}`);
    texts.push(rng.shuffle(words).join(' '));
    labels.push(y);
  }
  return { texts, labels };
}
