"""Model folders: saving and loading one with its tokenizer and `meta.json`.

    from rft.model import load_model
    bundle = load_model("data/models/default", hpo)   # hpo: the release to rank against
    bundle.model, bundle.tokenizer, bundle.meta

Which folder "default" means, and where model folders are looked for, is `rft.registry`'s business.

A model folder is a standard transformers folder (config.json, model.safetensors, tokenizer.json,
tokenizer_config.json), so `AutoModelForCausalLM.from_pretrained(folder)` works too, plus `meta.json`:
config, HPO release, data recipe, steps, metrics and the command line that made it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from rft.model.tokenizer import gene_token_ids
from rft.writes import PROJECT_MARKER, check_target, folder_writer, written_by_project

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from ontology.hpo import Hpo

__all__ = ["PROJECT_MARKER", "RankingModel", "load_model", "save_model", "switch_knowledge", "written_by_project"]

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "adapter_model.safetensors")


@dataclass
class RankingModel:
    """A loaded model folder: the causal LM, its tokenizer, the gene token ids and `meta.json`."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    gene_ids: list[int] = field(default_factory=list)

    def __post_init__(self):
        if not self.gene_ids:
            knowledge = self.knowledge_model
            # A knowledge-head model ranks the genes its knowledge base annotates; a free-head one every gene token.
            self.gene_ids = knowledge.gene_ids.tolist() if knowledge is not None else gene_token_ids(self.tokenizer)
        assert self.gene_ids, "the model has no gene to rank"
        self.gene_symbols: list[str] = self.tokenizer.convert_ids_to_tokens(self.gene_ids)
        self.gene_id_tensor = torch.as_tensor(self.gene_ids)
        self.vocab: dict[str, int] = self.tokenizer.get_vocab()

    @property
    def knowledge_model(self):
        """The `KnowledgeLlamaForCausalLM` behind `model` (through a PEFT wrapper too), or None for a free head."""
        from rft.model.knowledge import KnowledgeLlamaForCausalLM

        base = self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model
        return base if isinstance(base, KnowledgeLlamaForCausalLM) else None

    def gene_output_weight(self) -> torch.Tensor:
        """The output-layer rows of the gene tokens [G, hidden] (a knowledge head's gene vectors w(g)); the copy
        is kept until the weight changes (an optimiser step bumps the tensor's version: never a stale copy)."""
        knowledge = self.knowledge_model
        if knowledge is not None:
            return knowledge.gene_vectors(0)
        weight = self.model.get_output_embeddings().weight
        if torch.is_grad_enabled() or not isinstance(weight, torch.nn.Parameter):
            # A differentiable read, or a weight computed on the fly (PEFT's trainable tokens): never cached.
            return weight[self.gene_id_tensor]
        key = (weight.data_ptr(), weight._version, weight.dtype, weight.device)
        cached = self.__dict__.get("_gene_weight")
        if cached is None or cached[0] != key:
            self.__dict__["_gene_weight"] = cached = (key, weight[self.gene_id_tensor])
        return cached[1]

    @property
    def name(self) -> str:
        return f"model:{self.path.name}" if self.path else "model"


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ValueError(f"model folder {folder} does not exist (train one with `rft pretrain --out {folder}`, or use the shipped one: default)")
    missing = [f for f in _TOKENIZER_FILES if not (folder / f).is_file()]
    if missing:
        raise ValueError(
            f"model folder {folder} lacks its tokenizer ({', '.join(missing)} missing): save it with "
            f"tokenizer.save_pretrained('{folder}') next to the model, or re-run `rft pretrain --out {folder}`"
        )
    if not (folder / "config.json").is_file():
        raise ValueError(f"model folder {folder} lacks config.json: it is not a transformers model folder")
    if not any((folder / f).is_file() for f in _WEIGHT_FILES):
        raise ValueError(f"model folder {folder} has no weights ({' or '.join(_WEIGHT_FILES)})")
    for name in ("config.json", *_TOKENIZER_FILES):
        _read_json_object(folder / name)
    _check_config_sizes(folder / "config.json")


# The sizes a model folder's config.json may ask for: ours are ~10 layers of 256; a folder asking for 200,000 layers
# would take minutes and gigabytes to build before failing.
_CONFIG_BOUNDS = {"num_hidden_layers": 64, "hidden_size": 8192, "num_attention_heads": 128, "num_key_value_heads": 128,
                  "intermediate_size": 65_536, "vocab_size": 1_000_000, "max_position_embeddings": 131_072}


def _check_config_sizes(path: Path) -> None:
    config = _read_json_object(path)
    for key, most in _CONFIG_BOUNDS.items():
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
            raise ValueError(f"{path}: {key} is {value!r}; it must be a whole number from 1 to {most:,}: the model folder is broken")


def _read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or a one-line ValueError naming the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path} is not valid JSON ({type(e).__name__}): the model folder is broken; re-save or re-install it") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return data


