// `npm run bench:model [-- --json FILE] [--iters N] [--warmup N] [--scenarios a,b,c,d,e]
//                     [--torch-threads 1,2,default] [--no-torch] [--quick]
//                     [--malloc default|keep|both] [--zero-grad drop|fill] [--dropout P] [--gap S]
//                     [--no-decoder-what-if] [--precision fp32,bf16]`
//
// BERT-base (H768, L12, A12, I3072, vocab 21128 = bert-base-chinese), random weights, batch 8,
// seq 128, adaptext (native addon) against the same model in PyTorch (bench/model/torch_peer.py,
// Debian python3-torch, /usr/bin/python3):
//   a  full training step (forward + backward + AdamW, all parameters trainable)
//   b  seq_bn adapters (layers 6-11, reduction 16) + classification head trainable, rest frozen
//   c  inference (eval, no grad), batch 32
//   d  pretraining step of the bundled backbone (models/adaptext-mini-en's architecture: L4 H256
//      A4 I1024 V16000, tied MLM decoder), random init, batch 32 x 128, 15% of positions labelled
//      (the same ones on both sides), dropout 0.1: forward + MLM cross-entropy + backward +
//      grad-norm clip 1.0 + AdamW (0.9/0.98, eps 1e-6, wd 0.01), through the calls `adaptext
//      pretrain` makes per step. adaptext applies the MLM decoder only at the labelled positions
//      (as pretraining does); the PyTorch peer is HF BertForMaskedLM (decoder at every position).
//      Unless --no-decoder-what-if, d also runs the other way round on each side (adaptext full
//      decoder; PyTorch decoder at the labelled positions only, as tools/parity/pretrain_torch.py),
//      so the decoder's share and the like-for-like ratios are printed. Reported as tokens/s
//      (B*T per step) and adaptext tokens/s ÷ PyTorch tokens/s (> 1: adaptext is faster).
//   e  stage-3 step on the bundled backbone (models/adaptext-mini-en's own weights, both sides):
//      seq_bn target adapter in layers 2-3 + a 2-label head on the masked mean trainable, the
//      embeddings and layers 0-1 frozen, batch 16 x 128, the pipeline's optimizer (AdamW groups,
//      clip 1.0): stage3-step.ts / torch_stage3.py. Its dropout is the checkpoint's (--dropout
//      other than 0.1 is refused for e).
//// Every measurement runs in its own process (adaptext-side.ts / torch_peer.py), so the peak RSS
// (VmHWM) is that side's own. Per-step time = median of --iters steps after --warmup steps.
// PyTorch is reported at its best thread setting (1, 2, its default). adaptext's breakdown comes
// from extra steps with every kernel wrapped in a timer (GEMM share vs the rest, GEMM GFLOP/s vs
// raw OpenBLAS at the same shapes measured in a C++ loop by the addon).
//
// --precision fp32,bf16 (default both) measures each scenario at each precision on both sides:
// adaptext `--precision bf16` (the linear layers' GEMMs with bf16 inputs and fp32 sums, the rest
// fp32: src/tensor/precision.ts) against PyTorch's forward + loss under
// torch.autocast('cpu', dtype=torch.bfloat16) (its matmuls, attention's included, in bf16). A bf16
// row's ratio is against PyTorch's best bf16 time; it also prints the ratio against PyTorch's best
// fp32 time of the same scenario (issue 12's goals name both).
//
// --malloc keep|both adds a run of BOTH sides with glibc malloc set to keep freed memory
// (KEEP_MEMORY_TUNABLES below): on this VM fresh pages cost ~45 µs each to fault in, which both
// adaptext (new Float32Array per op) and PyTorch (new tensor per op) pay every step.
//
// Machine etiquette: the CPU is shared, and the benchmark never sends a signal to a process it did
// not start (no pausing): someone's editor, build or training job keeps running. Instead it
// reports the load other processes put on the machine during each measurement: the cores they
// used (/proc/stat busy time minus the measured process's and this driver's own CPU time), the
// load average, and the processes using > 15% of a core just before the run (read from /proc
// only). Results taken under load (others used > UNDER_LOAD_CORES cores) say so: in the per-run
// line, the summary table and the JSON (`underLoad`). `--no-pause` (from when it paused others)
// is accepted and ignored with a one-line note.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MATMUL_PRECISIONS } from '../../src/tensor/precision.js';
import type { MatmulPrecision } from '../../src/tensor/precision.js';
import { gitCommit, machineInfo } from '../support/machine.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const PYTHON = '/usr/bin/python3';

