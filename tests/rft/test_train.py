"""RFT on a tiny model over the mini ontology: a few GRPO steps, in seconds, on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rft.cases import Case, write_jsonl
from rft.cli import build_parser
from rft.grader import TopKRankGrader
from rft.model.architecture import ModelSpec, build_base_model
from rft.model.checkpoint import save_model
from rft.model.tokenizer import build_tokenizer
from rft.train import RftConfig, config_from_args, prepare_data, train
from rft.train.config import BALANCES
from rft.train.data import SYNTHETIC_PREFIX, balance_by_gene, balance_by_publication, draw_prompts, synthetic_cases, to_dataset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory, mini_hpo) -> Path:
    folder = tmp_path_factory.mktemp("tiny_base")
    tokenizer = build_tokenizer(mini_hpo)
    model = build_base_model(mini_hpo, tokenizer, ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, seed=0, head="free"))
    return save_model(model, tokenizer, folder, {"kind": "test"}, dtype=None)


@pytest.fixture(scope="module")
def cases_file(tmp_path_factory) -> Path:
    # 12 training cases, as in the smallest RFT run the product supports, and 2 for validation.
    cases = [Case(f"PMID_{i}_a", ("HP:0001250", "HP:0001263"), ("HP:0000365",), ("STXBP1",)) for i in range(6)]
    cases += [Case(f"PMID_{i}_b", ("HP:0000407",), (), ("GJB2",)) for i in range(6, 12)]
    cases += [Case("PMID_99_v1", ("HP:0002069",), (), ("SCN1A",)), Case("PMID_99_v2", ("HP:0000365",), (), ("C9orf72",))]
    path = tmp_path_factory.mktemp("cases") / "cases.jsonl"
    write_jsonl(cases, path)
    split = path.parent / "split.json"
    split.write_text(json.dumps({"train": [c.id for c in cases[:12]], "valid": ["PMID_99_v1", "PMID_99_v2"]}))
    return path


def _config(tiny_base, cases_file, out, **overrides) -> RftConfig:
    values = dict(
        base=str(tiny_base),
        train=str(cases_file),
        split=str(cases_file.parent / "split.json"),
        out=str(out),
        k=3,
        batch_size=2,
        eval_every=2,
        grpo={"num_generations": 4, "max_steps": 4, "learning_rate": 5e-2, "logging_steps": 1, "warmup_steps": 0},
        lora={"r": 4, "lora_alpha": 8},
    )
    return RftConfig(**(values | overrides))


def test_lora_weights_change_and_base_weights_do_not(tiny_base, cases_file, tmp_path, mini_hpo):
    out = train(_config(tiny_base, cases_file, tmp_path / "run", merge=True), hpo=mini_hpo)
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_base)
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_base), out / "adapter")
    lora_b = {n: p for n, p in tuned.named_parameters() if "lora_B" in n}
    assert lora_b and any(p.abs().sum() > 0 for p in lora_b.values())  # LoRA B starts at zero: it moved
    tuned_base = {n.replace("base_model.model.", "").replace(".base_layer", ""): p for n, p in tuned.named_parameters() if "lora_" not in n}
    for name, p in base.named_parameters():
        assert torch.equal(p, tuned_base[name]), name  # base weights untouched

    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "finished" and meta["steps"] == 4
    assert meta["data"]["n_train"] == 12 and meta["data"]["n_valid"] == 2
    assert meta["grader"] == {"name": "topk_rank_k3", "kind": "topk", "k": 3, "near_credit": 0.0}
    records = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "valid"] == [0, 2, 4]
    # Both validation genes (SCN1A, C9orf72) are named by no training case: every validation says so, apart.
    for r in records:
        if r["kind"] == "valid":
            assert r["unseen gene"]["n"] == 2 and "seen gene" not in r and r["unseen gene"]["mrr"] == pytest.approx(r["mrr"])
    # Rewards are logged on the steps that sample new lists: every num_iterations-th (2 by default) step.
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 3] and all("reward" in r for r in records if r["kind"] == "train")
    assert (out / "curves.png").stat().st_size > 1000
    assert (out / "merged" / "config.json").is_file() and (out / "merged" / "meta.json").is_file()


def test_rewards_reaching_the_trainer_equal_the_grader(tiny_base, cases_file, tmp_path, mini_hpo, monkeypatch):
    seen: list[tuple[list, list, list[float]]] = []
    original = TopKRankGrader.__call__

    def spy(self, completions, genes, **kwargs):
        scores = original(self, completions, genes, **kwargs)
        seen.append((list(completions), list(genes), scores))
        return scores

    monkeypatch.setattr(TopKRankGrader, "__call__", spy)
    cfg = _config(tiny_base, cases_file, tmp_path / "run", grpo={"num_generations": 4, "max_steps": 2, "logging_steps": 1})
    train(cfg, hpo=mini_hpo)
    assert seen
    fresh = TopKRankGrader(k=3, known_genes=mini_hpo.genes)
    rewards_logged = [json.loads(ln)["reward"] for ln in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines() if '"train"' in ln]
    for (completions, genes, scores), logged in zip(seen, rewards_logged):
        assert fresh(completions=completions, genes=genes) == scores
        assert sum(scores) / len(scores) == pytest.approx(logged, abs=1e-4)
        # Constrained sampling: every completion is k distinct genes of the knowledge base.
        for c in completions:
            assert len(c.split()) == 3 and len(set(c.split())) == 3 and set(c.split()) <= set(mini_hpo.genes)


def test_trainer_log_probs_are_those_of_the_list_policy(tiny_base, cases_file, tmp_path, mini_hpo, monkeypatch):
    # GRPO must score each sampled token under the distribution it was drawn from: genes only, none listed
    # before. Recompute every completion token's log-probability by hand from the plain model's logits.
    import rft.train.run as run_module
    from rft.model import load_model

    calls: list[tuple[torch.Tensor, torch.Tensor, int, torch.Tensor]] = []
    make = run_module.list_policy_trainer

    def spying_factory(base):
        cls = make(base)

        class Spy(cls):
            def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
                out = super()._get_per_token_logps_and_entropies(model, input_ids, attention_mask, logits_to_keep, *args, **kwargs)
                calls.append((input_ids.clone(), attention_mask.clone(), logits_to_keep, out[0].detach().clone()))
                return out

        return Spy

    monkeypatch.setattr(run_module, "list_policy_trainer", spying_factory)
    cfg = _config(tiny_base, cases_file, tmp_path / "run", grpo={"num_generations": 4, "max_steps": 1, "learning_rate": 1e-9, "temperature": 0.7})
    train(cfg, hpo=mini_hpo)
    assert calls
    bundle = load_model(tiny_base, mini_hpo)  # lr 1e-9: the tuned weights equal the base's
    model, tok = bundle.model, bundle.tokenizer
    genes = {tok.convert_tokens_to_ids(g) for g in mini_hpo.genes}
    input_ids, attention_mask, keep, logps = calls[0]
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, -keep - 1 : -1] / 0.7
    for row in range(len(input_ids)):
        completion = input_ids[row, -keep:].tolist()
        for j, token in enumerate(completion):
            allowed = sorted(genes - set(completion[:j]))
            expected = logits[row, j, token] - torch.logsumexp(logits[row, j, allowed], dim=0)
            assert logps[row, j].item() == pytest.approx(expected.item(), abs=1e-3)


def test_resume_after_interruption_ends_with_the_same_steps(tiny_base, cases_file, tmp_path, mini_hpo):
    out = tmp_path / "run"
    cfg = _config(tiny_base, cases_file, out)
    first = _config(tiny_base, cases_file, out, grpo=cfg.grpo | {"max_steps": 2})
    train(first, hpo=mini_hpo)  # "killed" after its checkpoint at step 2: pretend it never finished
    meta = json.loads((out / "meta.json").read_text())
    (out / "meta.json").write_text(json.dumps(meta | {"status": "running"}))
    with pytest.raises(ValueError, match="--resume"):
        train(cfg, hpo=mini_hpo)
    train(_config(tiny_base, cases_file, out, resume=True), hpo=mini_hpo)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "finished" and meta["steps"] == 4
    steps = [json.loads(ln)["step"] for ln in (out / "metrics.jsonl").read_text().splitlines() if '"train"' in ln]
    assert steps == [1, 3]  # lists sampled at steps 1 and 3 (num_iterations 2); none logged twice
    with pytest.raises(ValueError, match="finished run"):
        train(cfg, hpo=mini_hpo)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"train": "nope.jsonl"}, "--train nope.jsonl does not exist"),
        ({"grader": "bleu"}, "--grader 'bleu' is unknown"),
        ({"k": 0}, "--k must be at least 1"),
        ({"grpo": {"num_generations": 1}}, "--num-generations must be at least 2"),
        ({"grpo": {"learnin_rate": 1e-3}}, "unknown GRPOConfig field"),
        ({"lora": {"rank": 4}}, "unknown LoraConfig field"),
        ({"base": "no/such/model"}, "is not a model folder"),
        ({"resume": True, "force": True}, "pass one of them"),
        ({"balance": "patient"}, "--balance 'patient' is unknown"),
        ({"synthetic": -1.0}, "--synthetic must be between 0"),
        ({"synthetic": "many"}, "setting synthetic must be a number"),
        ({"synthetic_genes": "rare"}, "--synthetic-genes 'rare' is unknown"),
        ({"synthetic_genes": "unnamed"}, "pass --synthetic N too"),
        ({"near_credit": 0.5}, "--near-credit must be between 0"),
    ],
)
def test_bad_config_fails_before_training(tiny_base, cases_file, tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        _config(tiny_base, cases_file, tmp_path / "run", **overrides)


def test_dataset_without_usable_cases_fails_before_training(tiny_base, tmp_path, mini_hpo):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "present": ["HP:0001250"]}\n{"id": "y", "present": [], "genes": ["SCN1A"]}\n')
    cfg = RftConfig(base=str(tiny_base), train=str(bad), out=str(tmp_path / "run"))
    with pytest.raises(ValueError, match="no usable training case"):
        prepare_data(cfg, mini_hpo)
    assert not (tmp_path / "run").exists()


def test_config_file_and_flags(tiny_base, cases_file, tmp_path):
    conf = tmp_path / "run.yaml"
    conf.write_text(f"base: {tiny_base}\ntrain: {cases_file}\nk: 5\ngrpo:\n  beta: 0.1\nlora:\n  r: 2\n")
    args = build_parser().parse_args(["train", "--config", str(conf), "--lr", "0.01", "--k", "7"])
    cfg = config_from_args(args)
    assert cfg.k == 7 and cfg.grpo == {"beta": 0.1, "learning_rate": 0.01} and cfg.lora == {"r": 2}
    conf.write_text("trian: x\n")
    with pytest.raises(ValueError, match="unknown setting"):
        config_from_args(build_parser().parse_args(["train", "--config", str(conf)]))


@pytest.fixture(scope="module")
def knowledge_base(tmp_path_factory, mini_hpo) -> Path:
    """A tiny knowledge-head base model: it scores genes through the mini release's annotations."""
    from rft.model.knowledge import KB_TOKENS

    folder = tmp_path_factory.mktemp("knowledge_base")
    tokenizer = build_tokenizer(mini_hpo, KB_TOKENS)
    model = build_base_model(mini_hpo, tokenizer, ModelSpec(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, seed=0, head="knowledge"))
    return save_model(model, tokenizer, folder, {"kind": "test"}, dtype=None)


