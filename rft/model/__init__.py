"""The gene-ranking model: domain tokenizer, ontology-initialised small Llama, warm start, constrained ranking.

    from rft.model import ModelRanker, load_model, rank_genes, DEFAULT_MODEL_DIR
    ranker = ModelRanker("default", hpo)       # data/models/default (RFT-tuned) if present, else data/models/base
    ranker.rank(cases, top=10)

Modules: `tokenizer` (vocabulary, prompt and completion format), `architecture` (model spec and
ontology-derived initialisation), `synthetic` (synthetic patients), `pretrain` (the warm start, `rft
pretrain`), `checkpoint` (model folders), `ranking` (`rank_genes`, `ModelRanker`), `validation` (split and
metrics).
"""

from rft.model.architecture import ModelSpec, add_genes, build_base_model
from rft.model.hybrid import HYBRID_MODES, HybridRanker, fuse_rankings
from rft.model.checkpoint import (
    BASE_MODEL_DIR,
    DEFAULT_MODEL_DIR,
    MODELS_DIR,
    TUNED_MODEL_DIR,
    RankingModel,
    default_model_dir,
    load_model,
    resolve_model_path,
    save_model,
)
from rft.model.pretrain import PretrainConfig, pretrain
from rft.model.ranking import GeneListPolicy, GeneOnlyLogitsProcessor, ModelRanker, ModelRankingResult, rank_genes
from rft.model.synthetic import Patient, SyntheticPatients, SyntheticRecipe
from rft.model.tokenizer import (
    SPECIAL_TOKENS,
    build_tokenizer,
    case_to_prompt,
    format_completion,
    format_prompt,
    gene_token_ids,
    is_gene_token,
)

__all__ = [
    "BASE_MODEL_DIR",
    "DEFAULT_MODEL_DIR",
    "MODELS_DIR",
    "SPECIAL_TOKENS",
    "TUNED_MODEL_DIR",
    "GeneListPolicy",
    "GeneOnlyLogitsProcessor",
    "HYBRID_MODES",
    "HybridRanker",
    "ModelRanker",
    "ModelRankingResult",
    "ModelSpec",
    "Patient",
    "PretrainConfig",
    "RankingModel",
    "SyntheticPatients",
    "SyntheticRecipe",
    "add_genes",
    "build_base_model",
    "build_tokenizer",
    "case_to_prompt",
    "default_model_dir",
    "format_completion",
    "format_prompt",
    "fuse_rankings",
    "gene_token_ids",
    "is_gene_token",
    "load_model",
    "pretrain",
    "rank_genes",
    "resolve_model_path",
    "save_model",
]
