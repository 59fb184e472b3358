"""Window classifiers: a registry of named architectures with dataclass configs.

Every classifier is a plain ``nn.Module`` taking normalized windows ``(B, T, C)`` (time, then channels
in :class:`~mujo_edge.data.spec.SensorSpec` order) and returning logits ``(B, K)``; ``features(x)``
returns the penultimate ``(B, D)`` embedding. Build one with ``build_classifier(name, **config)``;
unknown names and unknown config fields raise with the valid options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from mujo_edge.artifacts.checkpoint import Checkpoint, load_state_strict
from mujo_edge.config import from_dict
from mujo_edge.registry import Registry


@dataclass(frozen=True)
class ClassifierEntry:
    """A registered architecture: its config dataclass and a builder ``config -> nn.Module``."""

    config_cls: type
    build: Callable[[Any], nn.Module]
    description: str = ""


CLASSIFIERS: Registry[ClassifierEntry] = Registry("classifier")


def build_classifier(name: str, **config: Any) -> nn.Module:
    """Build classifier ``name`` with config fields ``config`` (validated by its dataclass)."""

    entry = CLASSIFIERS.get(name)
    return entry.build(from_dict(entry.config_cls, config, where=f"classifier {name!r} config"))


def classifier_from_checkpoint(ckpt: Checkpoint) -> nn.Module:
    """Rebuild a classifier from a :class:`~mujo_edge.artifacts.checkpoint.Checkpoint` and load its weights strictly."""

    model = build_classifier(ckpt.model_name, **ckpt.model_config)
    load_state_strict(model, ckpt.state_dict(), str(ckpt.path))
    return model.eval()


@dataclass(frozen=True)
class CNNConfig:
    """The evaluation protocol's CNN: ``layers`` × [Conv1d(kernel, width, same padding) → BN → ReLU] → GAP → Linear."""

    in_channels: int = 6
    num_classes: int = 6
    width: int = 64
    kernel: int = 5
    layers: int = 3


class CNNClassifier(nn.Module):
    """1-D CNN over ``(B, T, C)`` windows (43,846 parameters for 6 channels / 6 classes)."""

    def __init__(self, cfg: CNNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        blocks: list[nn.Module] = []
        c = cfg.in_channels
        for _ in range(cfg.layers):
            blocks += [nn.Conv1d(c, cfg.width, cfg.kernel, padding=cfg.kernel // 2), nn.BatchNorm1d(cfg.width), nn.ReLU()]
            c = cfg.width
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(cfg.width, cfg.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, width)`` global-average-pooled features."""
        return self.body(x.transpose(1, 2)).mean(dim=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` normalized windows → ``(B, K)`` logits."""
        return self.head(self.features(x))


CLASSIFIERS.add("cnn", ClassifierEntry(CNNConfig, CNNClassifier, "protocol CNN baseline, ~44 K parameters"))


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in model.parameters())