def test_leave_publication_out_never_offers_a_case_its_own_papers_gene(knowledge_base, tmp_path, mini_hpo, monkeypatch):
    # In the mini release STXBP1 is annotated only through PMID:12 and GJB2 only through PMID:13. Cases from those
    # papers, scored without their own paper's annotations, cannot be offered their gene: it is unknown there.
    cases = [Case(f"PMID_12_{i}", ("HP:0001263",), (), ("STXBP1",)) for i in range(4)]
    cases += [Case(f"PMID_13_{i}", ("HP:0000407",), (), ("GJB2",)) for i in range(4)]
    path = tmp_path / "cases.jsonl"
    write_jsonl(cases, path)
    seen: list[tuple[list, list]] = []
    original = TopKRankGrader.__call__

    def spy(self, completions, genes, **kwargs):
        seen.append((list(completions), list(genes)))
        return original(self, completions, genes, **kwargs)

    monkeypatch.setattr(TopKRankGrader, "__call__", spy)
    grpo = {"num_generations": 4, "max_steps": 2, "logging_steps": 1}
    for lpo in (0, 2):
        seen.clear()
        cfg = RftConfig(base=str(knowledge_base), train=str(path), out=str(tmp_path / f"run{lpo}"), k=2, batch_size=2, grpo=grpo,
                        lora={"r": 2, "lora_alpha": 4}, leave_publication_out=lpo)
        train(cfg, hpo=mini_hpo)
        offered = [truth[0] in completion.split() for completions, genes in seen for completion, truth in zip(completions, genes)]
        assert offered and (any(offered) if lpo == 0 else not any(offered))
    meta = json.loads((tmp_path / "run2" / "meta.json").read_text())
    assert meta["config"]["leave_publication_out"] == 2


