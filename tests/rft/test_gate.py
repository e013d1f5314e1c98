"""The gate's settings and signals (rft.rankers.gate); the gated fusion itself: tests/rft/model/test_hybrid.py."""

from __future__ import annotations

import numpy as np
import pytest

from rft.rankers.gate import Gate, gate_signals


def test_signals_read_the_models_first_gene():
    # Model: B first (0.7). Classical: B third. Reference (the base): B at 0.1, so the tuning lifted it 7-fold.
    s = gate_signals(np.log([[0.3, 0.7]]), ["A", "B"], np.array([[1.0, 3.0]]), ["A", "B"], (np.log([[0.9, 0.1]]), ["A", "B"]))
    assert s.confidence[0] == pytest.approx(0.7)
    assert s.lift[0] == pytest.approx(7.0)
    assert s.disagreement[0] == 3.0


def test_signals_for_genes_the_others_lack():
    # The model's first gene Z: unknown to the classical ranker (ranked after all its genes), and to the reference (lift inf).
    s = gate_signals(np.log([[0.9, 0.1]]), ["Z", "A"], np.array([[1.0]]), ["A"], (np.log([[1.0]]), ["A"]))
    assert s.disagreement[0] == 2.0 and np.isinf(s.lift[0])
    assert np.isinf(gate_signals(np.log([[0.9, 0.1]]), ["Z", "A"], np.array([[1.0]]), ["A"]).lift[0])  # no reference at all


@pytest.mark.parametrize(
    "gate, expected",
    [
        (Gate(), [True, True, True]),  # always open
        (Gate(min_confidence=0.5), [True, False, True]),
        (Gate(min_lift=5.0, reference="base"), [True, True, False]),
        (Gate(max_disagreement=10), [True, True, False]),
        (Gate(min_confidence=0.5, min_lift=5.0, max_disagreement=10, reference="base"), [True, False, False]),
    ],
)
def test_open_needs_every_condition(gate, expected):
    from rft.rankers.gate import GateSignals

    signals = GateSignals(confidence=np.array([0.9, 0.2, 0.9]), lift=np.array([20.0, 6.0, 1.5]), disagreement=np.array([1.0, 10.0, 50.0]))
    assert gate.open(signals).tolist() == expected


def test_meta_json_config_round_trips_and_names_what_is_wrong():
    gate = Gate(min_confidence=0.3, min_lift=5.0, reference="base")
    assert Gate.from_config(gate.to_config()) == gate
    assert Gate.from_config(None) is None
    with pytest.raises(ValueError, match="unknown gate setting.*similarity"):
        Gate.from_config({"similarity": 0.5})
    with pytest.raises(ValueError, match="min_confidence must be a probability"):
        Gate(min_confidence=1.5)
    with pytest.raises(ValueError, match="max_disagreement must be a rank"):
        Gate(max_disagreement=0)
    with pytest.raises(ValueError, match="needs a reference model"):
        Gate(min_lift=2.0)
    with pytest.raises(ValueError, match="must be an object"):
        Gate.from_config([0.3])
    assert "at least 5 times what its base (base) gives" in gate.describe()
