"""The gene-ranking model: domain tokenizer, ontology-initialised small Llama, warm start, ranking, RFT policy.

    from rft.model import load_model, ModelRanker
    ranker = ModelRanker(load_model("data/models/default", hpo), hpo)    # the model alone; rft.registry adds its fusion

Modules: `tokenizer` (vocabulary, prompt and completion format), `architecture` (model spec, ontology-derived
initialisation), `synthetic` (synthetic patients), `pretrain` (the warm start, `rft pretrain`), `checkpoint`
(model folders), `knowledge` (the knowledge head: genes scored through their annotations), `ranking` (`rank_genes`,
`ModelRanker`), `policy` (`GeneListPolicy`, the GRPO trainer over it).
"""

from rft.model.architecture import ModelSpec, add_genes, build_base_model
from rft.model.checkpoint import RankingModel, load_model, save_model, switch_knowledge
from rft.model.knowledge import KB_TOKENS, KnowledgeLlamaForCausalLM
from rft.model.policy import GeneListPolicy, list_policy_trainer
from rft.model.pretrain import PretrainConfig, pretrain
from rft.model.ranking import ModelRanker, ModelRankingResult, rank_genes
from rft.model.synthetic import Patient, SyntheticPatients, SyntheticRecipe
from rft.model.tokenizer import build_tokenizer, case_to_prompt, format_completion, format_prompt, gene_token_ids, is_gene_token

__all__ = [
    "KB_TOKENS", "GeneListPolicy", "KnowledgeLlamaForCausalLM", "ModelRanker", "ModelRankingResult", "ModelSpec", "Patient", "PretrainConfig", "RankingModel",
    "SyntheticPatients", "SyntheticRecipe", "add_genes", "build_base_model", "build_tokenizer", "case_to_prompt",
    "format_completion", "format_prompt", "gene_token_ids", "is_gene_token", "list_policy_trainer", "load_model",
    "pretrain", "rank_genes", "save_model", "switch_knowledge",
]
