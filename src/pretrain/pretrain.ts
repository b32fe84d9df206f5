// Masked-LM pretraining: from scratch (WordPiece vocabulary learned on the corpus, a fresh
// BERT of the given size) or continued from an HF folder (domain-adaptive pretraining).
//
// Recipe (BERT/RoBERTa): FULL-SENTENCES packing into sequences of max length (packing.ts),
// 15% of tokens selected, 80/10/10 [MASK]/random/kept (src/data MlmMasker), AdamW with
// decoupled weight decay (not on biases/LayerNorm), linear warm-up then linear decay to 0 at
// `totalSteps`, global grad-norm clip, optional gradient accumulation. The schedule horizon
// (`totalSteps`) and the stop conditions (`maxSteps`, `maxMinutes`, `maxTokens`, a signal) are
// separate, so a run can stop at a checkpoint and be resumed later on the same schedule; the
// run always ends at `totalSteps`, where the learning rate reaches 0 and no step could change
// the weights.
//
// Output folder OUT:
//   config.json model.safetensors vocab.txt tokenizer_config.json ...  the latest model (HF, BertForMaskedLM)
//   checkpoint/            resumable state: the shared checkpoint store (state.ts), rewritten atomically
//   snapshots/step-NNNNNNN/ HF folders kept along the way (fp16) for curves by tokens seen
//   run.json               the run's options;  data/  token cache
//   log.jsonl              the run log (src/engine/run-log.ts; records in docs/run-format.md)
//
// Exact resume: the data order is a per-epoch permutation of the packed sequences drawn from
// the seed, masking and dropout have their own RNG streams saved in the checkpoint, and the
// held-out evaluation uses a fixed seed and no dropout, so it never touches training state.
//
// Shape legend: B sequences per micro-batch, T max length, V vocab.
import { resolveModelRef } from '../hub/index.js';
import { electraForward, ensureRtdHead, GENERATOR_DIR, GENERATOR_HEAD, newGenerator, RTD_HEAD } from './electra.js';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkNewOutputDir, writeJsonAtomic, recoverDir } from '../io/atomic.js';
import { lockDir } from '../io/lock.js';
import { AdapterModel, loadModel, saveModel, type BertFamilyConfig } from '../models/index.js';
import { AdamW, linearWarmupDecaySchedule, optimizerUpdate, type UpdateResult } from '../optim/index.js';
import { MlmMasker } from '../data/index.js';
import { IGNORE_INDEX } from '../data/examples.js';
import { Rng, noGrad, scale, kernels, backendLine, withScratch, type Tensor } from '../tensor/index.js';
import { loadTokenizer, trainWordPiece, type Tokenizer } from '../text/index.js';
import { chooseAlphabetLimit } from './alphabet.js';
import { expandInputs, readRecords } from './corpus.js';
import { loadStream } from './data.js';
import { packStream, type PackedCorpus } from './packing.js';
import { TrainBatches, heldoutBatches } from './batches.js';
import { checkpointDir, readPretrainState, savePretrainCheckpoint, type DataPosition } from './state.js';
import { loadOptimizerState, MANIFEST_NAME, OPTIMIZER_NAME, TRAINER_STATE_NAME } from '../checkpoint/index.js';
import { CliProgress, noteOnFirstStart, type ProgressSink } from '../engine/progress.js';
import { formatCount } from '../engine/format.js';
import { StopRequest } from '../engine/signals.js';
import { runLoop, type LoopPosition } from '../engine/loop.js';
import { RUN_LOG_NAME, RunLog, type RunLogEntry } from '../engine/run-log.js';
import { checkPretrainOptions, PRETRAIN_DEFAULTS, type PretrainOptions, type RESUME_OVERRIDABLE } from './options.js';

export interface EvalResult {
  file: string;
  loss: number;
  perplexity: number;
  /** Masked tokens scored. */
  predictions: number;
}

export interface PretrainResult {
  out: string;
  step: number;
  tokensSeen: number;
  stopReason: string;
  lastLoss: number | null;
  heldout: EvalResult[];
  /** Mean training loss per logged window (for tests and callers). */
  losses: Array<{ step: number; loss: number }>;
}

