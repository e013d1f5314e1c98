"""The knowledge head: every gene is scored through its annotations, never through parameters of its own.

    from rft.model.knowledge import KnowledgeLlamaForCausalLM
    model.set_knowledge(hpo)                     # gene vectors for the genes this release annotates
    model.set_knowledge(newer_hpo)               # a newer release: its new genes are ranked at once
    model.set_folds([hpo_without_fold1, ...])    # RFT: fold f's prompts (`<kb f>`) see only fold f's KB

A gene's vector is a fixed feature map of its annotation closure followed by a learned linear map shared by
every gene:

    phi(g) = sum over terms a in the closure of g's annotations of IC(a) * b(a) / |closure|^0.25
    w(g)   = P phi(g)

where b(a) is a random vector drawn from a generator seeded by the term's id (the same for a term in every
release) and P is the only trained part (init: identity). phi(g) is what the first base models initialised
their free gene rows with: its dot product with a patient term's embedding is a Resnik-like similarity. Gene
scores are h . w(g) for the decoder's last hidden state h; a listed gene fed back as input is embedded as w(g).
So everything that training (and RFT) moves is shared across genes: a new gene of a newer release, or a gene no
training case named, is scored by the same function as any other, and swapping the release needs no training.

Leave-publication-out RFT (`rft train --leave-publication-out N`): each training prompt carries a fold token
`<kb f>` (f = 1..N) right after `<case>`; the decoder sees it as `<kb0>`, and the head scores that row with the
vectors of fold f's knowledge base (the release without the annotations citing that fold's publications), so
a case never sees annotations curated from its own paper. Prompts at inference carry `<kb0>`: the full release.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from ontology.hpo import Hpo

__all__ = ["KB_TOKENS", "MASKED", "KnowledgeLlamaConfig", "KnowledgeLlamaForCausalLM", "gene_features", "term_basis"]

KB_TOKENS = tuple(f"<kb{i}>" for i in range(9))  # <kb0>: the full release; <kb1>..<kb8>: leave-publication-out folds
MASKED = -1e9  # the logit of every token that is not a gene of the knowledge base
_BASIS_SALT = 8209  # keeps term vectors apart from any other use of the seed


def term_basis(terms: Sequence[str], dim: int, seed: int = 0) -> np.ndarray:
    """One random N(0, 1/dim) vector per HPO term, drawn from a generator seeded by the term's number: the same
    vector for the same term in any release, whatever other terms the release holds."""
    out = np.empty((len(terms), dim))
    for i, term in enumerate(terms):
        out[i] = np.random.default_rng([seed, _BASIS_SALT, int(term.split(":", 1)[1])]).normal(0.0, 1.0 / np.sqrt(dim), dim)
    return out


def gene_features(hpo: Hpo, genes: Sequence[str], dim: int, seed: int = 0) -> np.ndarray:
    """phi(g) for each gene (see the module docstring), [len(genes), dim]; a gene without annotations gets zeros."""
    closures = []
    for g in genes:
        closure: set[str] = set()
        for t in hpo.gene_terms.get(g, {}):
            closure |= hpo.ancestors(t, include_self=True)
        closures.append(sorted(closure))
    terms = sorted({t for c in closures for t in c})
    index = {t: i for i, t in enumerate(terms)}
    basis = term_basis(terms, dim, seed) * np.array([hpo.ic.get(t, 0.0) for t in terms])[:, None]
    out = np.zeros((len(genes), dim))
    for row, closure in enumerate(closures):
        if closure:
            out[row] = basis[[index[t] for t in closure]].sum(axis=0) / len(closure) ** 0.25
    return out


class KnowledgeLlamaConfig(LlamaConfig):
    """A `LlamaConfig` plus what the knowledge head needs: the basis seed and the scale of gene vectors."""

    model_type = "rft-knowledge-llama"

    def __init__(self, knowledge_seed: int = 0, knowledge_scale: float = 1.0, **kwargs):
        self.knowledge_seed = knowledge_seed
        self.knowledge_scale = knowledge_scale  # phi is divided by it, so that gene vectors start at the embeddings' scale
        super().__init__(**kwargs)


class _KnowledgeHead(nn.Module):
    """The output layer: gene logits h . w(g) for the rows' folds; every other token gets MASKED."""

    def __init__(self, model: KnowledgeLlamaForCausalLM):
        super().__init__()
        self._model = [model]  # not a submodule: the head owns no parameters of the model

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self._model[0].gene_logits(hidden)