interface Options {
  json: string | null;
  iters: number;
  warmup: number;
  breakdownIters: number;
  scenarios: Array<'a' | 'b' | 'c' | 'd' | 'e'>;
  torchThreads: string[];
  torch: boolean;
  quick: boolean;
  variants: Array<'default' | 'keep-memory'>;
  /** Gradient reset between steps, same semantics on both sides: 'drop' (adaptext zeroGrad(),
   * torch set_to_none=True; the libraries' defaults) or 'fill' (zero the kept buffers in place). */
  zeroGrad: 'drop' | 'fill';
  /** Hidden + attention dropout on both sides (0.1 = BERT; 0 is a what-if showing its cost). */
  dropout: number;
  /** Seconds to wait before each measurement (lets the machine settle after the previous one). */
  gap: number;
  /** d: also run adaptext with the full decoder and PyTorch with the masked-only decoder. */
  decoderWhatIf: boolean;
  precisions: MatmulPrecision[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    json: null,
    iters: 5,
    warmup: 2,
    breakdownIters: 2,
    scenarios: ['a', 'b', 'c', 'd', 'e'],
    torchThreads: ['1', '2', 'default'],
    torch: true,
    quick: false,
    variants: ['default'],
    zeroGrad: 'drop',
    dropout: 0.1,
    gap: 0,
    decoderWhatIf: true,
    precisions: ['fp32', 'bf16'],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench:model: ${a} needs a value`);
      return v;
    };
    const int = (v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`bench:model: ${a} must be an integer >= ${min}, got ${v}`);
      return n;
    };
    if (a === '--json') o.json = next();
    else if (a === '--iters') o.iters = int(next(), 1);
    else if (a === '--warmup') o.warmup = int(next(), 0);
    else if (a === '--breakdown-iters') o.breakdownIters = int(next(), 0);
    else if (a === '--scenarios') {
      const s = next()
        .split(',')
        .map((x) => x.trim());
      for (const x of s) if (x !== 'a' && x !== 'b' && x !== 'c' && x !== 'd' && x !== 'e') throw new Error(`bench:model: --scenarios takes a,b,c,d,e; got '${x}'`);
      o.scenarios = s as Options['scenarios'];
    } else if (a === '--torch-threads') {
      o.torchThreads = next()
        .split(',')
        .map((x) => x.trim());
      for (const t of o.torchThreads) if (t !== 'default' && !/^[1-9]\d*$/.test(t)) throw new Error(`bench:model: --torch-threads takes positive integers or 'default', got '${t}'`);
    } else if (a === '--no-torch') o.torch = false;
    else if (a === '--no-pause') process.stderr.write('bench:model: --no-pause ignored: the benchmark never pauses or signals other processes (it reports their load)\n');
    else if (a === '--no-decoder-what-if') o.decoderWhatIf = false;
    else if (a === '--precision') {
      const ps = next()
        .split(',')
        .map((x) => x.trim());
      for (const p of ps) if (!(MATMUL_PRECISIONS as readonly string[]).includes(p)) throw new Error(`bench:model: --precision takes ${MATMUL_PRECISIONS.join(',')}; got '${p}'`);
      o.precisions = [...new Set(ps)] as MatmulPrecision[];
    } else if (a === '--quick') o.quick = true;
    else if (a === '--gap') o.gap = int(next(), 0);
    else if (a === '--dropout') {
      const v = Number(next());
      if (!(v >= 0 && v < 1)) throw new Error(`bench:model: --dropout must be in [0, 1)`);
      o.dropout = v;
    } else if (a === '--zero-grad') {
      const v = next();
      if (v !== 'drop' && v !== 'fill') throw new Error(`bench:model: --zero-grad takes drop or fill; got '${v}'`);
      o.zeroGrad = v;
    } else if (a === '--malloc') {
      const v = next();
      if (v === 'default') o.variants = ['default'];
      else if (v === 'keep') o.variants = ['keep-memory'];
      else if (v === 'both') o.variants = ['default', 'keep-memory'];
      else throw new Error(`bench:model: --malloc takes default, keep or both; got '${v}'`);
    } else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run bench:model -- [--json FILE] [--iters N] [--warmup N] [--breakdown-iters N] [--scenarios a,b,c,d,e] [--torch-threads 1,2,default] [--no-torch] [--quick] [--malloc default|keep|both] [--zero-grad drop|fill] [--dropout P] [--gap S] [--no-decoder-what-if] [--precision fp32,bf16]',
      );
      process.exit(0);
    } else throw new Error(`bench:model: unknown option ${a} (try --help)`);
  }
  return o;
}

// ---- other processes: a read-only look at /proc (never signalled) ------------------------------

/** Other processes using more than this many cores (on average) during a measurement: "under load". */
const UNDER_LOAD_CORES = 0.25;

interface OtherProcess {
  pid: number;
  cmd: string;
  /** % of one core used in the sampling window just before the measurement. */
  cpuPct: number;
}

function readStat(pid: number): { ppid: number; comm: string; cpu: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    return { ppid: Number(f[1]), comm, cpu: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** This driver, its ancestors (npm, shells) and its descendants: not "other" processes. */
function ownTree(): Set<number> {
  const own = new Set<number>([process.pid]);
  let p = process.ppid;
  while (p > 1) {
    own.add(p);
    p = readStat(p)?.ppid ?? 1;
  }
  const parent = new Map(allPids().map((q) => [q, readStat(q)?.ppid ?? 0] as const));
  for (const pid of parent.keys()) {
    let q = pid;
    for (let i = 0; i < 64 && q > 1; i++) {
      if (q === process.pid) {
        own.add(pid);
        break;
      }
      q = parent.get(q) ?? 0;
    }
  }
  return own;
}

/**
 * Processes not ours (any command) that used more than 15% of a core over `ms`, busiest first.
 * Only reads /proc/<pid>/stat and cmdline.
 */
async function busyOthers(ms: number): Promise<OtherProcess[]> {
  const own = ownTree();
  const before = new Map<number, number>();
  for (const pid of allPids()) {
    if (own.has(pid)) continue;
    const st = readStat(pid);
    if (st !== null) before.set(pid, st.cpu);
  }
  await new Promise((r) => setTimeout(r, ms));
  const hz = 100; // USER_HZ on Linux
  const out: OtherProcess[] = [];
  for (const [pid, cpu0] of before) {
    const st = readStat(pid);
    if (st === null) continue;
    const pct = ((st.cpu - cpu0) / hz / (ms / 1000)) * 100;
    if (pct > 15) out.push({ pid, cmd: (cmdline(pid) || `[${st.comm}]`).slice(0, 120), cpuPct: Math.round(pct) });
  }
  return out.sort((x, y) => y.cpuPct - x.cpuPct);
}

// ---- CPU accounting ---------------------------------------------------------------------------

function cpuJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3]! + (line[4] ?? 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// ---- running one side -------------------------------------------------------------------------

interface SideResult {
  side: 'adaptext' | 'pytorch';
  scenario: string;
  median: number;
  times: number[];
  peakRssKB: number;
  cpuSeconds: number;
  threads?: string;
  torchThreads?: number;
  breakdown?: Breakdown | null;
  [k: string]: unknown;
}

interface Breakdown {
  stepSeconds: number;
  kernelSeconds: number;
  otherSeconds: number;
  gcSeconds: number;
  /** Threads the kernels ran on and one core's register-only multiply-add peak (absent in older results). */
  threads?: number;
  peakGflopsPerCore?: { fp32: number | null; bf16: number | null };
  kernels: Record<string, { calls: number; seconds: number; gflops?: number }>;
  gemmShapes: Array<{ shape: string; callsPerStep: number; secondsPerStep: number; gflopsPerStep: number; achievedGflops: number; rawBlasGflops: number | null }>;
}

interface Measured {
  result: SideResult;
  wallSeconds: number;
  load1: number;
  /** Cores used on average by everything else during the run (/proc/stat busy time minus the
   * measured process's and this driver's CPU time). */
  otherCores: number;
  /** otherCores > UNDER_LOAD_CORES: the time is inflated / noisy by the other processes. */
  underLoad: boolean;
  /** Other processes using > 15% of a core in the second before the run (read-only). */
  othersAtStart: OtherProcess[];
}

async function measure(label: string, cmd: string, args: string[], o: Options, env: NodeJS.ProcessEnv): Promise<Measured> {
  if (o.gap > 0) await new Promise((r) => setTimeout(r, o.gap * 1000));
  const othersAtStart = await busyOthers(1000);
  const load1 = loadavg()[0]!;
  const j0 = cpuJiffies();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | string>((resolve) => child.on('close', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  const wall = (performance.now() - t0) / 1000;
  const j1 = cpuJiffies();
  const own = process.cpuUsage(own0);
  if (status !== 0) throw new Error(`${label}: exited with ${status}\n${stderr.slice(-3000)}`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let result: SideResult;
  try {
    result = JSON.parse(line) as SideResult;
  } catch {
    throw new Error(`${label}: no JSON result on stdout:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  }
  const busyCores = (j1.busy - j0.busy) / 100 / wall;
  const otherCores = Math.max(0, busyCores - (result.cpuSeconds + (own.user + own.system) / 1e6) / wall);
  return { result, wallSeconds: wall, load1, otherCores, underLoad: otherCores > UNDER_LOAD_CORES, othersAtStart };
}

