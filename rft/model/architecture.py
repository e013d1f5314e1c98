"""The base model: a small standard Llama whose embeddings start from the ontology's structure.

    from rft.model import ModelSpec, build_base_model, build_tokenizer
    tokenizer = build_tokenizer(hpo)
    model = build_base_model(hpo, tokenizer, ModelSpec(hidden_size=256, num_layers=2))

It is a plain `LlamaForCausalLM` (tied input/output embeddings), so `save_pretrained` /
`AutoModelForCausalLM.from_pretrained`, PEFT and TRL work on it unchanged. What is special is only the
initialisation (`ModelSpec.init="ontology"`):

- every term gets a random "basis" vector; a term's embedding is the IC-weighted sum of the basis vectors of
  itself and all its ancestors, so terms that share specific ancestors start close together;
- a gene's embedding (input and output, they are tied) is the IC-weighted sum of the basis vectors of every
  term in its annotation closure (`gene_embedding`), so that its dot product with a term approximates the IC
  of their most informative common ancestor (Resnik similarity), and every gene of the knowledge base can be scored from the first step,
  including genes no training case ever names, and a newer HPO release can add genes (`add_genes`) the same
  way without starting over;
- with `body_init="pooling"` the layers start as mean-pooling over the prompt, so before any training the
  model already ranks genes by the similarity of their annotations to the patient's terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from rft.model.tokenizer import CASE, EOS, PAD, is_gene_token

if TYPE_CHECKING:
    from transformers import LlamaForCausalLM, PreTrainedTokenizerBase

    from ontology.hpo import Hpo

__all__ = ["ModelSpec", "add_genes", "build_base_model", "gene_embedding", "ontology_embeddings"]

INITS = ("ontology", "random")
BODY_INITS = ("pooling", "random")
HEADS = ("knowledge", "free")


@dataclass
class ModelSpec:
    """Size and initialisation of the base model."""

    hidden_size: int = 384
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 512
    max_positions: int = 160
    init: str = "ontology"  # "ontology" (structure-derived embeddings) or "random" (the HF default)
    body_init: str = "pooling"  # "pooling" (layers start as mean-pooling of the prompt) or "random"
    head: str = "knowledge"  # "knowledge": genes scored through their annotations (rft.model.knowledge); "free": a learned row per gene
    seed: int = 0

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"ModelSpec.init must be one of {INITS}, got {self.init!r}")
        if self.head not in HEADS:
            raise ValueError(f"ModelSpec.head must be one of {HEADS}, got {self.head!r}")
        if self.body_init not in BODY_INITS:
            raise ValueError(f"ModelSpec.body_init must be one of {BODY_INITS}, got {self.body_init!r}")
        if self.hidden_size % self.num_heads:
            raise ValueError(f"ModelSpec.hidden_size ({self.hidden_size}) must be a multiple of num_heads ({self.num_heads})")
        if min(self.hidden_size, self.num_layers, self.num_heads, self.intermediate_size) < 1:
            raise ValueError("ModelSpec sizes must be positive")

    def to_dict(self) -> dict:
        return asdict(self)


def _term_weights(hpo: Hpo) -> dict[str, float]:
    # IC is 0 at the root and grows with specificity: broad shared ancestors say little, specific ones a lot.
    return {t: hpo.ic.get(t, 0.0) for t in hpo.terms}


def gene_embedding(terms: Iterable[str], term_basis: dict[str, np.ndarray], hpo: Hpo, weights: dict[str, float]) -> np.ndarray | None:
    """A gene's embedding: the IC-weighted sum of the basis vectors of every term in its annotation closure.

    Each term annotated to the gene, or an ancestor of one, counts once, so the dot product with a patient's
    term (the IC-weighted sum of *its* ancestors' basis vectors) is the summed IC of the ancestors they share,
    dominated by the most informative common ancestor: a Resnik-like similarity. Divided by |closure|^0.25 so
    that genes with hundreds of annotations do not win every case.
    """
    closure: set[str] = set()
    for t in terms:
        if t in hpo.terms:
            closure |= hpo.ancestors(t, include_self=True)
    closure &= term_basis.keys()
    if not closure:
        return None
    acc = sum(weights[a] * term_basis[a] for a in sorted(closure))
    return acc / len(closure) ** 0.25


def ontology_embeddings(hpo: Hpo, tokenizer: PreTrainedTokenizerBase, dim: int, seed: int = 0, scale: float = 1.0, term_basis=None) -> torch.Tensor:
    """The [vocab, dim] embedding matrix derived from the ontology (see the module docstring).

    Term rows are IC-weighted sums of random basis vectors of the term and its ancestors; gene rows come from
    `gene_embedding`; special tokens are random. The whole matrix is scaled so that the mean row norm is `scale`
    (relative norms carry information: a specific term has a longer vector than a broad one). `term_basis`
    (terms, dim, seed) -> vectors replaces the seeded draw over the sorted terms (the knowledge head's basis).
    """
    rng = np.random.default_rng(seed)
    vocab = tokenizer.get_vocab()
    out = rng.normal(0.0, 1.0 / np.sqrt(dim), size=(len(vocab), dim))  # specials (and anything unmatched)
    weights = _term_weights(hpo)
    terms = sorted(hpo.terms)
    basis_matrix = rng.normal(0.0, 1.0 / np.sqrt(dim), size=(len(terms), dim)) if term_basis is None else term_basis(terms, dim, seed)
    basis = dict(zip(terms, basis_matrix))
    rows: dict[int, np.ndarray] = {}
    for tok, i in vocab.items():
        if tok in basis:
            rows[i] = sum(weights[a] * basis[a] for a in sorted(hpo.ancestors(tok, include_self=True)))
        elif is_gene_token(tok) and tok in hpo.gene_terms:
            g = gene_embedding(hpo.gene_terms[tok], basis, hpo, weights)
            if g is not None:
                rows[i] = g
    if rows:
        mean_norm = float(np.mean([np.linalg.norm(v) for v in rows.values()]))
        for i, v in rows.items():
            out[i] = v / max(mean_norm, 1e-8)
    specials = [i for i in range(len(vocab)) if i not in rows]
    out[specials] /= np.linalg.norm(out[specials], axis=1, keepdims=True)
    return torch.tensor(out * scale, dtype=torch.float32)


def build_base_model(hpo: Hpo, tokenizer: PreTrainedTokenizerBase, spec: ModelSpec | None = None) -> LlamaForCausalLM:
    """A freshly initialised model for the tokenizer's vocabulary: a `KnowledgeLlamaForCausalLM` that knows `hpo`
    (head "knowledge"), or a plain `LlamaForCausalLM` with a learned row per gene (head "free")."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from rft.model.knowledge import KnowledgeLlamaConfig, KnowledgeLlamaForCausalLM, gene_features, term_basis

    spec = spec or ModelSpec()
    torch.manual_seed(spec.seed)
    knowledge = spec.head == "knowledge"
    embedding_norm = 0.02 * np.sqrt(spec.hidden_size)  # the scale of the default N(0, 0.02) init
    extra = {}
    if knowledge:  # gene vectors start at the mean norm of the embeddings, as the free rows did
        phi = gene_features(hpo, hpo.genes, spec.hidden_size, spec.seed)
        extra = {"knowledge_seed": spec.seed, "knowledge_scale": float(np.linalg.norm(phi, axis=1).mean() / embedding_norm)}
    config = (KnowledgeLlamaConfig if knowledge else LlamaConfig)(
        **extra,
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=not knowledge,
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
        bos_token_id=tokenizer.convert_tokens_to_ids(CASE),
        eos_token_id=tokenizer.convert_tokens_to_ids(EOS),
    )
    model = (KnowledgeLlamaForCausalLM if knowledge else LlamaForCausalLM)(config)
    if spec.init == "ontology":
        # Norm sqrt(dim) * 0.02 matches the scale of the default N(0, 0.02) init, so nothing else needs retuning.
        emb = ontology_embeddings(hpo, tokenizer, spec.hidden_size, spec.seed, scale=embedding_norm, term_basis=term_basis if knowledge else None)
        with torch.no_grad():
            model.get_input_embeddings().weight.copy_(emb)
    if spec.body_init == "pooling":
        _pooling_init(model)
    if knowledge:
        model.set_knowledge(hpo, tokenizer)
    model.tie_weights()
    return model


def _pooling_init(model: LlamaForCausalLM) -> None:
    """Start every layer as uniform causal attention that copies values, with a silent MLP.

    The last position's hidden state is then the mean of the (normalised) prompt embeddings, so the tied output
    layer scores gene g by how close its annotation-derived embedding is to the patient's terms: a similarity
    ranker at step 0 (validation MRR 0.48 before any training, vs 0.003 with random layers: see the README).
    Training then learns what pooling cannot, such as what `<not>` means.
    """
    with torch.no_grad():
        for layer in model.model.layers:
            attn = layer.self_attn
            attn.q_proj.weight.zero_()
            attn.k_proj.weight.zero_()
            attn.v_proj.weight.copy_(torch.eye(*attn.v_proj.weight.shape))
            attn.o_proj.weight.copy_(torch.eye(*attn.o_proj.weight.shape))
            layer.mlp.down_proj.weight.zero_()


def add_genes(model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerBase, hpo: Hpo) -> list[str]:
    """Add the genes of a newer HPO release that the tokenizer lacks; their embeddings come from their terms.

    The new gene's vector is the weighted mean of the *trained* embeddings of its annotated terms, rescaled to
    the mean norm of the existing gene embeddings, so it is ranked sensibly without any further training.

    Returns:
        The gene symbols added (the tokenizer and model are changed in place).
    """
    vocab = tokenizer.get_vocab()
    new = [g for g in hpo.genes if g not in vocab and is_gene_token(g)]
    if not new:
        return []
    emb = model.get_input_embeddings().weight.detach().float().numpy()
    # The trained term rows stand in for the basis: their closure sum is what a gene row started as.
    term_basis = {t: emb[i] for t, i in vocab.items() if t.startswith("HP:")}
    weights = _term_weights(hpo)
    gene_rows = [i for t, i in vocab.items() if is_gene_token(t)]
    gene_norm = float(np.linalg.norm(emb[gene_rows], axis=1).mean())
    tokenizer.add_tokens(new)
    model.resize_token_embeddings(len(tokenizer))
    with torch.no_grad():
        weight = model.get_input_embeddings().weight
        for g in new:
            v = gene_embedding(hpo.gene_terms[g], term_basis, hpo, weights)
            if v is not None:
                v = v / max(np.linalg.norm(v), 1e-8) * gene_norm
                weight[tokenizer.convert_tokens_to_ids(g)] = torch.tensor(v, dtype=weight.dtype)
    model.tie_weights()
    return new
