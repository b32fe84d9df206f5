// `node --import tsx bench/tfidf-cjk/run.ts [options]` — the TF-IDF + LR baseline rows on Chinese
// review data with the word analyzer (sklearn's default token pattern: what the baseline did before
// issue 16) against character n-grams, on the data a user's `adaptext train` run sees (issue 16
// item 1). No neural training: seconds per pair.
//
// Data per pair S→T (ChineseNlpCorpus online_shopping_10_cats, shared/data/online_shopping_10_cats,
// one JSON Lines file per category): the pipeline's own loader (src/train/data.ts) on a config with
// `labelled:` files and the default split (10% validation, 10% test, stratified, seed 42) and
// `stage3.shots: 500`, so the rows are exactly the ones `adaptext train` writes to metrics.json:
// trained on the S train split (source only), or on it + 500 T train labels (few-shot), both scored
// on the T test split. The rows come from `tfidfBaselines` (src/baselines/index.ts) with the analyzer
// forced, plus 'auto' to show what the default picks.
//
//   --pairs clothes:fruit,tablet:phone   ordered pairs of categories (default: the six in parseArgs)
//   --analyzers word,char,char_wb,auto   (default all four)
//   --jieba DIR        also a jieba-segmented word 1-2-gram row, with @node-rs/jieba installed under
//                      DIR/node_modules (not a dependency of adaptext; see RESULTS.md)
//   --dump DIR         write each pair's split as DIR/<S>-<T>.json for sklearn_check.py
//   --markdown FILE  --json FILE
//   ADAPTEXT_DATA      data folder (default /work/shared/data)
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { tfidfBaselines, type BaselineRow } from '../../src/baselines/index.js';
import { validateConfig } from '../../src/train/config.js';
import { loadPipelineData } from '../../src/train/data.js';

const DATA = process.env['ADAPTEXT_DATA'] ?? '/work/shared/data';
const DIR = join(DATA, 'online_shopping_10_cats');
const CATEGORIES = ['books', 'tablet', 'phone', 'fruit', 'water_heater', 'milk', 'clothes', 'hotel'];
const ANALYZERS = ['word', 'char', 'char_wb', 'auto'] as const;
type Analyzer = (typeof ANALYZERS)[number];

interface Args {
  pairs: Array<[string, string]>;
  analyzers: Analyzer[];
  jieba: string | null;
  dump: string | null;
  markdown: string | null;
  json: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    pairs: [
      ['clothes', 'fruit'],
      ['fruit', 'clothes'],
      ['tablet', 'phone'],
      ['phone', 'tablet'],
      ['books', 'milk'],
      ['milk', 'books'],
    ],
    analyzers: [...ANALYZERS],
    jieba: null,
    dump: null,
    markdown: null,
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`bench/tfidf-cjk: ${flag} needs a value`);
    if (flag === '--pairs') {
      a.pairs = v.split(',').map((p) => {
        const [s, t] = p.split(':');
        if (!CATEGORIES.includes(s!) || !CATEGORIES.includes(t!) || s === t) {
          throw new Error(`bench/tfidf-cjk: --pairs: '${p}' is not source:target of two different categories (${CATEGORIES.join(', ')})`);
        }
        return [s!, t!];
      });
    } else if (flag === '--analyzers') {
      a.analyzers = v.split(',').map((x) => {
        if (!(ANALYZERS as readonly string[]).includes(x)) throw new Error(`bench/tfidf-cjk: --analyzers: '${x}' is not one of ${ANALYZERS.join(', ')}`);
        return x as Analyzer;
      });
    } else if (flag === '--jieba') a.jieba = resolve(v);
    else if (flag === '--dump') a.dump = resolve(v);
    else if (flag === '--markdown') a.markdown = v;
    else if (flag === '--json') a.json = v;
    else throw new Error(`bench/tfidf-cjk: unknown flag '${flag}' (--pairs, --analyzers, --jieba, --dump, --markdown, --json)`);
  }
  return a;
}

interface Row {
  analyzer: string;
  name: string;
  sourceOnly: number;
  fewShot: number;
  seconds: number;
}
interface PairResult {
  pair: string;
  sizes: { sourceTrain: number; fewShot: number; targetTest: number };
  rows: Row[];
}

/**
 * A Python user's `TfidfVectorizer(tokenizer=jieba.lcut, ngram_range=(1, 2), ...)`, through the word
 * analyzer: each jieba token (whitespace-only ones dropped) is spelled as one ASCII word-character
 * string, so the word analyzer keeps every token, one-character words and punctuation included.
 */
