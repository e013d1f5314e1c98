"""The RFT policy: the model restricted to ranked gene lists, and the GRPO trainer that scores it as such.

    from rft.model.policy import GeneListPolicy, list_policy_trainer
    policy = GeneListPolicy(model, gene_token_ids(tokenizer))    # model(...).logits now masked
    trainer = list_policy_trainer(GRPOTrainer)(model=model, ...)  # TRL's GRPO over the masked logits

`rft.train.run` installs both; `rank_genes` decodes the same distribution greedily (a test checks that
`model.generate` under the policy gives exactly its lists).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["GeneListPolicy", "list_policy_trainer"]


class GeneListPolicy:
    """Makes a causal LM's own next-token distribution the constrained one: only genes not yet in the sequence.

    Constraining only the *sampling* (TRL's `suppress_tokens` + `no_repeat_ngram_size`) is not enough: a
    trainer that scores the sampled tokens with the plain model (TRL's GRPO does) would then follow the
    gradient of the unconstrained log-probabilities, where mass can drift to tokens that are never sampled
    (non-genes, genes already listed) and are so never penalised. With this policy installed the logits
    themselves are masked (a pre-hook on the decoder, a hook on the
    output layer; nothing saved with the weights), so sampling, log-probabilities, ratios and entropy all refer to the
    same distribution over valid ranked lists:

        policy = GeneListPolicy(model, gene_token_ids(tokenizer))
        ...                                   # train; model(...).logits is -1e9 wherever a token is not allowed
        policy.remove()
    """

    MASKED = -1e9  # finite, so p * log p is 0 rather than nan in entropy computations

    def __init__(self, model: torch.nn.Module, gene_ids: Sequence[int]):
        head = model.get_output_embeddings()
        allowed = torch.zeros(model.get_input_embeddings().weight.shape[0], dtype=torch.bool)
        allowed[torch.as_tensor(list(gene_ids), dtype=torch.long)] = True
        self.allowed = allowed
        self._input_ids: torch.Tensor | None = None
        # The decoder, not the top model: PEFT calls the top model's `forward` directly, which skips its hooks.
        self._handles = [
            model.get_decoder().register_forward_pre_hook(self._capture, with_kwargs=True),
            head.register_forward_hook(self._mask),
        ]

    def _capture(self, module, args, kwargs):
        self._input_ids = kwargs.get("input_ids", args[0] if args else None)

    def _mask(self, module, inputs, logits: torch.Tensor) -> torch.Tensor:
        ids = self._input_ids
        blocked = ~self.allowed.to(logits.device)
        blocked = blocked.expand(logits.shape).clone()
        if ids is not None and logits.dim() == 3 and ids.shape[1] >= logits.shape[1]:
            # Logits at position p (the last `keep` positions) choose token p+1: block every token in ids[:, :p+1].
            keep, length = logits.shape[1], ids.shape[1]
            for j in range(keep):
                blocked[:, j].scatter_(1, ids[:, : length - keep + j + 1], True)
        return logits.masked_fill(blocked, self.MASKED)

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


def list_policy_trainer(base: type) -> type:
    """TRL's GRPOTrainer (`base`), scoring completions with the model's own (masked) logits.

    TRL computes per-token log-probabilities with a fused LM head that reads the output weights directly,
    which would bypass `GeneListPolicy`'s mask: a listed gene would keep the probability of repeating it (about
    two thirds of the base model's mass at positions 2-10), mass that sampling never visits and so never
    penalises. Here the log-probabilities and entropies come from the ordinary forward pass, whose logits the
    policy masks; GRPO itself (advantages, clipping, KL, optimisation) is TRL's, unchanged.
    """
    from trl.trainer.utils import entropy_from_logits, selective_log_softmax

    class ListPolicyGRPOTrainer(base):
        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None, compute_entropy=False, compute_aux_loss=False, **multimodal):
            if any(v is not None for v in multimodal.values()):
                raise ValueError("rft train scores text prompts only")
            batch_size = batch_size or input_ids.size(0)
            logps, entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                ids, mask = input_ids[start : start + batch_size], attention_mask[start : start + batch_size]
                with self.accelerator.autocast():
                    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=logits_to_keep + 1).logits
                logits = logits[:, :-1].float() / self.temperature  # position t scores token t + 1
                logps.append(selective_log_softmax(logits, ids[:, -logits_to_keep:]))
                if compute_entropy:
                    entropies.append(entropy_from_logits(logits))
            return torch.cat(logps), (torch.cat(entropies) if compute_entropy else None), None

    return ListPolicyGRPOTrainer
