#!/usr/bin/env bash
# Rebuild every shipped artefact in data/, in order:
#   split -> fresh-window benchmark (chooses the ranking and its gate) -> RFT on every case -> ranking -> model folder.
#
#   bash scripts/ship.sh ../shared/data/phenopacket-store-dev.zip ../shared/data/phenopacket-store-2025h2.zip
#   FORCE=--force bash scripts/ship.sh DEV.zip WINDOW.zip          # replace what the project shipped
#
# Every choice is made on prospective cases: bench/window.py tunes the recipe's model on DEV, ranks the WINDOW's
# newer papers at the shipped HPO release with each paper's own annotations left out, chooses the ranking (partner,
# fusion, per-case gate) on the window's choose part and reports on the rest. The shipped model is then the final
# fit: the same recipe on DEV and WINDOW together, at the bundled release, ranked as chosen. Every step writes under
# $WORK (runs/ship) first; only the last step touches data/, and only with FORCE=--force when a shipped folder is
# already there. The base (data/models/base: synthetic patients only, no case report) is not rebuilt here:
# PRETRAIN=1 pretrains a new one at the bundled release first and ships it too.
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=${1:?usage: scripts/ship.sh DEV.zip WINDOW.zip}
WINDOW=${2:?usage: scripts/ship.sh DEV.zip WINDOW.zip}
WORK=${WORK:-runs/ship}
BENCH=${BENCH:-runs/window}
FORCE=${FORCE:-}
mkdir -p "$WORK"

# 1. The publication-grouped dev split (case ids only), for the dev-split tables (the KB has seen those papers).
python scripts/make_split.py --cases "$DEV" --out "$WORK/dev_split.json"
# 2. The base model RFT starts from.
BASE=data/models/base
if [ "${PRETRAIN:-0}" = 1 ]; then
    rft pretrain --out "$WORK/base" --head knowledge --valid-cases "$DEV" --split "$WORK/dev_split.json" $FORCE
    BASE="$WORK/base"
fi
# 3. The fresh-window benchmark: the ranking chosen on its choose part, the figures of its report part.
python bench/window.py --train "$DEV" --window "$WINDOW" --base "$BASE" --work "$BENCH"
CHOSEN="$BENCH/chosen.json"
python -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['rft_config'], open(sys.argv[2], 'w'), indent=2)" "$CHOSEN" "$WORK/rft_config.json"
# 4. The final fit: the same RFT recipe on every case (DEV and WINDOW, read as one folder of zips).
rm -rf "$WORK/cases" && mkdir -p "$WORK/cases"
ln -s "$(realpath "$DEV")" "$WORK/cases/" && ln -s "$(realpath "$WINDOW")" "$WORK/cases/"
rft train --config "$WORK/rft_config.json" --base "$BASE" --train "$WORK/cases" --out "$WORK/rft" --eval-every 100000 --merge $FORCE
# 5. How it ranks: the benchmark's choice, with the figures that chose it, written into a work copy.
rm -rf "$WORK/default" && cp -r "$WORK/rft/merged" "$WORK/default"
python scripts/choose_ranking.py --from-benchmark "$CHOSEN" --as rft --model "$WORK/default" --write
# 6. Ship: the split, the tuned model (and a new base when PRETRAIN=1).
if [ -e data/splits/dev_split.json ] && ! cmp -s "$WORK/dev_split.json" data/splits/dev_split.json && [ -z "$FORCE" ]; then
    echo "ship: data/splits/dev_split.json differs from $WORK/dev_split.json; FORCE=--force to replace it" >&2; exit 2
fi
cp "$WORK/dev_split.json" data/splits/dev_split.json
[ "$BASE" = data/models/base ] || python scripts/install_model.py "$BASE" base $FORCE
python scripts/install_model.py "$WORK/default" default $FORCE