class KnowledgeLlamaForCausalLM(LlamaForCausalLM):
    """`LlamaForCausalLM` whose gene tokens are scored (and embedded) through the knowledge head."""

    config_class = KnowledgeLlamaConfig
    _tied_weights_keys: dict = {}

    def __init__(self, config: KnowledgeLlamaConfig):
        config.tie_word_embeddings = False
        super().__init__(config)
        self.knowledge_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)  # P, the trained part of w(g)
        with torch.no_grad():
            self.knowledge_proj.weight.copy_(torch.eye(config.hidden_size))
        del self.lm_head
        self.lm_head = _KnowledgeHead(self)
        self._features: list[torch.Tensor] = []  # phi per fold: [G, d] each (fold 0: the full release)
        self._unknown: list[torch.Tensor] = []  # per fold: genes with no annotation left there [G]
        self.register_buffer("gene_ids", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("kb_ids", torch.zeros(0, dtype=torch.long), persistent=False)
        self._row_folds: torch.Tensor | None = None
        self._vectors_cache: dict = {}
        self.model.register_forward_pre_hook(self._read_folds, with_kwargs=True)
        self.model.embed_tokens.register_forward_hook(self._embed_genes)

    # -- knowledge ---------------------------------------------------------------------------------------
    def set_knowledge(self, hpo: Hpo, tokenizer: PreTrainedTokenizerBase) -> list[str]:
        """Score the genes `hpo` annotates (adding tokens for genes the tokenizer lacks); returns the genes added."""
        from rft.model.tokenizer import is_gene_token

        vocab = tokenizer.get_vocab()
        added = [g for g in hpo.genes if g not in vocab and is_gene_token(g)]
        if added:
            tokenizer.add_tokens(added)
            self.resize_token_embeddings(len(tokenizer))
            vocab = tokenizer.get_vocab()
        genes = [g for g in hpo.genes if g in vocab]
        self.gene_ids = torch.tensor([vocab[g] for g in genes], dtype=torch.long)
        self.kb_ids = torch.tensor([vocab[t] for t in KB_TOKENS if t in vocab], dtype=torch.long)
        self._genes = genes
        self._features = [self._phi(hpo, genes)]
        self._unknown = [self._features[0].abs().sum(-1) == 0]
        self._vectors_cache = {}
        return added

    def set_folds(self, fold_hpos: Sequence[Hpo]) -> None:
        """Knowledge bases for the fold tokens `<kb1>`..: fold f's rows are scored against fold_hpos[f - 1]."""
        if len(fold_hpos) >= max(len(self.kb_ids), 1):
            raise ValueError(
                f"{len(fold_hpos)} leave-publication-out folds, but this model's tokenizer has {max(len(self.kb_ids) - 1, 0)} fold tokens "
                "(<kb1>..); build the base with `rft pretrain` (knowledge head)"
            )
        self._features = self._features[:1] + [self._phi(h, self._genes) for h in fold_hpos]
        self._unknown = [f.abs().sum(-1) == 0 for f in self._features]
        self._vectors_cache = {}

    def _phi(self, hpo: Hpo, genes: Sequence[str]) -> torch.Tensor:
        feats = gene_features(hpo, genes, self.config.hidden_size, self.config.knowledge_seed) / self.config.knowledge_scale
        return torch.tensor(feats, dtype=self.model.embed_tokens.weight.dtype)

    @property
    def knowledge_genes(self) -> list[str]:
        return list(self._genes)

    def _training_p(self) -> bool:
        return self.knowledge_proj.weight.requires_grad and torch.is_grad_enabled()

    def _phi_of(self, fold: int) -> torch.Tensor:
        if not self._features:
            raise ValueError("this model has no knowledge base: load it with rft.model.load_model(folder, hpo)")
        weight = self.knowledge_proj.weight
        return self._features[fold].to(weight.device, weight.dtype)

    def gene_vectors(self, fold: int = 0) -> torch.Tensor:
        """w(g) = P phi(g) for every gene of fold `fold`'s knowledge base, [G, d]; cached while P is unchanged
        (P frozen, as in RFT and inference); computed afresh, differentiably, while P trains."""
        phi = self._phi_of(fold)
        if self._training_p():
            return self.knowledge_proj(phi)
        weight = self.knowledge_proj.weight
        key = (fold, weight.data_ptr(), weight._version, weight.dtype)
        if key not in self._vectors_cache:
            self._vectors_cache = {k: v for k, v in self._vectors_cache.items() if k[1:] == key[1:]}
            with torch.no_grad():
                self._vectors_cache[key] = self.knowledge_proj(phi)
        return self._vectors_cache[key]

    def _fold_logits(self, hidden: torch.Tensor, fold: int) -> torch.Tensor:
        if self._training_p():  # h . (P phi) = (h P) . phi: a [B, d] x [d, d] product instead of [G, d] x [d, d]
            logits = (hidden @ self.knowledge_proj.weight.to(hidden.dtype)) @ self._phi_of(fold).T.to(hidden.dtype)
        else:
            logits = hidden @ self.gene_vectors(fold).T.to(hidden.dtype)
        unknown = self._unknown[fold].to(hidden.device)  # no annotation left in this fold's KB: no ranker can find it
        return logits.masked_fill(unknown, MASKED) if bool(unknown.any()) else logits

    # -- hooks -------------------------------------------------------------------------------------------
    def _read_folds(self, module, args, kwargs):
        """Before the decoder: note each row's fold from its `<kb f>` token, and show the decoder `<kb0>`."""
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None or not len(self.kb_ids):
            return None
        kb = self.kb_ids.to(ids.device)
        hits = ids.unsqueeze(-1) == kb  # [B, T, K]
        if ids.shape[1] > 1 or self._row_folds is None or len(self._row_folds) != len(ids):
            # A prompt (or a whole sequence): its fold token decides; a cached decoding step keeps the last ones.
            present = hits.any(dim=1)  # [B, K]
            self._row_folds = torch.where(present.any(-1), present.float().argmax(-1), torch.zeros_like(ids[:, 0]))
        if hits[..., 1:].any():
            ids = torch.where(hits[..., 1:].any(-1), kb[0], ids)
            if "input_ids" in kwargs:
                kwargs = kwargs | {"input_ids": ids}
            else:
                args = (ids, *args[1:])
        return args, kwargs

    def _embed_genes(self, module, inputs, output: torch.Tensor) -> torch.Tensor:
        """A gene token in the input (a gene already listed) is embedded as its vector w(g) (full release)."""
        ids = inputs[0]
        if not len(self.gene_ids) or not self._features:
            return output
        position = torch.full((int(max(ids.max().item(), self.gene_ids.max().item())) + 1,), -1, dtype=torch.long, device=ids.device)
        position[self.gene_ids.to(ids.device)] = torch.arange(len(self.gene_ids), device=ids.device)
        row = position[ids]
        if not (row >= 0).any():
            return output
        genes = row.clamp(min=0)
        if self._training_p():
            vectors = self.knowledge_proj(self._phi_of(0)[genes])
        else:
            vectors = self.gene_vectors(0)[genes]
        return torch.where((row >= 0).unsqueeze(-1), vectors.to(output.dtype), output)

    def gene_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits over the vocabulary: h . w(g) for genes (each row against its fold), MASKED for every other token."""
        folds = self._row_folds if self._row_folds is not None and len(self._row_folds) == len(hidden) else None
        if folds is None or not bool((folds > 0).any()):
            gene = self._fold_logits(hidden, 0)
        else:
            parts = {int(f): self._fold_logits(hidden[folds == f], int(f)) for f in folds.unique().tolist()}
            gene = torch.empty((*hidden.shape[:-1], len(self.gene_ids)), dtype=next(iter(parts.values())).dtype, device=hidden.device)
            for f, logits in parts.items():
                gene[folds == f] = logits
        out = gene.new_full((*hidden.shape[:-1], self.config.vocab_size), MASKED)  # gene's dtype: autocast may have lowered it
        out[..., self.gene_ids.to(hidden.device)] = gene
        return out

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, new_embeddings):  # the head is computed, never replaced
        pass

    def tie_weights(self, *args, **kwargs):  # nothing to tie: the output layer has no weights
        pass

    def resize_token_embeddings(self, new_num_tokens: int | None = None, *args, **kwargs) -> nn.Embedding:
        """Grow the input embeddings only (new rows: the mean row; gene rows are never read, w(g) replaces them)."""
        old = self.model.embed_tokens
        if new_num_tokens is None or new_num_tokens == old.num_embeddings:
            return old
        new = nn.Embedding(new_num_tokens, old.embedding_dim, padding_idx=old.padding_idx, dtype=old.weight.dtype, device=old.weight.device)
        keep = min(new_num_tokens, old.num_embeddings)
        with torch.no_grad():
            new.weight[:keep] = old.weight[:keep]
            new.weight[keep:] = old.weight.mean(0)
        for hook in old._forward_hooks.values():
            new.register_forward_hook(hook)
        self.model.embed_tokens = new
        self.config.vocab_size = new_num_tokens
        return new


AutoConfig.register(KnowledgeLlamaConfig.model_type, KnowledgeLlamaConfig)
AutoModelForCausalLM.register(KnowledgeLlamaConfig, KnowledgeLlamaForCausalLM)
