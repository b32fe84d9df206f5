// Makes the bundled Chinese demo data (data/zh-shopping) and, with --pretrain-corpus, the corpus
// the Chinese backbone (models/adaptext-mini-zh) is pretrained on — from the shared copy of
// ChineseNlpCorpus (online_shopping_10_cats, waimai_10k). One script does both so the rule that
// keeps them apart lives in one place: no text of a bundled *labelled* review (the demo's train,
// validation and test splits) is ever a pretraining input.
//
//   node --import tsx tools/bundle-zh-data.ts [--shared DIR] [--out data/zh-shopping]
//        [--pretrain-corpus FILE.jsonl] [--heldout FILE.jsonl] [--force]
//
// Existing outputs are not replaced unless --force (one line names the first one found).
//
// Per demo domain (books, hotel, tablet, fruit): the first 1,000 positive and the first 1,000
// negative reviews in source order are the labelled set; the next 1,850 reviews in source order
// are the unlabelled set (labels dropped; books has 3,850 reviews, the smallest of the four).
// The pretraining corpus: every other review of online_shopping_10_cats except the phone
// category, plus waimai_10k, with texts equal to a bundled labelled text removed. The held-out
// set is the phone category (text only). ChnSentiCorp hotel reviews are left out entirely: the
// online-shopping "hotel" category overlaps it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

export const ZH_DEMO_DOMAINS = ['books', 'hotel', 'tablet', 'fruit'] as const;
const LABELLED_PER_CLASS = 1000;
const UNLABELLED = 1850;
const HELDOUT_DOMAIN = 'phone';

interface Row {
  id: string;
  text: string;
  label: string;
}

function readJsonl(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const o = JSON.parse(l) as Partial<Row>;
      if (typeof o.id !== 'string' || typeof o.text !== 'string' || (o.label !== 'positive' && o.label !== 'negative')) {
        throw new Error(`${file}:${i + 1}: expected id, text and label positive|negative`);
      }
      return o as Row;
    });
}

function writeGz(file: string, rows: readonly object[]): void {
  writeFileSync(file, gzipSync(Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'), { level: 9 }));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      shared: { type: 'string', default: join(import.meta.dirname, '..', '..', 'shared', 'data') },
      out: { type: 'string', default: join(import.meta.dirname, '..', 'data', 'zh-shopping') },
      'pretrain-corpus': { type: 'string' },
      heldout: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  const shop = join(resolve(values.shared), 'online_shopping_10_cats');
  const out = resolve(values.out);
  const outputs = [
    ...ZH_DEMO_DOMAINS.flatMap((d) => [join(out, `${d}.labeled.jsonl.gz`), join(out, `${d}.unlabeled.jsonl.gz`)]),
    join(out, 'stats.json'),
    ...[values['pretrain-corpus'], values.heldout].filter((f) => f !== undefined).map((f) => resolve(f)),
  ];
  const existing = outputs.find((f) => existsSync(f));
  if (existing !== undefined && !values.force) throw new Error(`bundle-zh-data: ${existing} exists; pass --force to replace the outputs`);
  mkdirSync(out, { recursive: true });
  const labelledTexts = new Set<string>();
  const unlabelledIds = new Set<string>();
  const stats: Record<string, object> = {};
  for (const domain of ZH_DEMO_DOMAINS) {
    const rows = readJsonl(join(shop, `${domain}.labeled.jsonl`));
    const pos = rows.filter((r) => r.label === 'positive').slice(0, LABELLED_PER_CLASS);
    const neg = rows.filter((r) => r.label === 'negative').slice(0, LABELLED_PER_CLASS);
    if (pos.length < LABELLED_PER_CLASS || neg.length < LABELLED_PER_CLASS) throw new Error(`${domain}: fewer than ${LABELLED_PER_CLASS} reviews of a label`);
    const chosen = new Set([...pos, ...neg].map((r) => r.id));
    const labelled = rows.filter((r) => chosen.has(r.id));
    const unlabelled = rows.filter((r) => !chosen.has(r.id)).slice(0, UNLABELLED);
    if (unlabelled.length < UNLABELLED) throw new Error(`${domain}: fewer than ${UNLABELLED} reviews left for the unlabelled set`);
    labelled.forEach((r) => labelledTexts.add(r.text));
    unlabelled.forEach((r) => unlabelledIds.add(r.id));
    writeGz(
      join(out, `${domain}.labeled.jsonl.gz`),
      labelled.map((r) => ({ id: r.id, text: r.text, label: r.label })),
    );
    writeGz(
      join(out, `${domain}.unlabeled.jsonl.gz`),
      unlabelled.map((r) => ({ id: r.id, text: r.text })),
    );
    stats[domain] = { source: rows.length, labeled_written: labelled.length, labeled_positive: pos.length, labeled_negative: neg.length, unlabeled_written: unlabelled.length };
  }
  writeFileSync(join(out, 'stats.json'), JSON.stringify(stats, null, 2) + '\n');
  process.stdout.write(`${out}: ${ZH_DEMO_DOMAINS.length} domains, ${labelledTexts.size} labelled texts\n`);

  if (values['pretrain-corpus'] === undefined) return;
  const sources = [
    ...['books', 'clothes', 'fruit', 'hotel', 'milk', 'tablet', 'water_heater'].map((d) => join(shop, `${d}.labeled.jsonl`)),
    join(resolve(values.shared), 'waimai_10k', 'waimai.labeled.jsonl'),
  ];
  let dropped = 0;
  const corpus: { id: string; text: string }[] = [];
  for (const file of sources) {
    for (const r of readJsonl(file)) {
      if (labelledTexts.has(r.text)) {
        dropped += 1;
        continue;
      }
      corpus.push({ id: r.id, text: r.text });
    }
  }
  writeFileSync(resolve(values['pretrain-corpus']), corpus.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const chars = corpus.reduce((n, r) => n + r.text.length, 0);
  process.stdout.write(`${values['pretrain-corpus']}: ${corpus.length} texts, ${chars} characters (${dropped} equal to a bundled labelled text dropped)\n`);
  if (values.heldout !== undefined) {
    const held = readJsonl(join(shop, `${HELDOUT_DOMAIN}.labeled.jsonl`)).map((r) => ({ id: r.id, text: r.text }));
    writeFileSync(resolve(values.heldout), held.map((r) => JSON.stringify(r)).join('\n') + '\n');
    process.stdout.write(`${values.heldout}: ${held.length} held-out ${HELDOUT_DOMAIN} texts\n`);
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
