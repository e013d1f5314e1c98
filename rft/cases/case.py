"""One patient case, what can be wrong with one, and how a record or a GA4GH phenopacket becomes one.

    from rft.cases import Case, case_from_record, case_to_record
    case, problems = case_from_record({"id": "c1", "present": ["HP:0001250"], "genes": ["SCN1A"]}, hpo)

Terms are checked at this boundary, in one place: unknown, obsolete or replaced ids and labels become current
ids or a `Problem` naming the value; `rft.cases.files` reads whole files into these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ontology.normalize import resolve_term
from rft.limits import MAX_SUGGESTIONS, MAX_TERMS_PER_CASE

if TYPE_CHECKING:
    from ontology.hpo import Hpo

__all__ = ["Case", "CaseBatch", "Problem", "build_case", "case_from_phenopacket", "case_from_record", "case_to_record", "clean_text", "split_values", "suggestion_budget", "write_jsonl"]

_SPLIT_TERMS = re.compile(r"[;|]")
_GENE_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")



def clean_text(value: object) -> str:
    """`value` as text that can be encoded as UTF-8: a lone surrogate (JSON "\\ud800") becomes "?"."""
    text = str(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class Case:
    """One patient: present and explicitly excluded HPO terms (current ids), and the causal gene(s) if known."""

    id: str
    present: tuple[str, ...]
    excluded: tuple[str, ...] = ()
    genes: tuple[str, ...] = ()
    source: str = ""
    candidates: tuple[str, ...] = ()  # the patient's candidate genes (an exome's list), as given; rft.candidates ranks within them


@dataclass(frozen=True)
class Problem:
    """Something wrong in the input. `dropped` tells whether the whole case was lost or only one value."""

    where: str  # file, file:line or zip member
    kind: str  # malformed, unknown_term, obsolete_term, replaced_term, not_phenotype, no_present_terms, no_gene, bad_gene, gene_not_in_kb, conflicting_term, duplicate_id, limit, skipped
    value: str
    message: str
    dropped: bool = False

    def __post_init__(self) -> None:
        for name in ("where", "kind", "value", "message"):  # shown in tables and sent to browsers: valid text only
            object.__setattr__(self, name, clean_text(getattr(self, name)))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" + (" (case skipped)" if self.dropped else "")


@dataclass
class CaseBatch:
    """What a loader returns: the usable cases, the problems, and how many records were read."""

    cases: list[Case] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    n_read: int = 0

    def extend(self, other: CaseBatch) -> None:
        self.cases.extend(other.cases)
        self.problems.extend(other.problems)
        self.n_read += other.n_read

    def summary(self) -> dict[str, Any]:
        """Counts for `rft cases validate`: read, usable, with gene, with excluded terms, problems by kind."""
        by_kind: dict[str, int] = {}
        for p in self.problems:
            by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
        return {
            "read": self.n_read,
            "usable": len(self.cases),
            "with_gene": sum(1 for c in self.cases if c.genes),
            "with_excluded": sum(1 for c in self.cases if c.excluded),
            "skipped": self.n_read - len(self.cases),
            "problems_by_kind": dict(sorted(by_kind.items())),
        }


# -- building one case ---------------------------------------------------------------------------------
# Did-you-mean searches left in the load under way (`suggestion_budget`); None outside a load (one case typed in).
_SUGGESTIONS_LEFT: ContextVar[list[int] | None] = ContextVar("suggestions_left", default=None)


@contextmanager
def suggestion_budget(n: int = MAX_SUGGESTIONS) -> Iterator[None]:
    """Within this block, at most `n` unknown terms get a "did you mean ...?" search (the loaders of whole files
    use it: a 44 KB file of random words is 4,500 unknown values, over a minute of searches)."""
    token = _SUGGESTIONS_LEFT.set([n])
    try:
        yield
    finally:
        _SUGGESTIONS_LEFT.reset(token)


def _may_suggest() -> bool:
    left = _SUGGESTIONS_LEFT.get()
    if left is None:
        return True
    left[0] -= 1
    return left[0] >= 0


def _resolve_all(hpo: Hpo, values: Iterable[str], where: str, problems: list[Problem]) -> list[str]:
    ids: list[str] = []
    for v in values:
        r = resolve_term(hpo, v, suggest=_may_suggest)
        if r.id is None:
            if r.kind != "empty":
                problems.append(Problem(where, r.kind, str(v), r.note))
            continue
        if not hpo.is_phenotype(r.id):  # HP:0000001 (All), HP:0000005 (Mode of inheritance), onset, ...
            problems.append(Problem(where, "not_phenotype", str(v), f"{r.id} ({hpo.label(r.id)}) is not under Phenotypic abnormality (HP:0000118): not a sign; ignored"))
            continue
        if r.kind == "replaced":
            problems.append(Problem(where, "replaced_term", str(v), r.note))
        if r.id not in ids:
            ids.append(r.id)
    return ids


def build_case(
    hpo: Hpo,
    case_id: str,
    present: Iterable[str],
    excluded: Iterable[str],
    genes: Iterable[str],
    where: str,
    require_gene: bool,
) -> tuple[Case | None, list[Problem]]:
    """A `Case` from raw values, with every problem found (terms resolved, genes checked); None when unusable."""
    problems: list[Problem] = []
    if clean_text(case_id) != case_id:  # a lone surrogate ("a\ud800") cannot be written nor shown: replaced, said
        problems.append(Problem(where, "malformed", ascii(case_id), f"case id {case_id!a} holds characters that are not text; read as {clean_text(case_id)!r}"))
        case_id = clean_text(case_id)
    present, excluded = list(present), list(excluded)
    if len(present) + len(excluded) > MAX_TERMS_PER_CASE:  # bounded work per case: resolving, ranking, the Diagnose checks
        n = len(present) + len(excluded)
        problems.append(Problem(where, "limit", f"{n:,} terms", f"case {case_id!r} has {n:,} terms (over {MAX_TERMS_PER_CASE:,}); only the first {MAX_TERMS_PER_CASE:,} are read"))
        present = present[:MAX_TERMS_PER_CASE]
        excluded = excluded[: MAX_TERMS_PER_CASE - len(present)]
    pres = _resolve_all(hpo, present, where, problems)
    excl = _resolve_all(hpo, excluded, where, problems)
    for t in [t for t in excl if t in pres]:
        problems.append(Problem(where, "conflicting_term", t, f"{t} is both present and excluded; kept as present"))
        excl.remove(t)
    symbols: list[str] = []
    for g in genes:
        g = str(g).strip()
        if not g:
            continue
        if not _GENE_SYMBOL.match(g):
            problems.append(Problem(where, "bad_gene", g, f"{g!r} is not a gene symbol"))
            continue
        canon = hpo.canonical_gene(g)
        if canon is None:
            # Kept: the truth is the truth, but no ranker over this knowledge base can find it.
            problems.append(Problem(where, "gene_not_in_kb", g, f"gene {g} has no phenotype annotation in HPO {hpo.version}"))
            canon = g.upper()
        if canon not in symbols:
            symbols.append(canon)
    if not pres:
        problems.append(Problem(where, "no_present_terms", case_id, f"case {case_id!r} has no usable present term", True))
        return None, problems
    if require_gene and not symbols:
        problems.append(Problem(where, "no_gene", case_id, f"case {case_id!r} names no causal gene", True))
        return None, problems
    return Case(case_id, tuple(pres), tuple(excl), tuple(symbols), where), problems


def _obj(value: Any) -> dict:
    """A JSON object, or {} for anything else: hand-edited files put lists, nulls and strings anywhere."""
    return value if isinstance(value, dict) else {}


def _arr(value: Any) -> list:
    return value if isinstance(value, list) else []


_NOT_CAUSAL = {"CANDIDATE", "REJECTED"}  # interpretation statuses that name no known gene (rft.phenopacket_export writes CANDIDATE)


def _gene_symbols_of_phenopacket(packet: dict, statuses: set[str] | None = None) -> list[str]:
    """The genes of a phenopacket's genomic interpretations: the causal ones (status not CANDIDATE or REJECTED),
    or those whose status is in `statuses`."""
    genes: list[str] = []
    for interp in _arr(packet.get("interpretations")):
        for gi in _arr(_obj(_obj(interp).get("diagnosis")).get("genomicInterpretations")):
            gi = _obj(gi)
            status = gi.get("interpretationStatus")
            if isinstance(status, list):  # a hand-edited file: ["CAUSATIVE"]; read as its first value
                status = next(iter(status), None)
            status = status.upper() if isinstance(status, str) else None  # anything else names no status
            if (status in _NOT_CAUSAL) if statuses is None else (status not in statuses):
                continue
            vd = _obj(_obj(gi.get("variantInterpretation")).get("variationDescriptor"))
            symbol = _obj(vd.get("geneContext")).get("symbol") or _obj(gi.get("gene")).get("symbol")
            for s in symbol if isinstance(symbol, list) else [symbol]:  # a list of symbols: each one
                if s is None:
                    continue
                if not isinstance(s, str):  # kept as text: build_case reports it as not a gene symbol
                    s = json.dumps(s)
                if s and s not in genes:
                    genes.append(s)
    return genes


_TRUE, _FALSE = (True, "true", "yes", "1", 1), (False, None, "false", "no", "0", 0)


def _feature_term(feat: Any, where: str, problems: list[Problem]) -> tuple[str | None, bool]:
    """A phenotypicFeature's term (an id, else its label) and whether it is excluded; (None, _) with a Problem
    when it names no usable term or its "excluded" is neither true nor false."""
    if isinstance(feat, str):  # a bare "HP:0001250" in place of the object
        return feat, False
    feat = _obj(feat)
    kind = feat.get("type")
    term = kind if isinstance(kind, str) else _obj(kind).get("id") or _obj(kind).get("label")
    if not isinstance(term, str) or not term.strip():
        problems.append(Problem(where, "malformed", json.dumps(feat)[:80], "phenotypicFeature without a term id or label (type.id / type.label); ignored"))
        return None, False
    flag = feat.get("excluded")
    flag = flag.strip().lower() if isinstance(flag, str) else flag
    if flag not in _TRUE and flag not in _FALSE:
        problems.append(Problem(where, "malformed", repr(feat.get("excluded")), f"'excluded' of {term} is {feat.get('excluded')!r}, neither true nor false; ignored"))
        return None, False
    return term, flag in _TRUE


def case_from_phenopacket(
    packet: dict, hpo: Hpo, where: str = "", require_gene: bool = False
) -> tuple[Case | None, list[Problem]]:
    """A `Case` from one parsed GA4GH phenopacket v2 (plain JSON dict)."""
    if not isinstance(packet, dict) or not ("phenotypicFeatures" in packet or "subject" in packet or "id" in packet):
        return None, [Problem(where, "malformed", type(packet).__name__, "not a phenopacket object", True)]
    case_id = packet.get("id") or _obj(packet.get("subject")).get("id") or where
    present, excluded, problems = [], [], []
    for feat in _arr(packet.get("phenotypicFeatures")):
        term, is_excluded = _feature_term(feat, where, problems)
        if term is not None:
            (excluded if is_excluded else present).append(term)
    causal = _gene_symbols_of_phenopacket(packet)
    case, more = build_case(hpo, str(case_id), present, excluded, causal, where, require_gene)
    candidates = _gene_symbols_of_phenopacket(packet, {"CANDIDATE"})
    # An exome's list: the CANDIDATE genes and the causal ones among them (a list without its answer is no list).
    return _with_candidates(case, candidates + [g for g in causal if g not in candidates] if candidates else []), problems + more


def split_values(value: Any) -> list[str]:
    """A cell or field as a list of values: strings split on `;` or `|`, lists kept (strings and numbers only)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in _SPLIT_TERMS.split(value) if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if isinstance(v, (str, int)) and str(v).strip()]
    return [str(value)]