/** The load fields of a measurement, as written to the JSON. */
function loadFields(m: Measured): Record<string, unknown> {
  return { wallSeconds: m.wallSeconds, load1: m.load1, otherCores: m.otherCores, underLoad: m.underLoad, othersAtStart: m.othersAtStart };
}

/** The fastest of several measurements of one side (PyTorch's thread settings), or null for none. */
function bestOf(ms: Measured[]): Measured | null {
  return ms.length === 0 ? null : ms.reduce((a, b) => (b.result.median < a.result.median ? b : a));
}

/** "others 1.35 cores UNDER LOAD" / "others 0.02 cores". */
function othersNote(m: Measured): string {
  return `others ${m.otherCores.toFixed(2)} cores${m.underLoad ? ' UNDER LOAD' : ''}`;
}

// ---- report -----------------------------------------------------------------------------------

const SCENARIO_NAMES: Record<string, string> = {
  a: '(a) full training step, B8 T128',
  b: '(b) adapters+head only, 6 frozen, B8 T128',
  c: '(c) inference, no grad, B32 T128',
  d: '(d) pretraining step, mini BERT, B32 T128',
  e: '(e) stage-3 step, bundled mini, B16 T128',
};

function ms(s: number): string {
  return `${(s * 1000).toFixed(0)} ms`;
}

