#!/usr/bin/env bash
# Short pretraining runs side by side, one lever changed at a time (issue 11, item 3): every run
# starts from the same random initialisation of the bundled architecture and vocabulary
# (tools/make-random-checkpoint.ts --from models/adaptext-mini-en --seed 42), trains on the same
# corpus as the bundled backbone's phase 1 for the same token budget, with the learning rate
# decaying linearly to 0 at the end of that budget, and is then probed on validation splits
# (tools/linear-probe.ts --eval validation). CPU time is measured by /usr/bin/time.
#
#   bench/pretrain-levers/run.sh RECIPE OUT_ROOT [TOKENS]       e.g. base /work/levers 2500000
#
# Recipes (base = the bundled backbone's recipe, scaled to the budget):
#   base      batch 32 × 128, lr 5e-4, warm-up 10%, 15% masking
#   mask40    as base, 40% masking (Wettig et al. 2023)
#   lr1e-3    as base, peak lr 1e-3
#   bs8       batch 8 × 128 (4× the optimizer steps for the same tokens)
#   len64     batch 64 × 64 (same tokens per step, shorter sequences)
#   cooc-mask40  cooc and mask40 together (the long run's recipe)
#   electra   as base, objective electra (replaced-token detection, generator 1/4 of the hidden size)
#   cooc      as base, word embeddings (and the tied MLM decoder) initialised from PPMI-SVD
#             co-occurrence vectors of the same corpus (tools/cooc-embeddings.ts, ≈ 1 CPU-minute)
set -euo pipefail
cd "$(dirname "$0")/../.."
RECIPE="${1:?recipe}"
ROOT="${2:?output root}"
TOKENS="${3:-2500000}"
DATA="${ADAPTEXT_DATA:-/work/shared/data}"
INIT="$ROOT/init-random"
[ -f "$INIT/config.json" ] || node --import tsx tools/make-random-checkpoint.ts --from models/adaptext-mini-en --out "$INIT" --seed 42
CORPUS=("$DATA"/gutenberg/part-*.jsonl "$DATA"/amazon/*.unlabeled.jsonl)

BS=32 LEN=128 LR=5e-4 MASK=0.15 EXTRA=()
case "$RECIPE" in
  base) ;;
  mask40) MASK=0.4 ;;
  lr1e-3) LR=1e-3 ;;
  bs8) BS=8 ;;
  len64) BS=64 LEN=64 ;;
  electra) EXTRA=(--objective electra) ;;
  cooc-mask40)
    [ -f "$ROOT/init-cooc/config.json" ] || node --import tsx tools/cooc-embeddings.ts --model "$INIT" --out "$ROOT/init-cooc" "${CORPUS[@]}"
    INIT="$ROOT/init-cooc" MASK=0.4 ;;
  cooc)
    [ -f "$ROOT/init-cooc/config.json" ] || /usr/bin/time -f "cpu_seconds %U user %S sys, wall %e s" -o "$ROOT/init-cooc.time" \
      node --import tsx tools/cooc-embeddings.ts --model "$INIT" --out "$ROOT/init-cooc" "${CORPUS[@]}"
    INIT="$ROOT/init-cooc" ;;
  *) echo "unknown recipe $RECIPE" >&2; exit 2 ;;
esac
STEPS=$(( TOKENS / (BS * LEN) ))
WARM=$(( STEPS / 10 ))
EVAL=$(( STEPS / 10 ))
OUT="$ROOT/$RECIPE"
/usr/bin/time -f "cpu_seconds %U user %S sys, wall %e s" -o "$ROOT/$RECIPE.time" \
  node --import tsx --input-type=module -e "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));" -- \
  pretrain --model "$INIT" --out "$OUT" "${CORPUS[@]}" \
  --heldout "$DATA/gutenberg/heldout-000.jsonl" --heldout "$DATA/amazon/dvd.labeled.jsonl" \
  --max-length "$LEN" --batch-size "$BS" --lr "$LR" --warmup-steps "$WARM" --total-steps "$STEPS" --max-steps "$STEPS" \
  --mlm-probability "$MASK" --weight-decay 0.01 --clip 1.0 --seed 42 --eval-every "$EVAL" --heldout-sequences 200 \
  --checkpoint-minutes 10 --log-every 10 --progress lines "${EXTRA[@]}"