def case_from_record(record: dict, hpo: Hpo, where: str = "", require_gene: bool = False) -> tuple[Case | None, list[Problem]]:
    """A `Case` from the canonical JSONL record (`id`, `present`, `excluded`, `genes`); a phenopacket also works."""
    if not isinstance(record, dict):
        return None, [Problem(where, "malformed", repr(record)[:80], "a line must hold a JSON object", True)]
    if "phenotypicFeatures" in record:
        return case_from_phenopacket(record, hpo, where, require_gene)
    case_id = str(record.get("id") or record.get("case_id") or where)
    if not isinstance(record.get("present", []), (str, list)):
        return None, [Problem(where, "malformed", repr(record.get("present"))[:80], "'present' must be a list of HPO ids", True)]
    genes = split_values(record.get("genes", record.get("gene")))
    case, problems = build_case(hpo, case_id, split_values(record.get("present")), split_values(record.get("excluded")), genes, where, require_gene)
    return _with_candidates(case, split_values(record.get("candidates"))), problems


def _with_candidates(case: Case | None, candidates: list[str]) -> Case | None:
    """The case with its candidate genes (an exome's list; `rft.candidates` resolves the symbols)."""
    if case is None or not candidates:
        return case
    return replace(case, candidates=tuple(dict.fromkeys(c for c in candidates if _GENE_SYMBOL.match(c))))


# -- writing -------------------------------------------------------------------------------------------
def case_to_record(case: Case) -> dict:
    """The canonical JSONL record of a case."""
    record = asdict(case)
    for key in ("present", "excluded", "genes", "candidates"):
        record[key] = list(record[key])
    if not record["candidates"]:  # most cases have none: the record stays as before
        del record["candidates"]
    return record


def write_jsonl(cases: Iterable[Case], path: str | Path, force: bool = False, inputs: Iterable[str | Path] = ()) -> int:
    """Write cases as canonical JSONL, atomically, never over an existing file without `force` nor over one of
    `inputs` (`rft.writes.write_atomic`); returns how many were written."""
    from rft.writes import write_atomic

    lines = [json.dumps(case_to_record(case)) + "\n" for case in cases]
    write_atomic(path, "".join(lines), force=force, inputs=inputs, what="OUT")
    return len(lines)