def test_leave_publication_out_needs_a_knowledge_head(tiny_base, cases_file, tmp_path, mini_hpo):
    with pytest.raises(ValueError, match="needs a knowledge-head base model"):
        train(_config(tiny_base, cases_file, tmp_path / "run", leave_publication_out=2), hpo=mini_hpo)


def test_gene_balance_draws_every_gene_equally_often():
    # 12 cases of one gene, 1 of each of 3 others: drawn case by case ANKRD11 is 12 of 15 prompts; gene by gene
    # each gene comes up 3 or 4 times (15 prompts over 4 genes), every case of a rare gene recurs, and the
    # draw is seeded.
    cases = [Case(f"PMID_1_{i}", ("HP:0001263",), (), ("ANKRD11",)) for i in range(12)]
    cases += [Case(f"PMID_{2 + i}_1", ("HP:0001250",), (), (gene,)) for i, gene in enumerate(("EHMT1", "ZNF462", "GLUL"))]
    drawn = balance_by_gene(cases, seed=0)
    counts = {g: sum(1 for c in drawn if c.genes == (g,)) for g in ("ANKRD11", "EHMT1", "ZNF462", "GLUL")}
    assert len(drawn) == len(cases) and set(counts.values()) <= {3, 4}, counts
    assert len({c.id for c in drawn if c.genes == ("ANKRD11",)}) == counts["ANKRD11"]  # a common gene's cases do not repeat
    assert [c.id for c in balance_by_gene(cases, seed=0)] == [c.id for c in drawn]
    assert [c.id for c in balance_by_gene(cases, seed=1)] != [c.id for c in drawn]