def _from_pretrained(folder: Path, load: Callable[[], Any]) -> Any:
    """Run a transformers/PEFT loader; a truncated or corrupt file becomes one line naming the folder's files."""
    from safetensors import SafetensorError

    try:
        return load()
    except (OSError, ValueError, RuntimeError, SafetensorError) as e:
        weights = [f for f in (*_WEIGHT_FILES, "adapter_model.bin") if (folder / f).is_file()]
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"model folder {folder}: cannot load {', '.join(weights) or 'its files'} ({first}): the file is truncated or corrupt; re-save or re-install it") from None


def load_model(path: str | Path, hpo: Hpo | None = None, dtype: torch.dtype = torch.float32) -> RankingModel:
    """Load a model folder for ranking, in eval mode.

    Args:
        hpo: the knowledge base to rank against. A knowledge-head model needs it (it scores genes through their
            annotations: any release works, its new genes included); a free-head model gets the genes of a newer
            release added from their annotations (`add_genes`).

    A folder holding a PEFT adapter (adapter_config.json) is loaded on top of its base model and merged.

    Raises:
        ValueError: the folder does not exist or lacks its tokenizer, config or weights, saying which; or a
            knowledge-head model is loaded without `hpo`.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    import rft.model.knowledge  # noqa: F401  (registers the knowledge head with AutoModelForCausalLM)

    folder = Path(path)
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        model, tokenizer = _load_adapter(folder, dtype)
    else:
        _check_folder(folder)
        tokenizer = _from_pretrained(folder, lambda: AutoTokenizer.from_pretrained(folder))
        model = _from_pretrained(folder, lambda: AutoModelForCausalLM.from_pretrained(folder, dtype=dtype))
    model.eval()
    _attach_knowledge(model, tokenizer, hpo, folder)
    return RankingModel(model, tokenizer, folder, _read_meta(folder))


def switch_knowledge(bundle: RankingModel, hpo: Hpo) -> RankingModel:
    """The same model ranking against another release (no training): its new genes are ranked at once."""
    _attach_knowledge(bundle.model, bundle.tokenizer, hpo, bundle.path)
    return RankingModel(bundle.model, bundle.tokenizer, bundle.path, bundle.meta)


def _attach_knowledge(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, hpo: Hpo | None, folder: Path | None) -> None:
    """A knowledge head gets its gene vectors from `hpo` (new genes too); a free head gets rows for the genes
    of `hpo` it lacks (`add_genes`). Without `hpo` a free head ranks its own genes."""
    from rft.model.architecture import add_genes
    from rft.model.knowledge import KnowledgeLlamaForCausalLM

    if isinstance(model, KnowledgeLlamaForCausalLM):
        if hpo is None:
            raise ValueError(f"model folder {folder} scores genes through a knowledge base: load it with load_model(folder, hpo)")
        model.set_knowledge(hpo, tokenizer)
    elif hpo is not None:
        vocab = tokenizer.get_vocab()  # once: each call builds a dict of the whole vocabulary (~16 ms)
        if any(g not in vocab for g in hpo.genes):
            add_genes(model, tokenizer, hpo)


def _load_adapter(folder: Path, dtype: torch.dtype) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    try:
        from peft import AutoPeftModelForCausalLM
    except ImportError as e:  # peft is in the [train] extra: adapters come from `rft train`
        raise ImportError('loading a LoRA adapter folder needs the [train] extra (peft): pip install -e ".[train]"') from e
    from transformers import AutoTokenizer

    if not (folder / "tokenizer.json").is_file():
        raise ValueError(f"adapter folder {folder} lacks tokenizer.json: save the tokenizer next to the adapter")
    for name in ("adapter_config.json", "tokenizer.json"):
        _read_json_object(folder / name)
    model = _from_pretrained(folder, lambda: AutoPeftModelForCausalLM.from_pretrained(folder, dtype=dtype).merge_and_unload())
    return model, _from_pretrained(folder, lambda: AutoTokenizer.from_pretrained(folder))


def _read_meta(folder: Path) -> dict[str, Any]:
    meta = folder / "meta.json"
    return _read_json_object(meta) if meta.is_file() else {}


def save_model(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    folder: str | Path,
    meta: dict[str, Any],
    dtype: torch.dtype | None = torch.bfloat16,
    force: bool = False,
) -> Path:
    """Save model, tokenizer and `meta.json` (the command line is added) into `folder`, atomically: written into
    a staging folder that then replaces `folder` (`rft.writes.folder_writer`).

    Args:
        dtype: the dtype of the saved weights; bfloat16 halves the folder at a cost of 0.1 point of validation
            MRR (0.4823 in float32 before saving, 0.4814 after loading), None keeps the model's own.
        force: replace an existing folder, only one this project wrote (`rft.writes.check_target`).
    """
    folder = check_target(folder, force=force, folder=True)
    to_save = model
    if dtype is not None and next(model.parameters()).dtype != dtype:
        import copy

        to_save = copy.deepcopy(model).to(dtype)
    meta = {"written_by": PROJECT_MARKER, "command": " ".join(["rft", *sys.argv[1:]]) if Path(sys.argv[0]).name == "rft" else " ".join(sys.argv)} | meta
    with folder_writer(folder) as staging:
        to_save.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return folder
