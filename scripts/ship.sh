#!/usr/bin/env bash
# Rebuild every shipped artefact in data/, in order: split -> pretrain -> RFT -> choose ranking -> model folders.
#
#   bash scripts/ship.sh ../shared/data/phenopacket-store-dev.zip            # work in runs/ship, then install
#   FORCE=--force bash scripts/ship.sh CASES                                # replace what the project shipped
#
# Every step writes under $WORK (runs/ship) first; only the last step touches data/models, and only with
# FORCE=--force when a shipped folder is already there. Each step's command is the one the README quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:?usage: scripts/ship.sh CASES.zip}
WORK=${WORK:-runs/ship}
FORCE=${FORCE:-}
mkdir -p "$WORK"

# 1. The publication-grouped split (case ids only): train / tune / valid.
python scripts/make_split.py --cases "$CASES" --out "$WORK/dev_split.json"
# 2. The base model: warm start on synthetic patients drawn from the HPO annotations.
rft pretrain --out "$WORK/base" --valid-cases "$CASES" --split "$WORK/dev_split.json"
# 3. RFT: GRPO + LoRA against the top-k rank grader on the training part.
rft train --base "$WORK/base" --train "$CASES" --split "$WORK/dev_split.json" --out "$WORK/rft" \
    --batch-size 4 --num-generations 8 --max-steps 300 --lr 1e-3 --temperature 0.7 --eval-every 10000 --merge $FORCE
# 4. How the tuned model ranks (its fusion with a classical ranker), chosen on the tune part.
python scripts/choose_ranking.py --cases "$CASES" --model "$WORK/rft/merged" --split "$WORK/dev_split.json" --write
# 5. Ship: the split, the base and the tuned model.
if [ -e data/splits/dev_split.json ] && ! cmp -s "$WORK/dev_split.json" data/splits/dev_split.json && [ -z "$FORCE" ]; then
    echo "ship: data/splits/dev_split.json differs from $WORK/dev_split.json; FORCE=--force to replace it" >&2; exit 2
fi
cp "$WORK/dev_split.json" data/splits/dev_split.json
python scripts/install_model.py "$WORK/base" base $FORCE
python scripts/install_model.py "$WORK/rft/merged" default $FORCE