def test_publication_balance_draws_every_paper_equally_often():
    # One paper of 12 ANKRD11 cases and 3 single-case papers: paper by paper, each paper comes up 3 or 4 times
    # in 15 prompts (the cohort's 12 cases do not repeat; a case report recurs), and the draw is seeded.
    cases = [Case(f"PMID_1_{i}", ("HP:0001263",), (), ("ANKRD11",)) for i in range(12)]
    cases += [Case(f"PMID_{2 + i}_1", ("HP:0001250",), (), ("ANKRD11",)) for i in range(3)]  # same gene, other papers
    drawn = balance_by_publication(cases, seed=0)
    counts = {p: sum(1 for c in drawn if c.id.startswith(f"PMID_{p}_")) for p in (1, 2, 3, 4)}
    assert len(drawn) == len(cases) and set(counts.values()) <= {3, 4}, counts
    assert len({c.id for c in drawn if c.id.startswith("PMID_1_")}) == counts[1]
    assert balance_by_gene(cases, seed=0) != drawn  # by gene this is one group: every case once
    assert [c.id for c in balance_by_publication(cases, seed=0)] == [c.id for c in drawn]


def test_train_with_gene_balance_hands_the_trainer_balanced_prompts(tiny_base, tmp_path, mini_hpo, monkeypatch):
    from rft.train import run

    cases = [Case(f"PMID_{i}_a", ("HP:0001250",), (), ("STXBP1",)) for i in range(10)] + [Case(f"PMID_{i}_b", ("HP:0000407",), (), ("GJB2",)) for i in (10, 11)]
    path = tmp_path / "skewed.jsonl"
    write_jsonl(cases, path)
    handed: list[list[str]] = []
    original = run.to_dataset
    monkeypatch.setattr(run, "to_dataset", lambda cs, *a, **kw: handed.append([c.genes[0] for c in cs]) or original(cs, *a, **kw))
    for balance in ("case", "gene", "publication"):
        grpo = {"num_generations": 2, "max_steps": 1, "logging_steps": 1}
        train(RftConfig(base=str(tiny_base), train=str(path), out=str(tmp_path / balance), k=2, batch_size=2, grpo=grpo, lora={"r": 2, "lora_alpha": 4},
                        balance=balance), hpo=mini_hpo)
    assert [genes.count("GJB2") for genes in handed] == [2, 6, 2]  # 12 papers of one case each: publication = case counts
    assert json.loads((tmp_path / "gene" / "meta.json").read_text())["config"]["balance"] == "gene"


def test_synthetic_cases_cover_the_knowledge_base_reproducibly(mini_hpo):
    cases = synthetic_cases(mini_hpo, 60, seed=0)
    assert len(cases) == 60 and all(c.id.startswith(SYNTHETIC_PREFIX) for c in cases) and len({c.id for c in cases}) == 60
    assert all(len(c.genes) == 1 and c.genes[0] in mini_hpo.gene_terms and c.present for c in cases)
    assert len({c.genes[0] for c in cases}) >= min(len(mini_hpo.genes), 5)  # every gene equally likely, not one
    assert all(t in mini_hpo.terms for c in cases for t in c.present + c.excluded)
    assert synthetic_cases(mini_hpo, 60, seed=0) == cases and synthetic_cases(mini_hpo, 60, seed=1) != cases


