"""Property tests: no text a model or a user can produce makes the grader or the loaders raise."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft.cases import load_cases_from_bytes
from rft.grader import TopKRankGrader, grade, parse_gene_list

KNOWN = ["SCN1A", "STXBP1", "KCNQ2", "C9orf72"]
gene_or_noise = st.one_of(st.sampled_from(KNOWN + ["1.", "<eos>", ",", "\n", "scn1a"]), st.text(max_size=12))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=15))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)
phenopacket_like = st.fixed_dictionaries(
    {"id": json_value, "phenotypicFeatures": st.one_of(json_value, st.lists(st.fixed_dictionaries({"type": json_value, "excluded": json_value}), max_size=4))},
    optional={"interpretations": json_value, "subject": json_value},
)
settings.register_profile("ci", max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))  # HYPOTHESIS_PROFILE=thorough for a long run


@given(st.one_of(st.text(), st.lists(gene_or_noise).map(" ".join)))
def test_grader_never_raises_and_stays_in_range(text):
    for known in (None, KNOWN):
        parsed = parse_gene_list(text, known)
        assert len(parsed.genes) == len(set(parsed.genes))
        g = grade(text, ["SCN1A"], k=10, known_genes=known)
        assert 0.0 <= g.score <= 1.0 and g.reason
    assert all(0.0 <= s <= 1.0 for s in TopKRankGrader(k=5)(completions=[text, [{"content": text}]], genes=[["SCN1A"], "KCNQ2"]))


@given(json_scalar)
def test_grader_accepts_non_text_output(value):
    assert grade(value, ["SCN1A"]).score == 0.0


@given(st.binary(max_size=300), st.sampled_from(["x.json", "x.jsonl", "x.csv", "x.tsv", "x.zip"]))
def test_loaders_never_raise_on_arbitrary_bytes(mini_hpo, data, name):
    batch = load_cases_from_bytes(name, data, mini_hpo)
    assert len(batch.cases) <= batch.n_read or batch.n_read == 0


@given(st.one_of(phenopacket_like, json_value))
def test_loaders_never_raise_on_odd_json(mini_hpo, packet):
    for name, text in (("x.json", json.dumps(packet)), ("x.jsonl", json.dumps(packet) + "\n" + json.dumps([packet]))):
        batch = load_cases_from_bytes(name, text.encode(), mini_hpo)
        assert all(c.present for c in batch.cases)


@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=15), min_size=1, max_size=5), max_size=5))
def test_csv_loader_never_raises_on_odd_rows(mini_hpo, rows):
    text = "case_id,present,excluded,gene\n" + "\n".join(",".join(r) for r in rows)
    batch = load_cases_from_bytes("x.csv", text.encode(), mini_hpo)
    assert batch.n_read >= len(batch.cases)
