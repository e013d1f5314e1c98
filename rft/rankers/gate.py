"""The per-case gate of a fusion: when a tuned model gets a say in the ranking, and when the case gets the
classical ranking alone.

    from rft.rankers.gate import Gate, gate_signals
    gate = Gate(min_confidence=0.3, min_lift=5.0, reference="base")
    signals = gate_signals(model_logprobs, model_genes, classical_ranks, classical_genes, (base_logprobs, base_genes))
    gate.open(signals)                 # per case: True where the model speaks

A model tuned by RFT on case reports ranks patients like its training cohorts far better than any lookup, and
names a training gene out of nowhere on patients unlike them (README, "New patients": top-1 0.49 against 0.35
on genes a training case names, 0.01 against 0.07 on the others). No single fusion weight serves both, so the
weight is set per case from what the case itself shows:

- **confidence**: the model's probability of its first gene;
- **lift**: that probability over the *reference* model's (the base it was tuned from: the same network knowing
  only the HPO annotations) for the same gene. A large lift says the tuning, i.e. the case reports, put the gene
  there: the case looks like a training cohort. A gene the base already favoured, or a case where RFT only
  pushed its usual favourite, lifts little;
- **disagreement**: the classical ranker's rank of the model's first gene (the classical ranker finds it implausible).

A shut gate gives the case the classical ranking exactly (`rft.rankers.hybrid`). `bench/window.py` chooses the
thresholds on the choose part of a fresh window; a model folder ships them in meta.json
(`"ranking": {"hybrid": {..., "gate": {...}}}`), which `rft.registry` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Gate", "GateSignals", "gate_signals"]

_FIELDS = ("min_confidence", "min_lift", "max_disagreement", "reference")


@dataclass(frozen=True)
class GateSignals:
    """What a gate reads, per case (arrays of one batch)."""

    confidence: np.ndarray  # the model's probability of its first gene
    lift: np.ndarray  # that over the reference model's probability of the same gene (inf when there is no reference)
    disagreement: np.ndarray  # the classical rank of the model's first gene (len(classical genes) + 1 when it lacks it)


@dataclass(frozen=True)
class Gate:
    """Open on a case where confidence >= `min_confidence`, lift >= `min_lift` and disagreement <= `max_disagreement`
    (None: any rank). `reference` names the model folder lift is measured against (a folder under data/models/,
    or a path; `rft.registry` loads it); it is needed only when `min_lift` > 0. `Gate()` is always open."""

    min_confidence: float = 0.0
    min_lift: float = 0.0
    max_disagreement: int | None = None
    reference: str | None = None

    def __post_init__(self):
        if not (isinstance(self.min_confidence, (int, float)) and 0.0 <= self.min_confidence <= 1.0):
            raise ValueError(f"gate min_confidence must be a probability in [0, 1], got {self.min_confidence!r}")
        if not (isinstance(self.min_lift, (int, float)) and self.min_lift >= 0.0):
            raise ValueError(f"gate min_lift must be a ratio of at least 0, got {self.min_lift!r}")
        if self.max_disagreement is not None and not (isinstance(self.max_disagreement, int) and self.max_disagreement >= 1):
            raise ValueError(f"gate max_disagreement must be a rank of at least 1 or null, got {self.max_disagreement!r}")
        if self.min_lift > 0 and not self.reference:
            raise ValueError("a gate with min_lift > 0 needs a reference model (the folder of the base the model was tuned from)")

    @classmethod
    def from_config(cls, config: Gate | dict[str, Any] | None) -> Gate | None:
        """A gate from meta.json's `"gate": {...}` (None stays None); unknown keys are named in the error."""
        if config is None or isinstance(config, Gate):
            return config
        if not isinstance(config, dict):
            raise ValueError(f"a gate must be an object like {{'min_confidence': 0.3, 'max_disagreement': 10}}, got {config!r}")
        unknown = set(config) - set(_FIELDS)
        if unknown:
            raise ValueError(f"unknown gate setting(s) {', '.join(sorted(unknown))}; a gate has {', '.join(_FIELDS)}")
        return cls(**config)

    def to_config(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def open(self, signals: GateSignals) -> np.ndarray:
        """Per case: is the gate open?"""
        ok = (signals.confidence >= self.min_confidence) & (signals.lift >= self.min_lift)
        return ok if self.max_disagreement is None else ok & (signals.disagreement <= self.max_disagreement)

    def describe(self) -> str:
        """One line for people: when the model speaks."""
        parts = [f"its first gene's probability is at least {self.min_confidence:g}"] if self.min_confidence else []
        if self.min_lift:
            parts.append(f"at least {self.min_lift:g} times what its base ({self.reference}) gives that gene")
        if self.max_disagreement is not None:
            parts.append(f"the classical ranker puts that gene in its top {self.max_disagreement}")
        return "the model has a say where " + "; ".join(parts) if parts else "the model has a say on every case"


def gate_signals(
    m_logprobs: np.ndarray,
    m_genes: Sequence[str],
    c_ranks: np.ndarray,
    c_genes: Sequence[str],
    reference: tuple[np.ndarray, Sequence[str]] | None = None,
) -> GateSignals:
    """The signals of a batch: the model's first-gene log-probabilities [n, len(m_genes)], the classical ranks
    [n, len(c_genes)], and optionally the reference model's (log-probabilities, genes).

    >>> import numpy as np
    >>> s = gate_signals(np.log([[0.8, 0.2]]), ["A", "B"], np.array([[2.0, 1.0]]), ["A", "B"], (np.log([[0.1, 0.9]]), ["A", "B"]))
    >>> round(float(s.confidence[0]), 3), round(float(s.lift[0]), 3), float(s.disagreement[0])
    (0.8, 8.0, 2.0)
    """
    rows = np.arange(len(m_logprobs))
    top = np.argmax(m_logprobs, axis=1) if len(m_logprobs) else np.zeros(0, dtype=np.int64)
    confidence = np.exp(m_logprobs[rows, top].astype(np.float64))
    c_index = {g: i for i, g in enumerate(c_genes)}
    col = np.array([c_index.get(m_genes[t], -1) for t in top], dtype=np.int64)
    disagreement = np.where(col >= 0, c_ranks[rows, np.maximum(col, 0)], len(c_genes) + 1).astype(np.float64)
    lift = np.full(len(rows), np.inf)
    if reference is not None:
        r_logprobs, r_genes = reference
        r_index = {g: i for i, g in enumerate(r_genes)}
        r_col = np.array([r_index.get(m_genes[t], -1) for t in top], dtype=np.int64)
        r_p = np.exp(r_logprobs[rows, np.maximum(r_col, 0)].astype(np.float64))
        lift = np.where(r_col >= 0, confidence / np.maximum(r_p, 1e-300), np.inf)
    return GateSignals(confidence, lift, disagreement)