const RUN_FILE = 'run.json';
const MLM_HEAD = 'mlm';

function mlmHeadOf(model: AdapterModel): string | null {
  for (const n of model.headNames()) if (model.getHead(n).type === 'masked_lm') return n;
  return null;
}

export function scratchConfig(o: PretrainOptions, vocabSize: number, padId: number): BertFamilyConfig {
  return {
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    intermediate_size: o.intermediate,
    hidden_act: 'gelu',
    hidden_dropout_prob: o.dropout,
    attention_probs_dropout_prob: o.dropout,
    max_position_embeddings: o.maxLength,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: padId,
  };
}

/** The masking rate of every held-out evaluation, whatever the training rate. */
export const HELDOUT_MLM_PROBABILITY = 0.15;

/** Held-out MLM loss with a fixed masking seed and no dropout (comparable across steps and runs). */
export function heldoutLoss(model: AdapterModel, head: string, p: PackedCorpus, tok: Tokenizer, masker: MlmMasker, maxSequences: number, batchSize: number): { loss: number; predictions: number } {
  if (Math.min(p.numSequences, maxSequences) === 0) return { loss: NaN, predictions: 0 };
  const wasTraining = model.training;
  model.train(false);
  let sum = 0;
  let count = 0;
  try {
    noGrad(() => {
      for (const batch of heldoutBatches(p, tok, masker, maxSequences, batchSize)) {
        const labels = batch.mlmLabels!;
        let r = 0;
        for (let i = 0; i < labels.length; i++) if (labels[i] !== IGNORE_INDEX) r++;
        if (r === 0) continue;
        const out = model.forward({ inputIds: batch.inputIds, shape: [batch.B, batch.T] }, { heads: [head], labels: { [head]: labels } });
        sum += out.loss!.data[0]! * r;
        count += r;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { loss: sum / count, predictions: count };
}

/** Publish the checkpoint's HF model files at OUT's top level (file by file, each rename atomic). */
function publishModel(out: string): void {
  const src = checkpointDir(out);
  const stage = join(out, '.publish-tmp');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const notModel = new Set([OPTIMIZER_NAME, TRAINER_STATE_NAME, MANIFEST_NAME]);
  for (const f of readdirSync(src, { withFileTypes: true })) if (f.isFile() && !notModel.has(f.name)) copyFileSync(join(src, f.name), join(stage, f.name));
  for (const f of readdirSync(stage)) renameSync(join(stage, f), join(out, f));
  rmSync(stage, { recursive: true, force: true });
}

export interface PretrainHooks {
  /** Print a line (default: the progress sink's note). */
  print?: (line: string) => void;
  /** Progress display (default: the CLI's, in the run's `progress` mode). */
  progress?: ProgressSink;
  /** Called after every optimizer step; return true to stop (a checkpoint is written first). */
  afterStep?: (step: number) => boolean;
  /** Signal policy: the caller's StopRequest (default: one installed for the run's duration). */
  stop?: StopRequest;
}

/**
 * Run (or resume) a pretraining run. `resume`: continue OUT from its checkpoint; options come
 * from OUT/run.json, except the RESUME_OVERRIDABLE ones given in `overrides`.
 */
export async function pretrain(
  given: PretrainOptions | { resume: string; overrides?: Partial<Pick<PretrainOptions, (typeof RESUME_OVERRIDABLE)[number]>> },
  hooks: PretrainHooks = {},
): Promise<PretrainResult> {
  let progress: ProgressSink | null = null; // set once the options (and their --progress mode) are known
  const print = hooks.print ?? ((l: string) => (progress !== null ? progress.note(l) : process.stderr.write(l + '\n')));
  const resuming = 'resume' in given;
  let o: PretrainOptions;
  if (resuming) {
    const out = resolve(given.resume);
    const runFile = join(out, RUN_FILE);
    if (!existsSync(runFile)) throw new Error(`--resume ${given.resume}: ${runFile} is missing (not a pretraining output folder)`);
    // options added to adaptext after the run started take their defaults
    o = { ...PRETRAIN_DEFAULTS, ...(JSON.parse(readFileSync(runFile, 'utf8')) as PretrainOptions), out };
    for (const [k, v] of Object.entries(given.overrides ?? {})) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  } else {
    // a hub model id: its cached snapshot folder (fetched now if needed) is what run.json records
    const model = given.model !== null ? await resolveModelRef(given.model, { progress: hooks.progress ?? new CliProgress(process.stderr, { mode: given.progress }) }) : null;
    o = { ...given, model, out: resolve(given.out) };
    if (existsSync(join(o.out, RUN_FILE))) {
      throw new Error(`${given.out}: already holds a pretraining run (run.json); continue it with --resume ${given.out}, or choose another --out`);
    }
    // never into (or over) a folder pretraining did not create, above all the --model it continues from
    if (given.model !== null && resolve(given.model) === o.out) throw new Error(`--out ${given.out} is the --model folder; pretraining writes a new folder and never replaces its starting model`);
    checkNewOutputDir(o.out, 'choose a new --out (pretraining only writes into a folder it creates)');
  }
  checkPretrainOptions(o, resuming ? join(o.out, RUN_FILE) : 'pretrain options');
  // the kernel backend is said once, as pretraining starts (after the checks)
  const bar = noteOnFirstStart(hooks.progress ?? new CliProgress(process.stderr, { mode: o.progress }), () => backendLine());
  progress = bar;
  const out = o.out;
  const t0 = Date.now();
  kernels(); // choose the backend (and print its notice) before the clock matters

  // ---------------------------------------------------------------- files (checked before anything is written)
  const trainFiles = expandInputs(o.inputs, 'input');
  const heldFiles = expandInputs(o.heldout, 'held-out file');
  for (const f of heldFiles) if (trainFiles.includes(f)) throw new Error(`held-out file '${f}' is also a training input`);
  if (o.model !== null && !existsSync(join(o.model, 'config.json'))) throw new Error(`--model ${o.model}: no config.json (expected a Hugging Face model folder)`);
  mkdirSync(out, { recursive: true });
  // one writer per folder for the life of the run (a second `pretrain` on it is refused)
  const lock = lockDir(out, resuming ? 'pretrain --resume' : 'pretrain');
  try {
    if (resuming) recoverDir(checkpointDir(out));
    else {
      if (existsSync(join(out, RUN_FILE))) throw new Error(`${out}: another pretraining run was started here meanwhile`);
      checkNewOutputDir(out, 'choose a new --out (pretraining only writes into a folder it creates)');
    }
    return await pretrainLocked({ o, out, resuming, hooks, print, bar, t0, trainFiles, heldFiles });
  } finally {
    lock.release();
  }
}

interface LockedRun {
  o: PretrainOptions;
  out: string;
  resuming: boolean;
  hooks: PretrainHooks;
  print: (line: string) => void;
  bar: ProgressSink;
  t0: number;
  trainFiles: string[];
  heldFiles: string[];
}

/** The run itself, once the options are checked and the output folder is locked. */
async function pretrainLocked({ o, out, resuming, hooks, print, bar, t0, trainFiles, heldFiles }: LockedRun): Promise<PretrainResult> {
  // ---------------------------------------------------------------- tokenizer + model
  let tok: Tokenizer;
  let model: AdapterModel;
  // electra: the model is the discriminator; its MLM head (if it has one) is left as it is
  const electra = o.objective === 'electra';
  let mlmHead: string | null;
  const state = resuming ? readPretrainState(out) : null;
  if (state !== null) {
    const dir = checkpointDir(out);
    tok = loadTokenizer(dir);
    model = loadModel(dir, { seed: o.seed }).model;
    mlmHead = mlmHeadOf(model);
    if (mlmHead === null && !electra) throw new Error(`${dir}: checkpoint has no masked_lm head`);
  } else if (o.model !== null) {
    tok = loadTokenizer(o.model);
    model = loadModel(o.model, { seed: o.seed }).model;
    if (tok.vocabSize !== model.cfg.vocabSize) {
      throw new Error(`--model ${o.model}: tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${model.cfg.vocabSize}`);
    }
    const existing = mlmHeadOf(model);
    if (existing !== null || electra) mlmHead = existing;
    else {
      model.addHead(MLM_HEAD, { type: 'masked_lm' }, { main: true });
      mlmHead = MLM_HEAD;
      print(`pretrain: ${o.model} has no MLM head; added a fresh one tied to the word embeddings`);
    }
    if (o.maxLength > model.cfg.maxPositions) throw new Error(`--max-length ${o.maxLength} exceeds the model's max_position_embeddings ${model.cfg.maxPositions}`);
  } else {
    const texts = function* () {
      for (const f of trainFiles) yield* readRecords(f, o.textField);
    };
    const alphabet = chooseAlphabetLimit(o.limitAlphabet, texts());
    print(`pretrain: learning a ${o.vocabSize}-token WordPiece vocabulary on ${trainFiles.length} file(s); alphabet: ${alphabet.why}`);
    tok = trainWordPiece(texts(), { vocabSize: o.vocabSize, lowercase: o.lowercase, modelMaxLength: o.maxLength, limitAlphabet: alphabet.limit });
    model = new AdapterModel(scratchConfig(o, tok.vocabSize, tok.specialIds.pad), { seed: o.seed });
    mlmHead = null;
    if (!electra) {
      model.addHead(MLM_HEAD, { type: 'masked_lm' }, { main: true });
      mlmHead = MLM_HEAD;
    }
  }
  let generator: AdapterModel | null = null;
  if (electra) {
    ensureRtdHead(model);
    // an MLM head the model came with gets no gradient from replaced-token detection
    if (mlmHead !== null) for (const p of model.getHead(mlmHead).parameters()) p.setTrainable(false);
    generator = state !== null ? loadModel(join(checkpointDir(out), GENERATOR_DIR), { seed: o.seed + 2 }).model : newGenerator(model.config, o.generatorScale, o.seed + 2);
    generator.assignParameterNames('generator.'); // optimizer state is keyed by name: apart from the model's
    generator.train(true);
  }
  const mainHead = electra ? RTD_HEAD : mlmHead!;
  model.setMainHead(mainHead);
  model.setActiveHeads([mainHead]);
  if (!resuming) writeJsonAtomic(join(out, RUN_FILE), { ...o, out: undefined });

  // ---------------------------------------------------------------- data
  const cacheDir = join(out, 'data');
  mkdirSync(cacheDir, { recursive: true });
  const tTok = Date.now();
  const train = loadStream(trainFiles, tok, { textField: o.textField, cacheDir, name: 'train', wholeWordMarks: o.wholeWordMask });
  const corpus = packStream(train.stream, o.maxLength, train.info.records, train.cont);
  if (corpus.numSequences < o.batchSize) {
    throw new Error(`pretrain: the corpus packs into ${corpus.numSequences} sequence(s) of ${o.maxLength} tokens, fewer than one batch (--batch-size ${o.batchSize})`);
  }
  const held = heldFiles.map((f, i) => {
    const s = loadStream([f], tok, { textField: o.textField, cacheDir, name: `heldout-${i}`, wholeWordMarks: o.wholeWordMask });
    return { file: f, corpus: packStream(s.stream, o.maxLength, s.info.records, s.cont) };
  });
  print(
    `pretrain: ${train.info.records} records → ${train.info.tokens} tokens → ${corpus.numSequences} sequences of ${o.maxLength}` +
      ` (${train.info.cached ? 'token cache' : `tokenised in ${((Date.now() - tTok) / 1000).toFixed(1)} s`}); held-out: ` +
      (held.map((h) => `${h.corpus.numSequences} seq in ${h.file}`).join(', ') || 'none'),
  );
  if (o.wholeWordMask) print('pretrain: whole-word masking (Chinese words by Intl.Segmenter, ## pieces with their head)');

  // ---------------------------------------------------------------- optimiser
  const modelParams = model.parameters().filter((p) => p.requiresGrad);
  const genParams = generator?.parameters().filter((p) => p.requiresGrad) ?? [];
  const params = [...modelParams, ...genParams];
  const group = (name: string, ps: typeof params) => ({ name, params: ps, lr: o.lr, weightDecay: o.weightDecay, noDecayOnBiasAndNorm: true });
  const opt = new AdamW([group('all', modelParams), ...(generator !== null ? [group('generator', genParams)] : [])], {
    betas: [0.9, 0.98],
    eps: 1e-6,
    schedule: linearWarmupDecaySchedule(o.warmupSteps, o.totalSteps),
  });
  const masker = MlmMasker.fromTokenizer(tok, { probability: o.mlmProbability, wholeWordMask: o.wholeWordMask });
  // held-out loss always at BERT's 15%, so runs with another training rate stay comparable
  const heldoutMasker = o.mlmProbability === HELDOUT_MLM_PROBABILITY ? masker : MlmMasker.fromTokenizer(tok, { probability: HELDOUT_MLM_PROBABILITY, wholeWordMask: o.wholeWordMask });
  // a stream of batches: the loop's one endless epoch; the data position is the batch stream's own
  const pos: LoopPosition = { step: 0, epoch: 0, batchInEpoch: 0 };
  let tokensSeen = 0;
  let start: DataPosition = { epoch: 0, cursor: 0 };
  const maskRng = new Rng((o.seed + 1) >>> 0);
  let elapsedBefore = 0;
  let cpuBefore = 0;
  const runLog = new RunLog(join(out, RUN_LOG_NAME));
  const log = ({ type, ...fields }: RunLogEntry): void => runLog.append({ type, stage: 'pretrain', step: pos.step, tokens: tokensSeen, ...fields });
  if (state !== null) {
    loadOptimizerState(checkpointDir(out), opt);
    if (opt.stepCount !== state.step) throw new Error(`${checkpointDir(out)}: optimizer has ${opt.stepCount} steps but the trainer state says ${state.step}`);
    pos.step = state.step;
    tokensSeen = state.tokensSeen;
    start = state.position;
    maskRng.setState(state.rng.mlm);
    model.rng.setState(state.rng.model);
    if (generator !== null) {
      if (state.rng.generator === undefined) throw new Error(`${checkpointDir(out)}: an electra run's state has no generator rng`);
      generator.rng.setState(state.rng.generator);
    }
    elapsedBefore = state.elapsedSeconds;
    cpuBefore = state.cpuSeconds ?? 0;
    runLog.truncate(state.logLines);
    log({ type: 'resume' });
    print(`pretrain: resumed ${out} at step ${pos.step} (${tokensSeen} tokens seen, epoch ${start.epoch})`);
  } else {
    log({
      type: 'start',
      config: model.config,
      parameters: modelParams.reduce((a, p) => a + p.data.length, 0),
      ...(generator !== null ? { objective: 'electra', generatorConfig: generator.config, generatorParameters: genParams.reduce((a, p) => a + p.data.length, 0) } : {}),
      trainTokens: train.info.tokens,
      trainSequences: corpus.numSequences,
      options: { ...o, out: undefined },
    });
  }
  const batches = new TrainBatches(corpus, tok, masker, o.seed, maskRng, start);
  model.train(true);

  const evaluate = (): EvalResult[] => {
    const res = held.map((h) => {
      // electra: the generator's masked-LM loss (the discriminator predicts no tokens)
      const r =
        generator !== null
          ? heldoutLoss(generator, GENERATOR_HEAD, h.corpus, tok, heldoutMasker, o.heldoutSequences, o.batchSize)
          : heldoutLoss(model, mlmHead!, h.corpus, tok, heldoutMasker, o.heldoutSequences, o.batchSize);
      return { file: h.file, loss: r.loss, perplexity: Math.exp(r.loss), predictions: r.predictions };
    });
    for (const r of res) log({ type: 'heldout', file: r.file, loss: r.loss, perplexity: r.perplexity, predictions: r.predictions });
    if (res.length > 0)
      print(`eval step ${pos.step} tokens ${formatCount(tokensSeen)}: ` + res.map((r) => `${shortName(r.file)} loss ${r.loss.toFixed(4)} ppl ${r.perplexity.toFixed(1)}`).join(' | '));
    return res;
  };

  const sessionStart = Date.now();
  const elapsed = () => elapsedBefore + (Date.now() - sessionStart) / 1000;
  // CPU time of this process (all its threads, user + system) across sessions: the cost measure of
  // a run on a shared machine, where wall time depends on what else runs
  const cpuStart = process.cpuUsage();
  const cpuSeconds = () => {
    const u = process.cpuUsage(cpuStart);
    return cpuBefore + (u.user + u.system) / 1e6;
  };
  const checkpoint = (why: string) => {
    // logged first, so the checkpoint's log length includes its own record (the store then refuses
    // non-finite weights before writing anything)
    log({ type: 'checkpoint', reason: why });
    savePretrainCheckpoint(
      out,
      model,
      tok,
      opt,
      {
        step: pos.step,
        tokensSeen,
        position: batches.position,
        rng: { model: model.rng.getState(), mlm: maskRng.getState(), ...(generator !== null ? { generator: generator.rng.getState() } : {}) },
        elapsedSeconds: elapsed(),
        cpuSeconds: cpuSeconds(),
        logLines: runLog.lines,
      },
      generator !== null ? { [GENERATOR_DIR]: generator } : {},
    );
    publishModel(out);
  };

  // one signal policy (src/engine/signals.ts); a caller may hand its own StopRequest in
  const stop = hooks.stop ?? new StopRequest(print).install('pretrain');

  const stepTokens = o.batchSize * o.maxLength * o.gradAccum;
  // electra: window means of the two losses, the discriminator's accuracy and the replaced share (the step record)
  const electraWindow = { generatorLoss: 0, rtdLoss: 0, rtdAccuracy: 0, replaced: 0 };
  const special = new Set([tok.specialIds.cls, tok.specialIds.sep, tok.specialIds.pad]);
  const losses: Array<{ step: number; loss: number }> = [];
  let lastEval: EvalResult[] = [];
  let lastCheckpointAt = Date.now();
  let windowLoss = 0;
  let windowSteps = 0;
  let windowStart: number;
  let windowTokens = 0;
  let lastLoss: number | null = null;
  let stopReason: string;
  let update: UpdateResult = { gradNorm: 0, lrs: {} };
  if (pos.step === 0 && held.length > 0) lastEval = evaluate();
  windowStart = Date.now();

  const stopCheck = (): string | null => {
    if (stop.signal !== null) return `signal ${stop.signal}`;
    if (o.maxSteps > 0 && pos.step >= o.maxSteps) return `max steps ${o.maxSteps}`;
    if (pos.step >= o.totalSteps) return `end of the schedule (total steps ${o.totalSteps})`;
    if (o.maxTokens > 0 && tokensSeen >= o.maxTokens) return `max tokens ${o.maxTokens}`;
    if (o.maxMinutes > 0 && (Date.now() - t0) / 60000 >= o.maxMinutes) return `max minutes ${o.maxMinutes}`;
    return null;
  };
  // the bar runs to the nearest step-based stop condition (a --max-minutes stop may come first)
  const lastStep = Math.min(o.totalSteps, o.maxSteps > 0 ? o.maxSteps : Infinity, o.maxTokens > 0 ? Math.ceil(o.maxTokens / stepTokens) : Infinity);
  bar.start('pretrain', lastStep, pos.step);

  try {
    const end = await runLoop(
      'pretrain',
      pos,
      {
        planEpoch: () => Infinity,
        stopBeforeStep: stopCheck,
        // a scratch scope: the step's activations are reused by the next (only numbers leave it)
        step: () =>
          withScratch(() => {
            let stepLoss = 0;
            for (let micro = 0; micro < o.gradAccum; micro++) {
              const batch = batches.next(o.batchSize);
              let loss: Tensor;
              if (generator !== null) {
                // the generator's samples come from the masking stream: resumed runs replay them exactly
                const e = electraForward(generator, model, batch, special, maskRng, o.rtdWeight);
                loss = e.loss;
                electraWindow.generatorLoss += e.generatorLoss / o.gradAccum;
                electraWindow.rtdLoss += e.rtdLoss / o.gradAccum;
                electraWindow.rtdAccuracy += e.rtdAccuracy / o.gradAccum;
                electraWindow.replaced += e.replaced / o.gradAccum;
              } else loss = model.forward({ inputIds: batch.inputIds, shape: [batch.B, batch.T] }, { heads: [mlmHead!], labels: { [mlmHead!]: batch.mlmLabels! } }).loss!;
              if (!Number.isFinite(loss.data[0]!)) throw new Error(`pretrain: loss is ${loss.data[0]} at step ${pos.step + 1} (diverged; lower --lr or raise --warmup-steps)`);
              stepLoss += loss.data[0]! / o.gradAccum;
              (o.gradAccum === 1 ? loss : scale(loss, 1 / o.gradAccum)).backward();
            }
            update = optimizerUpdate(opt, params, o.clip, stepLoss, `pretrain: training diverged at step ${pos.step + 1}`);
            tokensSeen += stepTokens;
            windowLoss += stepLoss;
            windowSteps += 1;
            windowTokens += stepTokens;
            lastLoss = stepLoss;
          }),
        afterStep: () => {
          const step = pos.step;
          if (step % o.logEvery === 0) {
            const secs = (Date.now() - windowStart) / 1000;
            const tps = windowTokens / secs;
            const mean = windowLoss / windowSteps;
            const lr = update.lrs['all']!;
            losses.push({ step, loss: mean });
            // `loss`: mean over the `steps` steps since the last step record; the other fields are this step's
            const rtd = generator !== null ? Object.fromEntries(Object.entries(electraWindow).map(([k, x]) => [k, x / windowSteps])) : {};
            log({
              type: 'step',
              epoch: batches.position.epoch,
              loss: mean,
              steps: windowSteps,
              lr,
              gradNorm: update.gradNorm,
              tokensPerSecond: tps,
              elapsedSeconds: elapsed(),
              cpuSeconds: cpuSeconds(),
              ...rtd,
            });
            for (const k of Object.keys(electraWindow) as Array<keyof typeof electraWindow>) electraWindow[k] = 0;
            bar.update(step, { loss: mean, lr, tok_s: tps, epoch: batches.position.epoch });
            windowLoss = 0;
            windowSteps = 0;
            windowTokens = 0;
            windowStart = Date.now();
          }
          // tokens/s measures training only: time spent below (eval, snapshot, checkpoint) is taken out of the window
          const afterStep = Date.now();
          if (o.evalEvery > 0 && step % o.evalEvery === 0 && held.length > 0) lastEval = evaluate();
          if (o.snapshotEvery > 0 && step % o.snapshotEvery === 0) {
            saveModel(model, join(out, 'snapshots', `step-${String(step).padStart(7, '0')}`), { mainHead, tokenizer: tok, dtype: 'F16' });
            log({ type: 'snapshot' });
          }
          const byStep = o.checkpointEvery > 0 && step % o.checkpointEvery === 0;
          const byTime = o.checkpointMinutes > 0 && (Date.now() - lastCheckpointAt) / 60000 >= o.checkpointMinutes;
          if (byStep || byTime) {
            checkpoint(byStep ? 'every' : 'minutes');
            lastCheckpointAt = Date.now();
          }
          windowStart += Date.now() - afterStep;
          return hooks.afterStep?.(step) === true ? 'hook' : null;
        },
      },
      stop,
    );
    stopReason = end.kind === 'signal' ? `signal ${end.signal}` : end.reason;
    bar.end();
    if (held.length > 0 && (o.evalEvery === 0 || pos.step % o.evalEvery !== 0)) lastEval = evaluate();
    // the stop record first, so the checkpoint's log length keeps it when the run is resumed
    log({ type: 'stop', reason: stopReason, elapsedSeconds: elapsed(), cpuSeconds: cpuSeconds() });
    checkpoint('stop');
    print(`pretrain: stopped (${stopReason}) at step ${pos.step}, ${formatCount(tokensSeen)} tokens; model in ${out}, resumable with --resume ${out}`);
  } finally {
    if (hooks.stop === undefined) stop.dispose();
  }
  return { out, step: pos.step, tokensSeen, stopReason, lastLoss, heldout: lastEval, losses };
}

function shortName(f: string): string {
  return f.split('/').pop()!;
}