function jiebaSegmenter(dir: string): (text: string) => string {
  const req = createRequire(join(dir, 'node_modules', 'x.js'));
  const { Jieba } = req('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): { cut(s: string, hmm?: boolean): string[] } } };
  const { dict } = req('@node-rs/jieba/dict') as { dict: Uint8Array };
  const jieba = Jieba.withDict(dict);
  return (text) =>
    jieba
      .cut(text.toLowerCase(), true)
      .filter((t) => t.trim() !== '')
      .map((t) => 'j' + [...t].map((c) => c.codePointAt(0)!.toString(36)).join('_'))
      .join(' ');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const segment = args.jieba !== null ? jiebaSegmenter(args.jieba) : null;
  const results: PairResult[] = [];
  for (const [S, T] of args.pairs) {
    const cfg = validateConfig(
      {
        model: './unused',
        output: './unused',
        tasks: { sentiment: { type: 'sequence_classification', labels: ['negative', 'positive'] } },
        source: { name: S, task: 'sentiment', labelled: join(DIR, `${S}.labeled.jsonl`) },
        target: { name: T, task: 'sentiment', labelled: join(DIR, `${T}.labeled.jsonl`) },
        stage3: { shots: 500 },
      },
      'bench/tfidf-cjk',
      process.cwd(),
    );
    const data = loadPipelineData(cfg);
    const lt = (xs: typeof data.source.train) => ({ texts: xs.map((e) => (e.kind === 'text' ? e.text : '')), labels: xs.map((e) => (e.kind === 'text' ? (e.label ?? 0) : 0)) });
    const source = lt(data.source.train);
    const fewShot = lt(data.target.fewShot);
    const targetTest = lt(data.target.test);
    const labels = [...cfg.tasks['sentiment']!.labels];
    if (args.dump !== null) {
      mkdirSync(args.dump, { recursive: true });
      writeFileSync(join(args.dump, `${S}-${T}.json`), JSON.stringify({ pair: `${S}:${T}`, source, fewShot, targetTest }));
    }
    const r: PairResult = { pair: `${S}:${T}`, sizes: { sourceTrain: source.texts.length, fewShot: fewShot.texts.length, targetTest: targetTest.texts.length }, rows: [] };
    const add = (analyzer: string, rows: BaselineRow[], seconds: number, name = rows[0]!.name) =>
      r.rows.push({ analyzer, name, sourceOnly: 100 * rows[0]!.target.accuracy, fewShot: 100 * rows[1]!.target.accuracy, seconds });
    for (const analyzer of args.analyzers) {
      const t0 = performance.now();
      const rows = tfidfBaselines({ labels, source, targetFewShot: fewShot, targetTest, options: { analyzer } });
      add(analyzer, rows, (performance.now() - t0) / 1000);
    }
    if (segment !== null) {
      const t0 = performance.now();
      const seg = (x: { texts: string[]; labels: number[] }) => ({ texts: x.texts.map(segment), labels: x.labels });
      const rows = tfidfBaselines({ labels, source: seg(source), targetFewShot: seg(fewShot), targetTest: seg(targetTest), options: { analyzer: 'word' } });
      add('jieba', rows, (performance.now() - t0) / 1000, 'TF-IDF (jieba words 1-2) + LR (source only), bench only');
    }
    results.push(r);
    for (const x of r.rows) process.stderr.write(`${r.pair} ${x.analyzer.padEnd(7)} ${x.sourceOnly.toFixed(1)} ${x.fewShot.toFixed(1)}  (${x.name}, ${x.seconds.toFixed(1)} s)\n`);
  }
  const md = markdown(results);
  process.stdout.write(md);
  if (args.markdown !== null) writeFileSync(args.markdown, md);
  if (args.json !== null) writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n');
}

function markdown(results: PairResult[]): string {
  const cols = results[0]?.rows.map((x) => x.analyzer) ?? [];
  const head = `| pair (train / +few-shot / test) | ${cols.map((c) => `${c} src | ${c} src+500`).join(' | ')} |`;
  const lines = [head, `|---|${cols.map(() => '---:|---:').join('|')}|`];
  for (const r of results) {
    lines.push(
      `| ${r.pair.replace(':', ' → ')} (${r.sizes.sourceTrain} / ${r.sizes.fewShot} / ${r.sizes.targetTest}) | ${r.rows.map((x) => `${x.sourceOnly.toFixed(1)} | ${x.fewShot.toFixed(1)}`).join(' | ')} |`,
    );
  }
  const mean = (f: (x: Row) => number, i: number) => results.reduce((s, r) => s + f(r.rows[i]!), 0) / results.length;
  lines.push(`| **mean** | ${cols.map((_, i) => `**${mean((x) => x.sourceOnly, i).toFixed(1)}** | **${mean((x) => x.fewShot, i).toFixed(1)}**`).join(' | ')} |`);
  const names = cols.map((c, i) => `${c}: "${results[0]!.rows[i]!.name}"`).join('; ');
  return `${lines.join('\n')}\n\nRow names written to metrics.json (first pair): ${names}\n`;
}

main();
