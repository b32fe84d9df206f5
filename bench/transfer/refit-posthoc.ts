// The stage-2 head refit (stage2.refit_head) applied after the fact to finished stage2-variants.ts
// folders: for each OUT/<pair>-s<seed>/VARIANT, load its stage-2 checkpoint, score the target
// validation + few-shot rows, refit the source head exactly as the pipeline's stage-2 epoch end does
// (linearProbeInit on the source train rows through the target adapter, relative to the source
// centre, C by source validation) and score again; `auto` = keep the trained head unless the probe
// wins on source validation. A cheap way to measure the refit on stage-2 runs made without it.
//
//   node --import tsx bench/transfer/refit-posthoc.ts VARIANT OUT [OUT ...]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { evaluateTask } from '../../src/train/evaluate.js';
import { linearProbeInit } from '../../src/train/head-init.js';
import type { TaskConfig } from '../../src/train/config.js';
import { encodeLabelled } from './rows.js';

interface RunConfig {
  max_length: number;
  tasks: Record<string, TaskConfig>;
  source: { name: string; task: string; train: string; validation: string };
  target: { name: string; test: string; few_shot: string };
}

const [variant, ...roots] = process.argv.slice(2);
if (variant === undefined || roots.length === 0) throw new Error('usage: refit-posthoc.ts VARIANT OUT [OUT ...]');
const diffs: Record<'always' | 'auto', number[]> = { always: [], auto: [] };
for (const root of roots) {
  for (const ps of readdirSync(root).sort()) {
    const dir = join(root, ps, variant);
    if (!existsSync(join(dir, 'stage2'))) continue;
    const cfg = (JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { config: RunConfig }).config;
    const { model, tokenizer } = loadCheckpoint(join(dir, 'stage2'), { seed: 1 });
    const enc = (file: string, domain: number) => encodeLabelled(file, tokenizer, cfg.max_length, domain);
    const source = { train: enc(cfg.source.train, 0), validation: enc(cfg.source.validation, 0) };
    // in a stage2-variants folder target.test is the target's validation file
    const target = { validation: enc(cfg.target.test, 1), fewShot: enc(cfg.target.few_shot, 1) };
    const head = cfg.source.task;
    const opts = { batchSize: 64, padId: tokenizer.specialIds.pad };
    const ev = (rows: typeof target.validation, domain: string) => evaluateTask(model, rows, { adapter: cfg.target.name, domain, head, task: cfg.tasks[head]!, ...opts });
    const score = () => {
      const v = ev(target.validation, cfg.target.name);
      const f = ev(target.fewShot, cfg.target.name);
      return { accuracy: (v.accuracy + f.accuracy) / 2, macroF1: (v.macroF1 + f.macroF1) / 2, sourceValidation: ev(source.validation, cfg.source.name).accuracy };
    };
    const before = score();
    const probe = linearProbeInit(model, { head, adapter: cfg.target.name, domain: cfg.source.name, train: source.train, validation: source.validation, ...opts });
    if (probe === null) throw new Error(`${dir}: head '${head}' is not a single Linear; nothing to refit`);
    const after = score();
    const auto = probe.validationAccuracy! > before.sourceValidation ? after : before;
    diffs.always.push(after.accuracy - before.accuracy);
    diffs.auto.push(auto.accuracy - before.accuracy);
    console.log(JSON.stringify({ pairSeed: ps, before, always: after, auto, C: probe.C }));
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length);
for (const k of ['always', 'auto'] as const) {
  const d = diffs[k];
  console.log(
    `${k} − trained head: ${(100 * mean(d)).toFixed(1)} ± ${(100 * se(d)).toFixed(1)} points (standard error; ${d.filter((x) => x > 0).length} of ${d.length} ahead), target validation + few-shot rows`,
  );
}
