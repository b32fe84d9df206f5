#!/usr/bin/env bash
# PyTorch parity of `adaptext pretrain` (issue: "rule out a defect first"): the bundled backbone's
# recipe (tools/pretrain-backbone.sh phase 1: 4 × 256 BERT, batch 32 × 128, AdamW 5e-4, warm-up 300,
# decay to 0 at 8,000, clip 1, 15% masking) from the same starting weights on the same batches, once
# in adaptext and once in plain PyTorch, side by side, one thread each; then the table.
#
#   tools/parity/pretrain-parity.sh DIR [STEPS=977]      (977 steps × 4,096 = 4.0 M tokens)
#   node --import tsx tools/parity/compare.ts DIR         the table again
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${1:?usage: pretrain-parity.sh DIR [STEPS]}"
STEPS="${2:-977}"
DATA="${ADAPTEXT_DATA:-$(cd .. && pwd)/shared/data}"
HELD=(--heldout "$DATA/gutenberg/heldout-000.jsonl" --heldout "$DATA/amazon/dvd.labeled.jsonl")
node --import tsx tools/parity/pretrain-batches.ts "$DIR" --steps "$STEPS" \
  "$DATA"/gutenberg/part-*.jsonl "$DATA"/amazon/*.unlabeled.jsonl "${HELD[@]}"
ADAPTEXT_THREADS=1 node bin/adaptext.js pretrain --model "$DIR/init" --out "$DIR/adaptext" \
  "$DATA"/gutenberg/part-*.jsonl "$DATA"/amazon/*.unlabeled.jsonl "${HELD[@]}" \
  --batch-size 32 --lr 5e-4 --warmup-steps 300 --total-steps 8000 --weight-decay 0.01 --clip 1.0 \
  --seed 42 --max-steps "$STEPS" --eval-every 50 --heldout-sequences 200 --checkpoint-minutes 10 \
  --log-every 10 --progress lines > "$DIR/adaptext.out" 2>&1 &
a=$!
/usr/bin/python3 tools/parity/pretrain_torch.py "$DIR" --threads 1 --warmup-steps 300 --total-steps 8000 \
  --eval-every 50 --log-every 10 > "$DIR/torch.out" 2>&1 &
t=$!
trap 'kill -TERM $a $t 2>/dev/null || true' INT TERM
wait $a
wait $t
node --import tsx tools/parity/compare.ts "$DIR"
