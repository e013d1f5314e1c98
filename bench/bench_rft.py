"""The experiment that shows RFT works: base vs RFT-tuned after 12, 100, 1,000 and all training cases.

    python bench/bench_rft.py --cases ../shared/data/phenopacket-store-dev.zip [--sizes 12 100 1000 all]

Every run starts from the same base model, gets the same number of GRPO steps (`--steps`, so the same
compute: a small pool is seen for many epochs, a large one for a fraction of one), trains on a seeded sample
of the split's *training* cases
(publication-grouped, data/splits/dev_split.json) and is measured on the same *validation* cases, with the
grader's metrics: mean grader score, top-1/5/10, MRR. The best classical ranker is measured on the same
cases. Validation results are also reported separately for cases whose causal gene was / was not among
the training cases of that run, to show that tuning improves matching and not only gene priors.

Prints one markdown table per view and writes `<out>/rft_experiment.png` and `<out>/rft_experiment.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ontology import load_hpo
from rft.evaluate import evaluate
from rft.metrics import summarize
from rft.model import ModelRanker
from rft.registry import load_ranker
from rft.train import RftConfig, prepare_data, train

METRICS = ("mean_score", "top1", "top5", "top10", "mrr")


def ranks_of(ranker, cases) -> list[int | None]:
    return [r.rank for r in evaluate(ranker, cases)[0]]


def split_metrics(ranks, cases, seen: set[str], k: int) -> dict[str, dict]:
    is_seen = [any(g in seen for g in c.genes) for c in cases]
    return {
        "all": summarize(ranks, k=k),
        "seen": summarize([r for r, s in zip(ranks, is_seen) if s], k=k),
        "unseen": summarize([r for r, s in zip(ranks, is_seen) if not s], k=k),
    }


def row(name: str, n_train: str, m: dict, seconds: str = "") -> str:
    return f"| {name} | {n_train} | {m['n']} | " + " | ".join(f"{m[k]:.3f}" for k in METRICS) + f" | {seconds} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True, help="phenopacket zip/folder holding the split's cases")
    ap.add_argument("--split", default="data/splits/dev_split.json")
    ap.add_argument("--base", default="data/models/base")
    ap.add_argument("--sizes", nargs="+", default=["12", "100", "1000", "all"])
    ap.add_argument("--steps", type=int, default=300, help="optimisation steps per run: every run gets the same compute")
    ap.add_argument("--temperature", type=float, default=0.7, help="sampling temperature of the GRPO rollouts")
    ap.add_argument("--max-valid-cases", type=int, default=None)
    ap.add_argument("--classical", default="similarity", help="classical ranker to compare with")
    ap.add_argument("--out", default="runs/bench_rft")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--num-generations", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=None)
    ap.add_argument("--force", action="store_true", help="retrain runs that already finished")
    ap.add_argument("--plot-only", action="store_true", help="redraw the plot from <out>/rft_experiment.json")
    args = ap.parse_args()
    if args.plot_only:
        plot(json.loads((Path(args.out) / "rft_experiment.json").read_text()), args.classical, Path(args.out) / "rft_experiment.png")
        return

    hpo = load_hpo()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grpo = {"num_generations": args.num_generations, "max_steps": args.steps, "temperature": args.temperature, "beta": 0.0}
    if args.lr is not None:
        grpo["learning_rate"] = args.lr
    if args.beta is not None:
        grpo["beta"] = args.beta

    def config(size: str) -> RftConfig:
        n = None if size == "all" else int(size)
        return RftConfig(
            base=args.base, train=args.cases, split=args.split, out=str(out / f"n{size}"), seed=args.seed,
            max_train_cases=n, max_valid_cases=args.max_valid_cases, batch_size=args.batch_size,
            eval_every=10_000, merge=True, force=args.force, grpo=dict(grpo),
        )

    data = prepare_data(config("all"), hpo)
    valid = data.valid
    print(f"validation cases: {len(valid)}; training pool: {len(data.train)}", flush=True)

    results: dict[str, dict] = {}
    # The model alone, by its decoded list: what RFT samples, the grader scores and GRPO tunes.
    base_ranks = ranks_of(ModelRanker(args.base, hpo, generate=10), valid)
    classical_ranks = ranks_of(load_ranker(args.classical, hpo), valid)
    for size in args.sizes:
        cfg = config(size)
        run_data = prepare_data(cfg, hpo)
        meta_path = Path(cfg.out) / "meta.json"
        if not (meta_path.exists() and json.loads(meta_path.read_text()).get("status") == "finished") or args.force:
            t0 = time.perf_counter()
            train(cfg, hpo=hpo, command=f"bench/bench_rft.py size={size}")
            print(f"trained n={size} in {time.perf_counter() - t0:.0f} s", flush=True)
        meta = json.loads(meta_path.read_text())
        seen = {g for c in run_data.train for g in c.genes}
        ranks = ranks_of(ModelRanker(Path(cfg.out) / "merged", hpo, generate=10), valid)
        results[size] = {
            "n_train": len(run_data.train), "steps": meta["steps"], "train_seconds": meta["train_seconds"],
            "rft": split_metrics(ranks, valid, seen, 10), "base": split_metrics(base_ranks, valid, seen, 10),
            "classical": split_metrics(classical_ranks, valid, seen, 10),
        }

    header = "| model | RFT training cases | n valid | mean score | top-1 | top-5 | top-10 | MRR | train time |\n|---|---|---|---|---|---|---|---|---|"
    for view in ("all", "seen", "unseen"):
        print(f"\n### validation cases: {view}" + ("" if view == "all" else f" (causal gene {'in' if view == 'seen' else 'not in'} that run's training cases)"))
        print(header)
        if view == "all":
            print(row(f"classical: {args.classical}", "-", results[args.sizes[0]]["classical"]["all"]))
            print(row("base (no RFT)", "0", results[args.sizes[0]]["base"]["all"]))
        for size, r in results.items():
            if view != "all":
                print(row("base (no RFT)", f"({r['n_train']})", r["base"][view]))
            print(row("RFT", str(r["n_train"]), r["rft"][view], f"{r['train_seconds']:.0f} s, {r['steps']} steps"))
    (out / "rft_experiment.json").write_text(json.dumps(results, indent=2))
    plot(results, args.classical, out / "rft_experiment.png")
    print(f"\nwrote {out / 'rft_experiment.png'} and {out / 'rft_experiment.json'}")


def plot(results: dict, classical: str, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(results)
    xs = [results[s]["n_train"] for s in sizes]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, key, label in zip(axes, ("mean_score", "top1", "mrr"), ("mean grader score", "top-1", "MRR")):
        ax.plot(xs, [results[s]["rft"]["all"][key] for s in sizes], "o-", label="RFT-tuned")
        ax.plot(xs, [results[s]["rft"]["unseen"][key] for s in sizes], "o--", alpha=0.6, label="RFT-tuned, unseen genes")
        ax.plot(xs, [results[s]["base"]["unseen"][key] for s in sizes], "x:", color="grey", alpha=0.8, label="base, the same unseen-gene cases")
        ax.axhline(results[sizes[0]]["base"]["all"][key], color="grey", ls=":", label="base")
        ax.axhline(results[sizes[0]]["classical"]["all"][key], color="tab:red", ls="-.", label=classical)
        ax.set_xscale("log")
        ax.set_xlabel("RFT training cases")
        ax.set_title(f"validation {label}")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
