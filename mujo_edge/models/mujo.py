"""The MuJo model: IMU, pose, video and text encoders projected into one L2-normalised joint space.

open_clip style: every architecture is a named JSON config in ``mujo_edge/models/configs/``
(``tiny`` for CPU, ``base`` for GPU, ``tiny-hashtext`` with the trainable fallback text encoder);
:func:`create_model` builds one (with overrides) and raises on unknown names. The model owns one
learnable logit scale (``log(1/temperature)``), clamped to ``[0, logit_scale_max]`` where it is used.

Shapes (``B`` batch, ``D = embed_dim``):
* ``encode_imu(x (B, T, 6) normalized, site_index (B,) long, gyro_mask (B,) | (B, 6) bool)`` → ``(B, D)``
* ``encode_pose(pose (B, T, J, 3) metres)`` → ``(B, D)``
* ``encode_video(video (B, F, H, W) uint8)`` → ``(B, D)``
* ``encode_text(list[str] | prepared tensor)`` → ``(B, D)``

An optional self-supervised head (``ssl`` in the config, :mod:`mujo_edge.models.ssl`) shares the IMU
encoder: ``forward`` also returns its output when the batch holds ``ssl_*`` windows (unlabelled real
IMU), and :meth:`MujoModel.ssl_loss` scores it. A config may then train the IMU alone
(``modalities=["imu"]``): the self-supervised baselines are such models.

Checkpoints are ``kind="mujo"`` folders (:mod:`mujo_edge.artifacts.checkpoint`) holding the config and the
:class:`~mujo_edge.data.spec.SensorSpec` whose normalization was used for the IMU in pretraining;
:func:`load_mujo` reads them back strictly (also ``"default"`` = the weights shipped in the package).
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mujo_edge.artifacts.checkpoint import load_checkpoint, load_state_strict, save_checkpoint
from mujo_edge.config import from_dict, load_json
from mujo_edge.data.spec import SensorSpec
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.models.classifiers import CLASSIFIERS, ClassifierEntry
from mujo_edge.models.encoders import build_encoder
from mujo_edge.models.encoders.imu import UNKNOWN_SITE, site_index_of
from mujo_edge.models.ssl import SSLConfig, build_ssl_head, ssl_config
from mujo_edge.pretrained import PACKAGED, packaged_checkpoint
from mujo_edge.registry import Registry

log = logging.getLogger(__name__)

#: The four modalities, in canonical order.
MODALITIES: tuple[str, ...] = ("imu", "pose", "video", "text")
#: The six modality pairs, named ``"a-b"`` in canonical order.
PAIRS: tuple[str, ...] = tuple(f"{a}-{b}" for i, a in enumerate(MODALITIES) for b in MODALITIES[i + 1:])
CONFIG_DIR = Path(__file__).resolve().parent / "configs"
CHECKPOINT_KIND = "mujo"


@dataclass(frozen=True)
class MujoConfig:
    """One MuJo architecture. Encoder fields are ``{"arch": NAME, **that encoder's config}``.

    Attributes:
        embed_dim: size D of the joint space.
        modalities: the modalities built (a subset of :data:`MODALITIES`, ``imu`` always; at least two
            unless an ``ssl`` objective trains the IMU encoder alone).
        proj_hidden: hidden size of the 2-layer projection heads; 0 = one linear layer.
        logit_scale_init: initial ``log(1/temperature)`` (``log(1/0.07) = 2.659``).
        logit_scale_max: clamp of the logit scale (``log(100) = 4.605``, temperature ≥ 0.01).
        ssl: a self-supervised head on the IMU encoder (the fields of :class:`~mujo_edge.models.ssl.SSLConfig`,
            e.g. ``{"objective": "contrastive"}``); empty = none.
    """

    embed_dim: int = 128
    modalities: tuple[str, ...] = MODALITIES
    imu: dict[str, Any] = field(default_factory=lambda: {"arch": "resnet1d"})
    pose: dict[str, Any] = field(default_factory=lambda: {"arch": "stconv"})
    video: dict[str, Any] = field(default_factory=lambda: {"arch": "cnn3d"})
    text: dict[str, Any] = field(default_factory=lambda: {"arch": "minilm"})
    proj_hidden: int = 0
    logit_scale_init: float = math.log(1 / 0.07)
    logit_scale_max: float = math.log(100.0)
    ssl: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.modalities:
            if m not in MODALITIES:
                raise UnknownNameError("modality", m, MODALITIES)
        if self.ssl:
            ssl_config(self.ssl)  # validates the objective name and fields
        if "imu" not in self.modalities or (len(set(self.modalities)) < 2 and not self.ssl):
            raise ConfigError(f"modalities must include 'imu' and at least one other (or an ssl objective), "
                              f"got {self.modalities}")
        if self.embed_dim < 1 or self.proj_hidden < 0 or not 0 < self.logit_scale_max:
            raise ConfigError(f"invalid MuJo config: embed_dim={self.embed_dim}, proj_hidden={self.proj_hidden}, "
                              f"logit_scale_max={self.logit_scale_max}")

    @property
    def pairs(self) -> tuple[str, ...]:
        """The modality pairs this config trains (pairs of enabled modalities)."""
        return tuple(p for p in PAIRS if all(m in self.modalities for m in p.split("-")))


# ---------------------------------------------------------------------------------------- registry
MODEL_CONFIGS: Registry[Path] = Registry("model config")
for _path in sorted(CONFIG_DIR.glob("*.json")):
    MODEL_CONFIGS.add(_path.stem, _path)


def model_config(name: str, **overrides: Any) -> MujoConfig:
    """The :class:`MujoConfig` named ``name`` with ``overrides`` applied.

    Overrides replace top-level fields; a dict for an encoder field (``imu={"widths": [16, 32]}``) is
    merged into the named config's dict unless it changes ``arch`` (then it replaces it). Dotted keys
    (``**{"imu.widths": [16, 32]}``) are accepted too. Unknown names and fields raise.
    """

    data = load_json(MODEL_CONFIGS.get(name))
    for key, value in overrides.items():
        if "." in key:
            top, sub = key.split(".", 1)
            value, key = {sub: value}, top
        if key in MODALITIES and isinstance(value, dict) and isinstance(data.get(key), dict):
            base = data[key] if value.get("arch", data[key].get("arch")) == data[key].get("arch") else {}
            data[key] = {**base, **value}
        else:
            data[key] = value
    return from_dict(MujoConfig, data, where=f"model config {name!r}")


def create_model(name: str, **overrides: Any) -> MujoModel:
    """Build the MuJo model named ``name`` (a config in ``mujo_edge/models/configs``) with ``overrides``."""
    return MujoModel(model_config(name, **overrides))


# ------------------------------------------------------------------------------------------- model
def _projection(in_dim: int, out_dim: int, hidden: int) -> nn.Module:
    if hidden <= 0:
        return nn.Linear(in_dim, out_dim)
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))


def channel_mask_from(gyro_mask: torch.Tensor | None, batch: int, channels: int, device: torch.device) -> torch.Tensor:
    """``(B, C)`` bool channel-present mask from ``gyro_mask``: None (all present), ``(B,)`` gyro present, or ``(B, C)``."""
    if gyro_mask is None:
        return torch.ones(batch, channels, dtype=torch.bool, device=device)
    gyro_mask = gyro_mask.to(device=device, dtype=torch.bool)
    if gyro_mask.dim() == 1:
        mask = torch.ones(batch, channels, dtype=torch.bool, device=device)
        mask[:, 3:] = gyro_mask[:, None]
        return mask
    if gyro_mask.shape != (batch, channels):
        raise ConfigError(f"gyro_mask must be (B,) or (B, {channels}), got {tuple(gyro_mask.shape)}")
    return gyro_mask


class MujoModel(nn.Module):
    """Four encoders + projection heads + one clamped logit scale (see module docstring for shapes).

    ``forward(batch)`` takes a dict with any of ``imu`` (+ ``site``, ``channel_mask``), ``pose``,
    ``video``, ``text`` (prepared) and returns ``{modality: (B, D) L2-normalised embedding,
    "logit_scale": scalar}``; modalities absent from the batch are skipped.
    """

    def __init__(self, cfg: MujoConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoders = nn.ModuleDict({m: build_encoder(m, getattr(cfg, m)) for m in cfg.modalities})
        self.proj = nn.ModuleDict({m: _projection(self.encoders[m].out_dim, cfg.embed_dim, cfg.proj_hidden)
                                   for m in cfg.modalities})
        self.logit_scale = nn.Parameter(torch.tensor(float(cfg.logit_scale_init)))
        self.ssl_cfg: SSLConfig | None = ssl_config(cfg.ssl) if cfg.ssl else None
        imu = self.encoders["imu"]
        self.ssl_head = (build_ssl_head(self.ssl_cfg, imu.out_dim, imu.cfg.in_channels, imu.time_stride)
                         if self.ssl_cfg is not None else None)
        self.spec: SensorSpec | None = None  # set by load_mujo / pretraining: the IMU input spec

    # ------------------------------------------------------------------ helpers
    @property
    def modalities(self) -> tuple[str, ...]:
        """Enabled modalities."""
        return self.cfg.modalities

    def scale(self) -> torch.Tensor:
        """``exp(clamp(logit_scale, 0, logit_scale_max))`` = 1 / temperature (scalar tensor)."""
        return self.logit_scale.clamp(0.0, self.cfg.logit_scale_max).exp()

    def _embed(self, modality: str, feats: torch.Tensor, normalize: bool) -> torch.Tensor:
        z = self.proj[modality](feats)
        return nn.functional.normalize(z.float(), dim=-1) if normalize else z

    def _device(self) -> torch.device:
        return self.logit_scale.device

    # ------------------------------------------------------------------ encoders
    def imu_features(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                     gyro_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Pre-projection IMU features ``(B, F)`` of normalized windows ``x (B, T, 6)``."""
        b, _, c = x.shape
        if site_index is None:
            site_index = torch.full((b,), UNKNOWN_SITE, dtype=torch.long, device=x.device)
        return self.encoders["imu"](x, site_index.to(x.device), channel_mask_from(gyro_mask, b, c, x.device))

    def encode_imu(self, x: torch.Tensor, site_index: torch.Tensor | None = None,
                   gyro_mask: torch.Tensor | None = None, normalize: bool = True) -> torch.Tensor:
        """``x (B, T, 6)`` windows normalized with ``self.spec``, ``site_index (B,)``, ``gyro_mask`` → ``(B, D)``."""
        return self._embed("imu", self.imu_features(x, site_index, gyro_mask), normalize)

    def encode_pose(self, pose: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """``pose (B, T, J, 3)`` metres → ``(B, D)``."""
        return self._embed("pose", self.encoders["pose"](pose), normalize)

    def encode_video(self, video: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """``video (B, F, H, W)`` uint8 → ``(B, D)``."""
        return self._embed("video", self.encoders["video"](video), normalize)

    def prepare_text(self, texts: list[str]) -> torch.Tensor:
        """Captions → the text encoder's input tensor (frozen embeddings or token ids), on CPU."""
        return self.encoders["text"].prepare(list(texts))

    def encode_text(self, text: list[str] | tuple[str, ...] | torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """Captions (``list[str]``) or their prepared tensor → ``(B, D)``."""
        if isinstance(text, (list, tuple)):
            text = self.prepare_text(list(text))
        return self._embed("text", self.encoders["text"](text.to(self._device())), normalize)

    def ssl_forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The SSL head's output on ``batch["ssl_imu"] (N, T, C)`` (see :mod:`mujo_edge.models.ssl` for shapes)."""
        if self.ssl_head is None:
            raise ConfigError("this model has no self-supervised head (config field 'ssl' is empty)")
        x = batch["ssl_imu"]
        site = batch.get("ssl_site")
        mask = channel_mask_from(batch.get("ssl_channel_mask"), x.shape[0], x.shape[2], x.device)
        site = site.to(x.device) if site is not None else None
        if self.ssl_head.pooled:
            return self.ssl_head(self.imu_features(x, site, mask))
        return self.ssl_head(self.encoders["imu"].feature_map(x, site, mask))

    def ssl_loss(self, out: torch.Tensor, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, float]:
        """Loss (and the objective's accuracy, NaN where it has none) of an :meth:`ssl_forward` output."""
        if self.ssl_head is None:
            raise ConfigError("this model has no self-supervised head (config field 'ssl' is empty)")
        return self.ssl_head.loss(out, batch)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Embeddings of every enabled modality present in ``batch`` plus ``"logit_scale"``; with ``ssl_imu``
        in the batch and an SSL head, also ``"ssl"`` (the head's output, see :meth:`ssl_forward`)."""
        out: dict[str, torch.Tensor] = {}
        if "imu" in batch:
            out["imu"] = self.encode_imu(batch["imu"], batch.get("site"), batch.get("channel_mask"))
        for m, fn in (("pose", self.encode_pose), ("video", self.encode_video), ("text", self.encode_text)):
            if m in self.cfg.modalities and m in batch:
                out[m] = fn(batch[m])
        if self.ssl_head is not None and "ssl_imu" in batch:
            out["ssl"] = self.ssl_forward(batch)
        out["logit_scale"] = self.scale()
        return out

    @torch.no_grad()
    def clamp_logit_scale_(self) -> None:
        """Clamp the stored logit scale into ``[0, logit_scale_max]`` (after an optimizer step)."""
        self.logit_scale.clamp_(0.0, self.cfg.logit_scale_max)


# ------------------------------------------------------------------------------------- checkpoints
def save_mujo(path: str | Path, model: MujoModel, spec: SensorSpec, name: str, step: int = 0,
              metrics: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as a ``kind="mujo"`` checkpoint folder (weights + config + IMU sensor spec)."""

    raw = model.module if hasattr(model, "module") else model
    return save_checkpoint(path, raw, kind=CHECKPOINT_KIND, model_name=name, model_config=raw.cfg, spec=spec,
                           step=step, metrics=metrics, extra=extra)


def resolve_checkpoint(path: str | Path) -> Path:
    """``"default"`` / ``"sim-only"`` → the packaged weights' folder (:mod:`mujo_edge.pretrained`); any other
    path is returned as given (a run folder is itself a checkpoint)."""
    if str(path) in PACKAGED:
        return packaged_checkpoint(str(path))
    return Path(path)


def load_mujo(path: str | Path, map_location: str | torch.device = "cpu") -> MujoModel:
    """Load a ``kind="mujo"`` checkpoint (folder, ``"default"``) strictly; returns the model in eval mode.

    ``model.spec`` is the checkpoint's SensorSpec (normalization = the one used for the IMU in pretraining).
    """

    ckpt = load_checkpoint(resolve_checkpoint(path), kinds=CHECKPOINT_KIND)
    model = MujoModel(from_dict(MujoConfig, ckpt.model_config, where=f"{ckpt.path} model config"))
    load_state_strict(model, ckpt.state_dict(), str(ckpt.path))
    model.spec = ckpt.spec
    return model.to(map_location).eval()


# ------------------------------------------------------------------------------ IMU classifier
@dataclass(frozen=True)
class ImuClassifierConfig:
    """A MuJo IMU encoder with a linear head, for one sensor site (registered as classifier ``mujo_imu``)."""

    imu: dict[str, Any] = field(default_factory=lambda: {"arch": "resnet1d"})
    num_classes: int = 6
    placement: str = "any"
    channel_mask: tuple[bool, ...] = (True,) * 6


class ImuClassifier(nn.Module):
    """``(B, T, C)`` normalized windows → ``(B, K)`` logits through the MuJo IMU encoder + a linear head.

    The site embedding row and the channel-present mask are fixed buffers (one dataset, one site).
    """

    def __init__(self, cfg: ImuClassifierConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = build_encoder("imu", cfg.imu)
        self.head = nn.Linear(self.encoder.out_dim, cfg.num_classes)
        self.register_buffer("site_index", torch.tensor(site_index_of(cfg.placement), dtype=torch.long))
        self.register_buffer("channel_mask", torch.tensor(cfg.channel_mask, dtype=torch.bool))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` → ``(B, F)`` encoder features."""
        b = x.shape[0]
        return self.encoder(x, self.site_index.expand(b), self.channel_mask.expand(b, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, C)`` normalized windows → ``(B, K)`` logits."""
        return self.head(self.features(x))

    @classmethod
    def from_mujo(cls, model: MujoModel, num_classes: int, placement: str = "any",
                  channel_mask: tuple[bool, ...] = (True,) * 6) -> ImuClassifier:
        """A classifier whose encoder is a copy of ``model``'s IMU encoder (random head)."""
        clf = cls(ImuClassifierConfig(imu=dict(model.cfg.imu), num_classes=num_classes, placement=placement,
                                      channel_mask=tuple(bool(c) for c in channel_mask)))
        clf.encoder.load_state_dict(copy.deepcopy(model.encoders["imu"].state_dict()), strict=True)
        return clf


def _register_classifier() -> None:
    if "mujo_imu" not in CLASSIFIERS:
        CLASSIFIERS.add("mujo_imu", ClassifierEntry(ImuClassifierConfig, ImuClassifier,
                                                    "MuJo IMU encoder + linear head (pretrained or scratch)"))


_register_classifier()


