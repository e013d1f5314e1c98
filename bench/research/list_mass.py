"""Where a model's next-token probability goes while it writes a ranked list: on genes it already listed,
on non-gene tokens, on the genes still allowed. Why RFT needs `GeneListPolicy` (README, RFT section).

    python bench/research/list_mass.py --cases ../shared/data/phenopacket-store-dev.zip [--model data/models/base] [--n 64]

For the first `--n` validation cases (data/splits/dev_split.json) the model decodes its constrained greedy
list of 10 genes; the plain model (no mask) is then run over prompt + list and, at each of the 10 positions,
the probability (temperature 0.7, as in RFT sampling) on already-listed genes and on non-gene tokens is
averaged over cases. Prints one row per quantity, one column per list position.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from ontology import load_hpo
from rft.cases import load_cases
from rft.model import load_model, rank_genes
from rft.splits import DEV_SPLIT, select


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True)
    ap.add_argument("--model", default="data/models/base")
    ap.add_argument("--split", default=str(DEV_SPLIT))
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--temperature", type=float, default=0.7)
    args = ap.parse_args()

    hpo = load_hpo()
    bundle = load_model(args.model, hpo)
    tok = bundle.tokenizer
    cases = select(load_cases(args.cases, hpo, require_gene=True).cases, args.split, "valid")[: args.n]
    gene_id = dict(zip(bundle.gene_symbols, bundle.gene_ids))
    allowed = torch.zeros(len(tok), dtype=torch.bool)
    allowed[bundle.gene_ids] = True
    listed_mass, other_mass = [], []
    with torch.inference_mode():
        for r in rank_genes(bundle, cases, top=10, hpo=hpo):
            ids = tok(r.prompt + " " + " ".join(r.generated), add_special_tokens=False, return_tensors="pt")["input_ids"]
            # Positions -11..-2 predict the 10 listed genes.
            probs = (bundle.model(input_ids=ids).logits[0, -11:-1].float() / args.temperature).softmax(-1)
            listed = [gene_id[g] for g in r.generated]
            listed_mass.append([probs[j, listed[:j]].sum().item() for j in range(10)])
            other_mass.append(probs[:, ~allowed].sum(-1).tolist())
    print(f"{args.model}, {len(cases)} validation cases, temperature {args.temperature}")
    print("| list position | " + " | ".join(str(j + 1) for j in range(10)) + " |\n|---|" + "---|" * 10)
    for label, mass in (("mass on genes already listed", listed_mass), ("mass on non-gene tokens", other_mass)):
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in np.mean(mass, axis=0)) + " |")


if __name__ == "__main__":
    main()