def test_synthetic_prompts_are_scored_against_the_full_release(mini_hpo):
    # With leave-publication-out folds, a case report's prompt names its fold; a synthetic patient has none: <kb0>.
    tokenizer = build_tokenizer(mini_hpo)
    real = Case("PMID_5_a", ("HP:0001250",), (), ("STXBP1",))
    rows = to_dataset([real, *synthetic_cases(mini_hpo, 2)], mini_hpo, tokenizer, folds={real.id: 3})
    assert rows[0]["prompt"].startswith("<case> <kb3> ") and all(r["prompt"].startswith("<case> <kb0> ") for r in rows.select([1, 2]))


def test_train_with_synthetic_patients_mixes_them_into_the_prompts(tiny_base, cases_file, tmp_path, mini_hpo, monkeypatch):
    from rft.train import run

    handed: list[list[str]] = []
    original = run.to_dataset
    monkeypatch.setattr(run, "to_dataset", lambda cs, *a, **kw: handed.append([c.id for c in cs]) or original(cs, *a, **kw))
    train(_config(tiny_base, cases_file, tmp_path / "run", synthetic=0.5, grpo={"num_generations": 2, "max_steps": 1, "logging_steps": 1}), hpo=mini_hpo)
    (ids,) = handed
    assert len(ids) == 18 and sum(i.startswith(SYNTHETIC_PREFIX) for i in ids) == 6  # 12 training cases + 0.5 per case
    assert any(i.startswith(SYNTHETIC_PREFIX) for i in ids[:12])  # interleaved, not appended
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["config"]["synthetic"] == 0.5 and meta["data"]["n_synthetic"] == 6


def test_synthetic_cases_can_be_drawn_for_chosen_genes_only(mini_hpo):
    genes = sorted(mini_hpo.genes)[:2]
    cases = synthetic_cases(mini_hpo, 40, seed=0, genes=genes)
    assert {c.genes[0] for c in cases} == set(genes)
    with pytest.raises(ValueError, match="no gene to draw"):
        synthetic_cases(mini_hpo, 4, genes=[])


def test_synthetic_patients_for_unnamed_genes_never_name_a_training_gene(tiny_base, cases_file, tmp_path, mini_hpo, monkeypatch):
    from rft.train import run

    handed: list = []
    original = run.to_dataset
    monkeypatch.setattr(run, "to_dataset", lambda cs, *a, **kw: handed.append(list(cs)) or original(cs, *a, **kw))
    cfg = _config(tiny_base, cases_file, tmp_path / "run", synthetic=1.0, synthetic_genes="unnamed", grpo={"num_generations": 2, "max_steps": 1, "logging_steps": 1})
    train(cfg, hpo=mini_hpo)
    (cases,) = handed
    named = {g for c in cases if not c.id.startswith(SYNTHETIC_PREFIX) for g in c.genes}
    drawn = {c.genes[0] for c in cases if c.id.startswith(SYNTHETIC_PREFIX)}
    assert len(cases) == 24 and drawn and not drawn & named and drawn <= set(mini_hpo.genes)
    assert json.loads((tmp_path / "run" / "meta.json").read_text())["config"]["synthetic_genes"] == "unnamed"


def test_near_credit_reaches_the_reward_and_the_run_record(tiny_base, cases_file, tmp_path, mini_hpo, monkeypatch):
    seen: list = []
    original = TopKRankGrader.__call__

    def spy(self, completions, genes, **kwargs):
        seen.append((self.near_credit, self.similarity("SCN1A", ["SCN1A", "GJB2"])))
        return original(self, completions, genes, **kwargs)

    monkeypatch.setattr(TopKRankGrader, "__call__", spy)
    train(_config(tiny_base, cases_file, tmp_path / "run", near_credit=0.1, grpo={"num_generations": 2, "max_steps": 1, "logging_steps": 1}), hpo=mini_hpo)
    near, sims = seen[0]
    assert near == 0.1 and sims[0] == pytest.approx(1.0) and sims[1] < 1.0
    assert json.loads((tmp_path / "run" / "meta.json").read_text())["grader"] == {"name": "topk_rank_k3_near0.1", "kind": "topk", "k": 3, "near_credit": 0.1}


def test_every_balance_the_config_accepts_draws_as_many_prompts_as_cases():
    cases = [Case(f"PMID_{i % 3}_p{i}", ("HP:0001250",), (), (("SCN1A", "GJB2")[i % 2],)) for i in range(7)]
    for balance in BALANCES:
        drawn = draw_prompts(cases, balance, seed=0)
        assert len(drawn) == 7 and set(drawn) <= set(cases), balance
    assert draw_prompts(cases, "case") == cases
    with pytest.raises(ValueError, match="'patient'"):
        draw_prompts(cases, "patient")
