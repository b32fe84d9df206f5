// `adaptext inspect MODEL_DIR [--json] [--freeze-layers N]`: prints `inspectModel` (src/tasks)
// as text, or as JSON.
import type { Command } from 'commander';
import { inspectModel, type InspectReport } from '../../tasks/index.js';
import { intArg, modelArg } from '../args.js';
import { formatCount } from '../../engine/format.js';

function fmtBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Compact layer list: [6,7,8,9,11] → "6-9, 11". */
export function layerRanges(ls: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ls.length;) {
    let j = i;
    while (j + 1 < ls.length && ls[j + 1] === ls[j]! + 1) j++;
    out.push(j === i ? `${ls[i]}` : `${ls[i]}-${ls[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

export function formatInspect(r: InspectReport): string {
  const a = r.architecture;
  const lines: string[] = [];
  const where = r.dir === r.path ? r.dir : `${r.path} (latest checkpoint: ${r.dir})`;
  lines.push(`${where}  [${r.kind === 'hf' ? 'Hugging Face folder' : r.kind === 'run' ? 'run folder' : 'adaptext model folder'}]`);
  lines.push('');
  lines.push('architecture');
  lines.push(`  model type        ${a.modelType}${a.architectures.length > 0 ? `  (${a.architectures.join(', ')})` : ''}`);
  lines.push(`  layers            ${a.layers}`);
  lines.push(`  hidden            ${a.hidden}  (intermediate ${a.intermediate}, ${a.hiddenAct})`);
  lines.push(`  attention heads   ${a.attentionHeads}  (head size ${a.hidden / a.attentionHeads})`);
  lines.push(`  vocab             ${a.vocab}`);
  lines.push(`  max positions     ${a.maxPositions}  (token types ${a.typeVocab})`);
  const dt = Object.entries(r.weights.dtypes)
    .map(([d, n]) => `${d} ×${n}`)
    .join(', ');
  lines.push(`  weights           ${fmtBytes(r.weights.bytes)}${dt ? `  (${dt})` : ''}`);
  lines.push('');
  lines.push(`parameters${r.frozenLayers > 0 ? `  (with embeddings + layers 0-${r.frozenLayers - 1} frozen)` : ''}`);
  lines.push(`  ${'group'.padEnd(12)}${'total'.padStart(14)}${'trainable'.padStart(14)}`);
  for (const g of ['embeddings', 'backbone', 'adapters', 'heads', 'total'] as const) {
    const p = r.parameters[g];
    lines.push(`  ${g.padEnd(12)}${p.total.toLocaleString('en-US').padStart(14)}${p.trainable.toLocaleString('en-US').padStart(14)}`);
  }
  lines.push('');
  if (r.adapters.length === 0) lines.push('adapters          none');
  else {
    lines.push(`adapters          ${r.adapters.length} (active: ${r.activeAdapter ?? 'none'})`);
    for (const ad of r.adapters) {
      const rf = typeof ad.reductionFactor === 'number' ? String(ad.reductionFactor) : JSON.stringify(ad.reductionFactor);
      const widths = [...new Set(ad.bottleneck)].join('/');
      lines.push(
        `  ${ad.active ? '*' : ' '} ${ad.name.padEnd(14)} ${ad.preset}, reduction ${rf} (bottleneck ${widths}), ${ad.nonLinearity}, ` +
          `layers ${layerRanges(ad.layers)} [${ad.slots.join(' + ')}], ${formatCount(ad.parameters)} params`,
      );
    }
  }
  if (r.heads.length === 0) lines.push('heads             none');
  else {
    lines.push(`heads             ${r.heads.length}`);
    for (const h of r.heads) {
      const flags = [h.active ? 'active' : null, h.main ? 'main' : null].filter((x) => x !== null).join(', ');
      const labels = h.labels !== null ? `labels ${h.labels.join(', ')}` : h.numLabels !== null ? `${h.numLabels} labels` : '';
      lines.push(`    ${h.name.padEnd(14)} ${h.type}${labels ? `, ${labels}` : ''}, ${formatCount(h.parameters)} params${flags ? ` (${flags})` : ''}`);
    }
  }
  lines.push('');
  if (r.tokenizer !== null) {
    const t = r.tokenizer;
    lines.push(
      `tokenizer         ${t.kind === 'wordpiece' ? 'WordPiece' : 'byte-level BPE'}, vocab ${t.vocabSize}` +
        `${t.modelMaxLength !== null && t.modelMaxLength < 1e9 ? `, max length ${t.modelMaxLength}` : ''}` +
        `${t.matchesModel ? '' : `  (WARNING: more ids than the model's ${a.vocab} embedding rows)`}`,
    );
  } else lines.push(`tokenizer         none (${r.tokenizerError})`);
  if (r.note !== null) lines.push(`note: ${r.note}`);
  if (r.load.initialized.length > 0) lines.push(`note: not in the checkpoint, initialised fresh: ${r.load.initialized.join(', ')}`);
  if (r.load.adapterFolders.length > 0) lines.push(`note: adapters loaded from adapters/: ${r.load.adapterFolders.join(', ')}`);
  if (r.load.headFolders.length > 0) lines.push(`note: heads loaded from heads/: ${r.load.headFolders.join(', ')}`);
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('show a model folder: architecture, parameter counts per group, adapters, heads, tokenizer')
    .argument('<model_dir>', 'Hugging Face / adaptext model folder, a run checkpoint, a run folder (latest stage), or a hub model id (org/name[@revision])')
    .option('--json', 'print the report as JSON')
    .option('--freeze-layers <n>', 'count trainable parameters as if embeddings + the lower n layers were frozen', intArg('--freeze-layers', 0))
    .action(async (dir: string, o: { json?: boolean; freezeLayers?: number }) => {
      const report = inspectModel(await modelArg(dir), { freezeLayers: o.freezeLayers });
      process.stdout.write(o.json === true ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report));
    });
}
