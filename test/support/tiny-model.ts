// A tiny random-init BERT folder (config.json + model.safetensors + WordPiece vocabulary learned
// on the given texts) for tests that need a model on disk; built once per process and settings.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdapterModel, saveModel } from '../../src/models/index.js';
import { trainWordPiece } from '../../src/text/index.js';
import { tmp } from './tmp.js';

export interface TinyModelOptions {
  /** Names the texts in the cache key (the texts themselves are not compared). */
  corpus: string;
  texts: () => Iterable<string>;
  hidden?: number;
  layers?: number;
  vocab?: number;
  seed?: number;
}

const built = new Map<string, string>();

export function tinyBertFolder(o: TinyModelOptions): string {
  const hidden = o.hidden ?? 32;
  const layers = o.layers ?? 2;
  const vocab = o.vocab ?? 700;
  const seed = o.seed ?? 3;
  const key = `${o.corpus}-${hidden}-${layers}-${vocab}-${seed}`;
  const hit = built.get(key);
  if (hit !== undefined && existsSync(hit)) return hit;
  const tok = trainWordPiece(o.texts(), { vocabSize: vocab });
  const model = new AdapterModel(
    {
      model_type: 'bert',
      vocab_size: tok.vocabSize,
      hidden_size: hidden,
      num_hidden_layers: layers,
      num_attention_heads: 2,
      intermediate_size: hidden * 2,
      max_position_embeddings: 64,
      type_vocab_size: 2,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
    },
    { seed },
  );
  const dir = join(tmp('adaptext-tiny-model-'), 'model');
  saveModel(model, dir, { tokenizer: tok, mainHead: null });
  built.set(key, dir);
  return dir;
}
