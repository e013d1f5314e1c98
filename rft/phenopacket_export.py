"""A Diagnose case saved as a GA4GH phenopacket (v2 JSON): the terms, the known gene, and the ranked candidates.

    from rft.phenopacket_export import diagnosis_phenopacket
    packet = diagnosis_phenopacket(case, ranking, hpo, "RFT-tuned (default model)", "default", evidence, top=20)
    json.dump(packet, open("case.json", "w"))   # re-imported by rft.cases.load_cases_from_bytes / load_cases

What it holds, so that a saved case can be reopened and audited:
- `phenotypicFeatures`: present terms, then excluded ones (`"excluded": true`), with their labels;
- `interpretations`: the known causal gene(s), if any, as `CAUSATIVE`; then one interpretation per ranked
  candidate (`CANDIDATE`, which the loaders skip: a candidate is no known gene), whose `summary` states the
  rank, the score and its meaning, and the term-by-term evidence (`rft.evidence`), with the gene's
  best-matching disease as the diagnosis' disease;
- `metaData`: the creation time, `rft-genes <version>` as creator, the HPO release as a resource, and an
  external reference naming the ranker, the model spec and the research-use note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from importlib import metadata
from typing import TYPE_CHECKING, Any

from rft.rankers.base import tied_ranks

if TYPE_CHECKING:
    from ontology.hpo import Hpo
    from rft.cases import Case
    from rft.evidence import Evidence
    from rft.rankers.base import Ranking

__all__ = ["ONSET_ROOT", "RESEARCH_USE", "SEXES", "diagnosis_phenopacket", "software_version"]

SEXES = {"female": "FEMALE", "male": "MALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX"}  # as entered -> phenopacket v2 Sex
ONSET_ROOT = "HP:0003674"  # Onset
RESEARCH_USE = "Research use only: a ranking of candidate genes from phenotypes, not a diagnosis."


def software_version() -> str:
    """`rft-genes <version>` as installed (the pyproject version), or `rft-genes (not installed)`."""
    try:
        return f"rft-genes {metadata.version('rft-genes')}"
    except metadata.PackageNotFoundError:
        return "rft-genes (not installed)"


def _evidence_text(ev: Evidence) -> str:
    matches = "; ".join(
        (f"{m.patient_label} ~ {m.gene_label} via {m.common_label} (IC {m.ic:.2f}" + (f", log LR {m.log_lr:+.2f})" if m.log_lr is not None else ")"))
        if m.gene_label else f"{m.patient_label}: no shared annotation"
        for m in ev.present
    )
    against = "; ".join(m.patient_label for m in ev.excluded)
    return f"{ev.method} evidence: {matches}" + (f"; annotated but absent in the patient: {against}" if against else "")


def diagnosis_phenopacket(
    case: Case, ranking: Ranking, hpo: Hpo, ranker_label: str, ranker_spec: str, evidence: Mapping[str, Evidence],
    top: int = 20, score_meaning: str = "", created: dt.datetime | None = None, sex: str | None = None, onset: str | None = None,
) -> dict[str, Any]:
    """The phenopacket of one Diagnose case and its ranking (see the module docstring).

    Args:
        evidence: per gene symbol, `rft.evidence.explain`'s result; genes without one carry rank and score only.
        top: candidates written (the ranking's head).
        created: the creation time (default: now, UTC).
        sex: the patient's sex as entered, one of `SEXES` (None: not given); saved as `subject.sex`. No ranker reads it.
        onset: an HPO onset term (under Onset, HP:0003674) for the patient's signs; saved as each present feature's onset.

    Raises:
        ValueError: `sex` is not one of `SEXES`, or `onset` is not an onset term of this release.
    """
    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    if onset is not None and not (onset in hpo and ONSET_ROOT in hpo.ancestors(onset)):
        raise ValueError(f"onset {onset!r} is not an onset term (a descendant of {ONSET_ROOT}, Onset) in HPO {hpo.version}")
    created = created or dt.datetime.now(dt.timezone.utc)
    stamp = created.isoformat(timespec="seconds").replace("+00:00", "Z")
    when = {"onset": {"ontologyClass": {"id": onset, "label": hpo.label(onset)}}} if onset else {}
    features = [{"type": {"id": t, "label": hpo.label(t)}} | when for t in case.present]
    features += [{"type": {"id": t, "label": hpo.label(t)}, "excluded": True} for t in case.excluded]
    interpretations: list[dict[str, Any]] = []
    for gene in case.genes:
        interpretations.append({
            "id": f"{case.id}-known-{gene}", "progressStatus": "SOLVED",
            "diagnosis": {"genomicInterpretations": [
                {"subjectOrBiosampleId": case.id, "interpretationStatus": "CAUSATIVE", "gene": {"valueId": gene, "symbol": gene}}]},
            "summary": "known causal gene, entered by the user",
        })
    shared = tied_ranks(ranking)
    for i, g in enumerate(ranking.genes[:top]):
        ev = evidence.get(g.gene)
        tie = f" (tied: shares rank {int(shared[i])})" if int(shared[i]) != i + 1 or (i + 1 < len(shared) and shared[i + 1] == shared[i]) else ""
        diagnosis: dict[str, Any] = {"genomicInterpretations": [
            {"subjectOrBiosampleId": case.id, "interpretationStatus": "CANDIDATE", "gene": {"valueId": g.gene, "symbol": g.gene}}]}
        if ev is not None and ev.best_disease:
            diagnosis["disease"] = {"id": ev.best_disease[0], "label": ev.best_disease[1]}
        summary = f"rank {i + 1}{tie} of {len(ranking.genes)} by {ranker_label}, score {g.score:.4f}"
        summary += f" ({score_meaning})" if score_meaning else ""
        summary += f"; {_evidence_text(ev)}" if ev is not None else ""
        interpretations.append({"id": f"{case.id}-candidate-{i + 1}", "progressStatus": "IN_PROGRESS", "diagnosis": diagnosis, "summary": summary})
    return {
        "id": case.id,
        "subject": {"id": case.id} | ({"sex": SEXES[sex]} if sex else {}),
        "phenotypicFeatures": features,
        "interpretations": interpretations,
        "metaData": {
            "created": stamp,
            "createdBy": software_version(),
            "resources": [{
                "id": "hp", "name": "human phenotype ontology", "url": "http://purl.obolibrary.org/obo/hp.owl", "version": hpo.version,
                "namespacePrefix": "HP", "iriPrefix": "http://purl.obolibrary.org/obo/HP_",
            }],
            "phenopacketSchemaVersion": "2.0",
            "externalReferences": [{
                "id": "rft-genes:ranking", "reference": ranker_spec,
                "description": f"candidate genes ranked by {ranker_label} ({ranker_spec}) against HPO {hpo.knowledge} on {stamp}; {RESEARCH_USE}",
            }],
        },
    }
