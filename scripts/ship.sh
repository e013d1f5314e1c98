#!/usr/bin/env bash
# Rebuild every shipped artefact in data/, in order:
#   split -> prospective benchmark (chooses the model, its RFT settings and ranking) -> RFT -> ranking -> model folders.
#
#   bash scripts/ship.sh ../shared/data/phenopacket-store-dev.zip            # work in runs/ship, then install
#   FORCE=--force bash scripts/ship.sh CASES                                # replace what the project shipped
#
# Every choice is made on prospective cases (bench/prospective.py: develop at an old HPO release, choose on the
# cases published after it); the shipped model is then the final fit: the same recipe on the current (bundled)
# release with every case. Every step writes under $WORK (runs/ship) first; only the last step touches data/,
# and only with FORCE=--force when a shipped folder is already there. Each step's command is the one the README
# quotes. BENCH (default runs/prospective) holds the benchmark's cached models; HEAD and LPO pick its variant.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:?usage: scripts/ship.sh CASES.zip}
WORK=${WORK:-runs/ship}
BENCH=${BENCH:-runs/prospective}
HEAD=${HEAD:-knowledge}
LPO=${LPO:-5}
FORCE=${FORCE:-}
mkdir -p "$WORK"

# 1. The publication-grouped dev split (case ids only), for the dev-split tables (the KB has seen those papers).
python scripts/make_split.py --cases "$CASES" --out "$WORK/dev_split.json"
# 2. The prospective benchmark: RFT settings and ranking chosen on its tune window, figures on its evaluation window.
#    SWEEP names the RFT settings it trains and chooses among (bench/prospective.py RFT_SETTINGS).
SWEEP=${SWEEP:-lr1e-3_300 lr1e-3_300_gene lr1e-3_300_kl lr1e-3_300_syn}
# shellcheck disable=SC2086  # SWEEP is a list of names
python bench/prospective.py --cases "$CASES" --head "$HEAD" --lpo "$LPO" --work "$BENCH" --sweep $SWEEP
CHOSEN="$BENCH/${HEAD}_lpo${LPO}/chosen.json"
[ "$LPO" = 0 ] && CHOSEN="$BENCH/${HEAD}/chosen.json"
python -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['rft_config'], open(sys.argv[2], 'w'), indent=2)" "$CHOSEN" "$WORK/rft_config.json"
# 3. The base model: warm start on synthetic patients drawn from HPO annotations. By default the benchmark's
#    ship-stage base (pretrained at its newer release) is reused: the knowledge head reads any release, so RFT
#    below switches it to the bundled one. PRETRAIN=1 pretrains a base at the bundled release instead.
BASE=$(python -c "import json,sys; print(json.load(open(sys.argv[1]))['base'])" "$CHOSEN")
if [ "${PRETRAIN:-0}" = 1 ]; then
    rft pretrain --out "$WORK/base" --head "$HEAD" --valid-cases "$CASES" --split "$WORK/dev_split.json"
    BASE="$WORK/base"
fi
# 4. The model that won on the tune window: RFT with the chosen settings on every case, at the bundled release
#    (the final fit; leave-publication-out as chosen), or the base itself when RFT lost there (steps = 0).
# MODEL=rft or MODEL=base overrides the benchmark's choice (say why in the README: see "What ships").
MODEL=${MODEL:-$(python -c "import json,sys; print(json.load(open(sys.argv[1]))['model'])" "$CHOSEN")}
if [ "$MODEL" = rft ]; then
    rft train --config "$WORK/rft_config.json" --base "$BASE" --train "$CASES" --out "$WORK/rft" --eval-every 100000 --merge $FORCE
    SHIP_MODEL="$WORK/rft/merged"
else
    echo "ship: RFT lost to its base on the prospective tune window; the base ships (see $CHOSEN)"
    SHIP_MODEL="$BASE"
fi
# 5. How it ranks: the benchmark's choice, with the prospective figures that chose it, written into a copy.
rm -rf "$WORK/default" && cp -r "$SHIP_MODEL" "$WORK/default"    # a work copy: the benchmark's cached folders stay as they are
python scripts/choose_ranking.py --from-benchmark "$CHOSEN" --as "$MODEL" --model "$WORK/default" --write
rm -rf "$WORK/base_shipped" && cp -r "$BASE" "$WORK/base_shipped"
python scripts/choose_ranking.py --from-benchmark "$CHOSEN" --as base --model "$WORK/base_shipped" --write
# 6. Ship: the split, the base and the tuned model.
if [ -e data/splits/dev_split.json ] && ! cmp -s "$WORK/dev_split.json" data/splits/dev_split.json && [ -z "$FORCE" ]; then
    echo "ship: data/splits/dev_split.json differs from $WORK/dev_split.json; FORCE=--force to replace it" >&2; exit 2
fi
cp "$WORK/dev_split.json" data/splits/dev_split.json
python scripts/install_model.py "$WORK/base_shipped" base $FORCE
python scripts/install_model.py "$WORK/default" default $FORCE