function mib(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MiB`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/**
 * glibc malloc settings that keep freed memory in the process (no munmap / trim), so a fresh
 * Float32Array / torch tensor reuses pages instead of faulting in new ones. On this VM a first
 * touch costs ~45 µs per 4 KiB page (measured: 48 MiB alloc+fill 550 ms vs 6 ms with these).
 */
const KEEP_MEMORY_TUNABLES = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736:glibc.malloc.top_pad=268435456';

interface Row {
  variant: 'default' | 'keep-memory';
  scenario: string;
  precision: MatmulPrecision;
  adaptext: Measured;
  torch: Measured[];
  /** d: adaptext with the full decoder, PyTorch with the decoder at the labelled positions only. */
  whatIf: { adaptextFull: Measured | null; torchMasked: Measured[] } | null;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.torch && !existsSync(PYTHON)) throw new Error(`bench:model: ${PYTHON} not found (Debian python3-torch); use --no-torch`);
  const size = o.quick ? ['--hidden', '128', '--layers', '4', '--heads', '4', '--intermediate', '512', '--vocab', '2000', '--frozen-layers', '2', '--reduction', '16'] : [];
  const sizeOf = (sc: string): string[] => (sc === 'd' || sc === 'e' ? (o.quick ? ['--batch', '4', '--seq', '32'] : []) : size);
  const common = ['--warmup', String(o.warmup), '--iters', String(o.iters)];
  const zeroAd = ['--zero-grad', o.zeroGrad, '--dropout', String(o.dropout)];
  const zeroPt = ['--zero-grad', o.zeroGrad === 'drop' ? 'none' : 'zero', '--dropout', String(o.dropout)];
  const rows: Row[] = [];
  // torch's default thread count on this machine: when it equals an explicit setting, that run
  // is the same configuration twice, so it is skipped (and said).
  if (o.torch && o.torchThreads.includes('default')) {
    const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.get_num_threads())'], { encoding: 'utf8' });
    const n = r.stdout.trim();
    if (r.status === 0 && o.torchThreads.includes(n)) {
      o.torchThreads = o.torchThreads.filter((t) => t !== 'default');
      console.log(`PyTorch's default here is ${n} thread(s) = the explicit setting ${n}: 'default' not run separately`);
    }
  }
  const machine = machineInfo();
  console.log(
    `bench:model  ${o.quick ? 'QUICK (tiny model) ' : ''}random weights; ${machine.cpus} CPUs (${machine.model ?? '?'}); SIMD flags: ${machine.simd.join(' ') || '?'}; ADAPTEXT_THREADS=${process.env['ADAPTEXT_THREADS'] ?? '(unset: all cores)'}`,
  );
  if (o.scenarios.some((sc) => sc !== 'd' && sc !== 'e')) console.log('  a, b, c: BERT-base shapes H768 L12 A12 I3072 V21128');
  if (o.scenarios.includes('d'))
    console.log(
      "  d: models/adaptext-mini-en architecture (L4 H256 A4 I1024 V16000, tied MLM decoder), B32 T128, 15% labelled; adaptext: decoder at the labelled positions (pretraining's path), PyTorch: HF BertForMaskedLM (decoder at every position)",
    );
  if (o.scenarios.includes('e'))
    console.log("  e: models/adaptext-mini-en weights (both sides), target adapter (layers 2-3) + masked-mean head trainable, rest frozen, B16 T128, the pipeline's stage-3 optimizer");
  if (o.dropout !== 0.1) console.log(`WHAT-IF: dropout ${o.dropout} on both sides (BERT uses 0.1)`);
  console.log(
    `median of ${o.iters} steps after ${o.warmup} warm-up; gradients reset by ${o.zeroGrad === 'drop' ? 'dropping them (adaptext zeroGrad, torch set_to_none=True)' : 'zeroing in place'}; load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const variant of o.variants) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (variant === 'keep-memory') env['GLIBC_TUNABLES'] = KEEP_MEMORY_TUNABLES;
    else delete env['GLIBC_TUNABLES'];
    console.log(`\n[${variant}]${variant === 'keep-memory' ? ` both sides with GLIBC_TUNABLES=${KEEP_MEMORY_TUNABLES}` : ' glibc malloc defaults'}`);
    for (const sc of o.scenarios) {
      for (const prec of o.precisions) {
        const precArg = ['--precision', prec];
        const tag = prec === 'fp32' ? sc : `${sc} bf16`;
        const ad = await measure(
          `adaptext ${tag}`,
          process.execPath,
          ['--import', 'tsx', join(HERE, 'adaptext-side.ts'), '--scenario', sc, ...common, '--breakdown-iters', String(o.breakdownIters), ...zeroAd, ...sizeOf(sc), ...precArg],
          o,
          env,
        );
        printOne(sc === 'd' ? 'adaptext (masked decoder)' : 'adaptext', tag, ad);
        const tr: Measured[] = [];
        if (o.torch) {
          for (const th of o.torchThreads) {
            const m = await measure(`pytorch ${tag} threads=${th}`, PYTHON, [join(HERE, 'torch_peer.py'), '--scenario', sc, '--threads', th, ...common, ...zeroPt, ...sizeOf(sc), ...precArg], o, env);
            printOne(`pytorch threads=${th} (${m.result.torchThreads})${sc === 'd' ? ' full decoder' : ''}${prec === 'bf16' ? ' autocast' : ''}`, tag, m);
            tr.push(m);
          }
        }
        let whatIf: Row['whatIf'] = null;
        // the decoder what-if is an fp32 question (where the decoder's time goes)
        if (sc === 'd' && o.decoderWhatIf && prec === 'fp32') {
          const full = await measure(
            'adaptext d full decoder',
            process.execPath,
            ['--import', 'tsx', join(HERE, 'adaptext-side.ts'), '--scenario', sc, ...common, '--breakdown-iters', '0', ...zeroAd, ...sizeOf(sc), '--mlm-decoder', 'full'],
            o,
            env,
          );
          printOne('adaptext (full decoder)', sc, full);
          const masked: Measured[] = [];
          if (o.torch) {
            for (const th of o.torchThreads) {
              const m = await measure(
                `pytorch d threads=${th} masked decoder`,
                PYTHON,
                [join(HERE, 'torch_peer.py'), '--scenario', sc, '--threads', th, ...common, ...zeroPt, ...sizeOf(sc), '--mlm-decoder', 'masked'],
                o,
                env,
              );
              printOne(`pytorch threads=${th} (${m.result.torchThreads}) masked decoder`, sc, m);
              masked.push(m);
            }
          }
          whatIf = { adaptextFull: full, torchMasked: masked };
        }
        if (sc === 'd') {
          const counts = new Set([ad, ...tr, ...(whatIf?.torchMasked ?? []), ...(whatIf?.adaptextFull ? [whatIf.adaptextFull] : [])].map((m) => m.result['labelledPositions']));
          if (counts.size !== 1) console.log(`WARNING: the sides labelled different numbers of positions: ${[...counts].join(', ')}`);
        }
        if (sc === 'e') {
          const sums = new Set([ad, ...tr].map((m) => JSON.stringify(m.result['batchChecksum'])));
          if (sums.size !== 1) console.log(`WARNING: the sides drew different stage-3 batches (id/label sums ${[...sums].join(' vs ')})`);
        }
        rows.push({ variant, scenario: sc, precision: prec, adaptext: ad, torch: tr, whatIf });
      }
    }
  }

  // ---- summary table
  console.log(
    `\nsummary (per-step median; ratio = adaptext / PyTorch best, < 1 means adaptext is faster; RSS = peak VmHWM; others = most cores other processes used during the row's runs, * = under load, > ${UNDER_LOAD_CORES})`,
  );
  const head = `${pad('scenario', 44)}${pad('malloc', 13)}${pad('prec', 5)}${pad('adaptext', 9, true)}${pad('PyTorch best', 20, true)}${pad('ratio', 7, true)}${pad('vs fp32', 8, true)}${pad('RSS adaptext', 14, true)}${pad('RSS PyTorch', 13, true)}${pad('others', 8, true)}`;
  console.log(head);
  console.log('-'.repeat(head.length));
  const summary = rows.map((r) => {
    const best = bestOf(r.torch);
    const ratio = best === null ? null : r.adaptext.result.median / best.result.median;
    // a bf16 row against PyTorch's best fp32 time of the same scenario (issue 12: "<= 0.4 of PyTorch fp32")
    const fp32Row = r.precision === 'fp32' ? null : rows.find((q) => q.precision === 'fp32' && q.scenario === r.scenario && q.variant === r.variant);
    const bestFp32 = fp32Row === undefined || fp32Row === null ? null : bestOf(fp32Row.torch);
    const ratioVsTorchFp32 = bestFp32 === null ? null : r.adaptext.result.median / bestFp32.result.median;
    const B = r.adaptext.result['batch'] as number;
    const maxOtherCores = Math.max(...[r.adaptext, ...r.torch].map((m) => m.otherCores));
    const underLoad = [r.adaptext, ...r.torch].some((m) => m.underLoad);
    console.log(
      `${pad(SCENARIO_NAMES[r.scenario]!, 44)}${pad(r.variant, 13)}${pad(r.precision, 5)}${pad(ms(r.adaptext.result.median), 9, true)}` +
        `${pad(best === null ? '-' : `${ms(best.result.median)} (t=${best.result.threads})`, 20, true)}` +
        `${pad(ratio === null ? '-' : ratio.toFixed(2), 7, true)}${pad(ratioVsTorchFp32 === null ? '-' : ratioVsTorchFp32.toFixed(2), 8, true)}${pad(mib(r.adaptext.result.peakRssKB), 14, true)}` +
        `${pad(best === null ? '-' : mib(best.result.peakRssKB), 13, true)}${pad(`${maxOtherCores.toFixed(2)}${underLoad ? '*' : ' '}`, 8, true)}`,
    );
    return {
      variant: r.variant,
      scenario: r.scenario,
      precision: r.precision,
      name: SCENARIO_NAMES[r.scenario],
      adaptextSeconds: r.adaptext.result.median,
      adaptextSeqPerSecond: B / r.adaptext.result.median,
      /** d, e: B*T tokens per step over the median step time (null for a-c). */
      adaptextTokensPerSecond: typeof r.adaptext.result['tokensPerStep'] === 'number' ? r.adaptext.result['tokensPerStep'] / r.adaptext.result.median : null,
      torchTokensPerSecond: best !== null && typeof best.result['tokensPerStep'] === 'number' ? best.result['tokensPerStep'] / best.result.median : null,
      adaptextMinorFaultsPerStep: r.adaptext.result['minorFaultsPerStep'],
      torchBestSeconds: best?.result.median ?? null,
      torchBestThreads: best?.result.threads ?? null,
      torchSeqPerSecond: best === null ? null : B / best.result.median,
      torchMinorFaultsPerStep: best?.result['minorFaultsPerStep'] ?? null,
      ratio,
      /** bf16 rows: adaptext bf16 time / PyTorch's best fp32 time of the same scenario (null for fp32 rows). */
      ratioVsTorchFp32,
      adaptextPeakRssKB: r.adaptext.result.peakRssKB,
      torchPeakRssKB: best?.result.peakRssKB ?? null,
      torchAll: r.torch.map((t) => ({ threads: t.result.threads, torchThreads: t.result.torchThreads, seconds: t.result.median, peakRssKB: t.result.peakRssKB })),
      /** Most cores other processes used during any of this row's runs, and whether any ran under load. */
      maxOtherCores,
      underLoad,
    };
  });
  for (const c of summary.filter((s) => s.scenario === 'c')) {
    console.log(`inference throughput [${c.variant}, ${c.precision}]: adaptext ${c.adaptextSeqPerSecond.toFixed(1)} seq/s, PyTorch ${c.torchSeqPerSecond?.toFixed(1) ?? '-'} seq/s`);
  }
  const pretrainSummary = rows.filter((r) => r.scenario === 'd').map((r) => pretrainReport(r));
  console.log(
    'page faults per step (first touches of fresh memory): ' +
      summary
        .map(
          (s) =>
            `${s.scenario}/${s.variant}/${s.precision} adaptext ${Math.round(Number(s.adaptextMinorFaultsPerStep))}, PyTorch ${s.torchMinorFaultsPerStep === null ? '-' : Math.round(Number(s.torchMinorFaultsPerStep))}`,
        )
        .join('; '),
  );

  // ---- breakdown
  for (const r of rows) {
    const b = r.adaptext.result.breakdown;
    if (b === null || b === undefined) continue;
    console.log(`\nadaptext time breakdown ${SCENARIO_NAMES[r.scenario]} [${r.variant}, ${r.precision}] (timing proxy, ${ms(b.stepSeconds)} per instrumented step)`);
    const entries = Object.entries(b.kernels).sort((x, y) => y[1].seconds - x[1].seconds);
    const gemms = ['gemm', 'gemmBf16', 'gemmBatched'];
    const gemmFlops = gemms.reduce((t, g) => t + (b.kernels[g]?.gflops ?? 0), 0);
    const gemmSec = gemms.reduce((t, g) => t + (b.kernels[g]?.seconds ?? 0), 0);
    for (const [name, k] of entries) {
      const extra = k.gflops !== undefined ? `  ${(k.gflops / k.seconds).toFixed(0)} GFLOP/s` : '';
      console.log(`  ${pad(name, 22)}${pad(ms(k.seconds), 9, true)}${pad(((k.seconds / b.stepSeconds) * 100).toFixed(1) + '%', 8, true)}  ${String(k.calls).padStart(5)} calls${extra}`);
    }
    console.log(
      `  ${pad('JS / glue (non-kernel)', 22)}${pad(ms(b.otherSeconds), 9, true)}${pad(((b.otherSeconds / b.stepSeconds) * 100).toFixed(1) + '%', 8, true)}  (of which GC ${ms(b.gcSeconds)})`,
    );
    // raw-BLAS-weighted ideal: each shape's flops at its own raw rate
    let ideal = 0;
    let covered = 0;
    for (const g of b.gemmShapes) {
      if (g.rawBlasGflops !== null) {
        ideal += g.gflopsPerStep / g.rawBlasGflops;
        covered += g.gflopsPerStep;
      }
    }
    const rawRate = covered > 0 ? covered / ideal : null;
    console.log(
      `  GEMM: ${gemmFlops.toFixed(0)} GFLOP per step, ${((gemmSec / b.stepSeconds) * 100).toFixed(0)}% of the step, achieved ${(gemmFlops / gemmSec).toFixed(0)} GFLOP/s` +
        // a bf16 row's only fp32 GEMMs are its bias gradients: no comparison to print
        (rawRate !== null && r.precision === 'fp32' ? `; raw OpenBLAS (C++ loop) at the same shapes ${rawRate.toFixed(0)} GFLOP/s (flop-weighted)` : ''),
    );
    const corePeak = b.peakGflopsPerCore?.[r.precision === 'bf16' ? 'bf16' : 'fp32'] ?? null;
    if (corePeak !== null && b.threads !== undefined) {
      const peak = corePeak * b.threads;
      console.log(
        `  peak (register-only ${r.precision === 'bf16' ? 'vdpbf16ps' : 'FMA'} loop): ${corePeak.toFixed(0)} GFLOP/s per core, ${peak.toFixed(0)} on ${b.threads}; ` +
          `the GEMMs ran at ${((gemmFlops / gemmSec / peak) * 100).toFixed(0)}% of it and would take at least ${ms(gemmFlops / peak)} per step at 100%`,
      );
    }
    console.log('  top GEMM shapes (op M x N x K):');
    for (const g of b.gemmShapes.slice(0, 8)) {
      console.log(
        `    ${pad(g.shape, 22)}${pad(ms(g.secondsPerStep), 9, true)}  x${g.callsPerStep}  ${g.achievedGflops.toFixed(0).padStart(4)} GFLOP/s` +
          (g.rawBlasGflops !== null ? `  (raw BLAS ${g.rawBlasGflops.toFixed(0)})` : ''),
      );
    }
  }

  // ---- load during measurements
  console.log(
    `\nload other processes put on the machine (${machine.cpus} CPUs) during each measurement (never signalled; cores = /proc/stat busy time minus the measured process's and this driver's CPU time; busy at start = > 15% of a core in the second before)`,
  );
  const all: Measured[] = [];
  for (const r of rows) {
    const extra = r.whatIf === null ? [] : [...(r.whatIf.adaptextFull === null ? [] : [r.whatIf.adaptextFull]), ...r.whatIf.torchMasked];
    for (const m of [r.adaptext, ...r.torch, ...extra]) {
      all.push(m);
      const dec = typeof m.result['mlmDecoder'] === 'string' ? ` ${String(m.result['mlmDecoder'])}` : '';
      console.log(
        `  ${pad(`${r.scenario}/${r.variant}/${r.precision} ${m.result.side}${m.result.threads !== undefined ? ` t=${m.result.threads}` : ''}${dec}`, 42)}load1 ${m.load1.toFixed(2)}, ` +
          `other processes used ${m.otherCores.toFixed(2)} of ${machine.cpus} cores during the ${m.wallSeconds.toFixed(0)} s run${m.underLoad ? ' (UNDER LOAD)' : ''}`,
      );
      console.log(`    busy at start: ${m.othersAtStart.length === 0 ? 'none' : m.othersAtStart.map((p) => `${p.pid} ${p.cpuPct}% ${p.cmd.slice(0, 60)}`).join('; ')}`);
    }
  }
  const loaded = all.filter((m) => m.underLoad).length;
  console.log(
    loaded === 0
      ? `  no measurement ran under load (other processes used <= ${UNDER_LOAD_CORES} cores throughout)`
      : `  ${loaded} of ${all.length} measurements ran UNDER LOAD (other processes used > ${UNDER_LOAD_CORES} cores): their times are inflated and noisy; compare ratios within one run`,
  );

  if (o.json !== null) {
    const out = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      quick: o.quick,
      machine: { ...machine, loadavgAtEnd: loadavg() },
      env: { ADAPTEXT_THREADS: process.env['ADAPTEXT_THREADS'] ?? null },
      settings: {
        decoderWhatIf: o.decoderWhatIf,
        dropout: o.dropout,
        zeroGrad: o.zeroGrad,
        iters: o.iters,
        warmup: o.warmup,
        breakdownIters: o.breakdownIters,
        torchThreads: o.torchThreads,
        precisions: o.precisions,
        otherProcesses: 'never signalled; the load they put on the machine is reported per measurement (otherCores, load1, othersAtStart, underLoad)',
        underLoadCores: UNDER_LOAD_CORES,
        variants: o.variants,
        keepMemoryTunables: KEEP_MEMORY_TUNABLES,
      },
      summary,
      pretrainStep: pretrainSummary,
      runs: rows.map((r) => ({
        variant: r.variant,
        scenario: r.scenario,
        precision: r.precision,
        adaptext: { ...r.adaptext.result, ...loadFields(r.adaptext) },
        torch: r.torch.map((m) => ({ ...m.result, ...loadFields(m) })),
        whatIf:
          r.whatIf === null
            ? null
            : {
                adaptextFull: r.whatIf.adaptextFull === null ? null : { ...r.whatIf.adaptextFull.result, ...loadFields(r.whatIf.adaptextFull) },
                torchMasked: r.whatIf.torchMasked.map((m) => ({ ...m.result, ...loadFields(m) })),
              },
      })),
    };
    writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
    console.log(`\nwrote ${o.json}`);
  }
}

