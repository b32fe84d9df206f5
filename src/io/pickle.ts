// PyTorch checkpoints (`pytorch_model.bin`, `*.pt`, `*.ckpt`) are Python pickles: unpickling one
// the ordinary way runs whatever code its author put in it. adaptext never does. A model
// folder's `pytorch_model.bin` in torch.save's zip format is *read* by torch-checkpoint.ts, an
// interpreter that understands only tensors and dicts (torch.load(weights_only=True)'s
// contract) and executes nothing; every other pickle (the legacy non-zip format, `*.pt`,
// `*.ckpt`, adapter and head `.bin` files) is refused, and the user is told how to convert the
// file to safetensors once, in Python, where they chose to trust it.

import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';

const PICKLE_EXT = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;

/** True if `path`'s name says it is a PyTorch/pickle checkpoint. */
export function hasPickleName(path: string): boolean {
  return PICKLE_EXT.test(basename(path));
}

/** True if the first bytes of `path` are a pickle stream (protocol 2..5) or a zip archive
 * (the container `torch.save` has used since 1.6). Unreadable files are not pickles here. */
export function hasPickleMagic(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const b = Buffer.alloc(9);
    const n = readSync(fd, b, 0, 9, 0);
    if (n >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) return true;
    // PROTO opcode. A safetensors header length can also start with 0x80 0x0N, but then bytes
    // 2..7 are zero and byte 8 opens the JSON header.
    if (n >= 2 && b[0] === 0x80 && b[1]! >= 2 && b[1]! <= 5) {
      const safetensorsLike = n === 9 && b.subarray(2, 8).every((x) => x === 0) && b[8] === 0x7b;
      return !safetensorsLike;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** POSIX shell single quotes: the shell takes everything inside literally ('\'' for a quote). */
function shQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** The one-line Python command that converts a pickle checkpoint into `model.safetensors`
 * beside it. The path is the command's one argument, shell-quoted, and never part of the code:
 * pasting the hint for a folder named `p$(touch X)x` runs nothing but Python on that file.
 * `weights_only=True` makes torch.load refuse arbitrary objects; `.clone()` breaks the storage
 * sharing of tied weights, which `save_file` rejects. For a sharded checkpoint
 * (`pytorch_model.bin.index.json`) every shard in its weight_map is merged into one file. */
export function pickleConversionCommand(path: string): string {
  const save = `save_file({k: v.clone().contiguous() for k, v in sd.items()}, os.path.join(os.path.dirname(p), 'model.safetensors'), metadata={'format': 'pt'})`;
  if (/\.index\.json$/i.test(path)) {
    return (
      `python -c "import json, os, sys, torch; from safetensors.torch import save_file; p = sys.argv[1]; sd = {}; ` +
      `[sd.update(torch.load(os.path.join(os.path.dirname(p), f), map_location='cpu', weights_only=True)) ` +
      `for f in sorted(set(json.load(open(p))['weight_map'].values()))]; ${save}" ${shQuote(path)}`
    );
  }
  return `python -c "import os, sys, torch; from safetensors.torch import save_file; p = sys.argv[1]; ` + `sd = torch.load(p, map_location='cpu', weights_only=True); ${save}" ${shQuote(path)}`;
}

/** Always throws: `path` is a PyTorch pickle, with the command that converts it. */
export function refusePickle(path: string): never {
  throw new Error(`${path} is a PyTorch pickle; adaptext never executes pickles. Convert it to safetensors: ${pickleConversionCommand(path)}`);
}