/** Scenario d: tokens/s of each side and the speed ratio adaptext tok/s ÷ PyTorch tok/s (> 1: adaptext faster). */
function pretrainReport(r: Row): Record<string, unknown> {
  const tokens = Number(r.adaptext.result['tokensPerStep']);
  const tps = (m: Measured): number => tokens / m.result.median;
  const threadsOf = (m: Measured): number | string | null => (m.result.side === 'adaptext' ? ((m.result['blas'] as { threads?: number } | null)?.threads ?? null) : (m.result.threads ?? null));
  const side = (m: Measured) => ({
    threads: threadsOf(m),
    mlmDecoder: m.result['mlmDecoder'],
    msPerStep: m.result.median * 1000,
    tokensPerSecond: tps(m),
    peakRssKB: m.result.peakRssKB,
    otherCores: m.otherCores,
    load1: m.load1,
    underLoad: m.underLoad,
  });
  const ad = r.adaptext;
  const adThreads = threadsOf(ad);
  console.log(
    `\npretraining step [${r.variant}, ${r.precision}] (${tokens} tokens per step; ${String(ad.result['labelledPositions'])} labelled positions; speed ratio = adaptext tok/s ÷ PyTorch tok/s, > 1: adaptext faster)`,
  );
  const line = (label: string, m: Measured, vs: Measured | null): void =>
    console.log(
      `  ${pad(label, 52)}${pad(ms(m.result.median), 9, true)}${pad(`${tps(m).toFixed(0)} tok/s`, 13, true)}${vs === null ? '' : `   ratio ${(tps(vs) / tps(m)).toFixed(2)}`}${m.underLoad ? `   (${othersNote(m)})` : ''}`,
    );
  line(`adaptext, ${adThreads ?? '?'} thread(s), decoder at labelled positions`, ad, null);
  for (const t of r.torch) line(`PyTorch ${t.result.threads} thread(s), HF full decoder`, t, ad);
  const full = r.whatIf?.adaptextFull ?? null;
  if (full !== null) line(`what-if adaptext, full decoder`, full, null);
  for (const t of r.whatIf?.torchMasked ?? []) line(`what-if PyTorch ${t.result.threads} thread(s), decoder at labelled`, t, ad);
  const bestTorch = bestOf(r.torch);
  const bestMasked = bestOf(r.whatIf?.torchMasked ?? []);
  const out = {
    variant: r.variant,
    precision: r.precision,
    tokensPerStep: tokens,
    labelledPositions: ad.result['labelledPositions'],
    adaptext: side(ad),
    adaptextThreads: adThreads,
    torch: r.torch.map(side),
    torchBest: bestTorch === null ? null : side(bestTorch),
    /** adaptext tok/s ÷ best PyTorch (HF full decoder) tok/s: the headline (goal ≥ 1.5). */
    speedRatio: bestTorch === null ? null : tps(ad) / tps(bestTorch),
    whatIf:
      r.whatIf === null
        ? null
        : {
            adaptextFullDecoder: full === null ? null : side(full),
            torchMaskedDecoder: r.whatIf.torchMasked.map(side),
            /** decoder at labelled positions on both sides */
            speedRatioMaskedBoth: bestMasked === null ? null : tps(ad) / tps(bestMasked),
            /** full decoder on both sides */
            speedRatioFullBoth: full === null || bestTorch === null ? null : tps(full) / tps(bestTorch),
          },
  };
  if (bestTorch !== null)
    console.log(
      `  headline: adaptext ${tps(ad).toFixed(0)} tok/s vs PyTorch best ${tps(bestTorch).toFixed(0)} tok/s (${bestTorch.result.threads} thread(s), HF full decoder): ratio ${out.speedRatio!.toFixed(2)} (goal ≥ 1.5)`,
    );
  if (out.whatIf?.speedRatioMaskedBoth != null) console.log(`  like for like, decoder at labelled positions on both sides: ratio ${out.whatIf.speedRatioMaskedBoth.toFixed(2)}`);
  if (out.whatIf?.speedRatioFullBoth != null) console.log(`  like for like, full decoder on both sides: ratio ${out.whatIf.speedRatioFullBoth.toFixed(2)}`);
  return out;
}

function printOne(label: string, sc: string, m: Measured): void {
  const r = m.result;
  const tok = typeof r['tokensPerStep'] === 'number' ? `  ${(r['tokensPerStep'] / r.median).toFixed(0)} tok/s` : '';
  console.log(
    `${pad(`${sc} ${label}`, 34)} median ${pad(ms(r.median), 8, true)}${tok}  [${r.times.map((t) => (t * 1000).toFixed(0)).join(' ')}]  peak RSS ${mib(r.peakRssKB)}` + `  (${othersNote(m)})`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:model: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
