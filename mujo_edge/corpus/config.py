"""The corpus stage config (saved as ``config`` inside every corpus' ``corpus.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mujo_edge.activities import ACTIVITY_NAMES, get_activity
from mujo_edge.data.preprocess import rate_ratio
from mujo_edge.errors import ConfigError, UnknownNameError
from mujo_edge.registry import Registry
from mujo_edge.sim.imu import IMUConfig
from mujo_edge.sim.video import VideoConfig

#: Motion sources a corpus can draw from (``mujo-edge corpus build --sources``).
SOURCES: Registry[str] = Registry("corpus source")
SOURCES.add("mocap", "CMU motion capture (BVH) from $MUJO_EDGE_DATA_DIR/mocap, looped and mirrored")
SOURCES.add("procedural", "the procedural motion generator (always available offline)")


@dataclass(frozen=True)
class CorpusConfig:
    """How a FiMAD-style corpus is built.

    Attributes:
        sources: motion sources (:data:`SOURCES`).
        hours: total clip duration to build, hours.
        seed: random seed; a corpus is a pure function of (config, seed, input files).
        clip_seconds: length of every clip, s (5.12 s = 256 samples at 50 Hz).
        rate_hz: rate of ``pose`` and ``imu`` in the corpus, Hz.
        sim_rate_hz: rate the procedural generator simulates at before resampling, Hz.
        margin_s: extra motion simulated before and after each clip (discarded; keeps filter and
            differentiation edges out of the clip), s.
        activities: canonical activities to include (empty = all).
        procedural_subjects: number of distinct virtual subjects.
        mocap_repeats: how often each mocap window is used (odd repeats mirrored left/right, every
            repeat with new sensor placement, noise and camera).
        mocap_max_share: largest share of clips from motion capture when procedural is also a source.
        mocap_activity_share: when procedural is also a source, motion capture gives any one activity at most
            this share of the clips an activity gets on average (``hours`` spread over the activities); the rest
            is procedural, so that no class is mostly the few motion-capture subjects and their marker noise.
        mocap_smooth_hz: low-pass applied to mocap trajectories before differentiation, Hz.
        mocap_min_trial_s: trials shorter than this are skipped (recorded in the corpus stats), s.
        imu: virtual sensor placement, orientation and noise.
        video: rendering options.
        captions_per_clip: captions per clip (>= 3).
        val_fraction: share of motion subjects (per source) in the validation split.
        shard_clips: clips per shard.
    """

    sources: tuple[str, ...] = ("mocap", "procedural")
    hours: float = 1.0
    seed: int = 0
    clip_seconds: float = 5.12
    rate_hz: float = 50.0
    sim_rate_hz: float = 100.0
    margin_s: float = 1.0
    activities: tuple[str, ...] = ()
    procedural_subjects: int = 200
    mocap_repeats: int = 2
    mocap_max_share: float = 0.25
    mocap_activity_share: float = 0.2
    mocap_smooth_hz: float = 12.0
    mocap_min_trial_s: float = 1.0
    imu: IMUConfig = field(default_factory=IMUConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    captions_per_clip: int = 4
    val_fraction: float = 0.1
    shard_clips: int = 64

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError(f"at least one corpus source is needed; valid: {', '.join(SOURCES.names())}")
        for s in self.sources:
            SOURCES.get(s)
        if len(set(self.sources)) != len(self.sources):
            raise ConfigError(f"corpus sources repeat: {self.sources}")
        for a in self.activities:
            get_activity(a)
        if not 0 < self.hours <= 10_000:
            raise ConfigError(f"hours must be in (0, 10000], got {self.hours}")
        if self.clip_seconds <= 0 or self.margin_s < 0.2:
            raise ConfigError(f"clip_seconds must be > 0 and margin_s >= 0.2, got {self.clip_seconds}, {self.margin_s}")
        for name in ("rate_hz", "sim_rate_hz"):
            r = getattr(self, name)
            if not r > 0:
                raise ConfigError(f"{name} must be > 0, got {r}")
        if abs(self.margin_s * self.rate_hz - round(self.margin_s * self.rate_hz)) > 1e-6:
            raise ConfigError(f"margin_s × rate_hz must be a whole number of samples, got {self.margin_s} × {self.rate_hz}")
        for src in (self.sim_rate_hz, 120.0, 30.0):  # procedural and both mocap rates must resample rationally
            rate_ratio(src, self.rate_hz)
        if self.captions_per_clip < 3:
            raise ConfigError(f"captions_per_clip must be >= 3, got {self.captions_per_clip}")
        if not 0 <= self.val_fraction < 1 or not 0 <= self.mocap_max_share <= 1:
            raise ConfigError(f"val_fraction and mocap_max_share must be in [0, 1): {self.val_fraction}, "
                              f"{self.mocap_max_share}")
        if not 0 <= self.mocap_activity_share < 1:
            raise ConfigError(f"mocap_activity_share must be in [0, 1), got {self.mocap_activity_share}")
        if self.procedural_subjects < 1 or self.mocap_repeats < 1 or self.shard_clips < 1:
            raise ConfigError("procedural_subjects, mocap_repeats and shard_clips must be >= 1")
        if len(self.imu.sites) < 1:
            raise ConfigError("the IMU config needs sites")

    @property
    def samples(self) -> int:
        """Samples per clip T at ``rate_hz``."""
        return int(round(self.clip_seconds * self.rate_hz))

    @property
    def n_clips(self) -> int:
        """Number of clips for ``hours``."""
        return max(1, int(round(self.hours * 3600.0 / self.clip_seconds)))

    @property
    def activity_list(self) -> tuple[str, ...]:
        """Activities included, in vocabulary order."""
        return tuple(a for a in ACTIVITY_NAMES if not self.activities or a in self.activities)


def parse_sources(text: str) -> tuple[str, ...]:
    """``"mocap,procedural"`` → validated tuple (unknown names raise with the valid list)."""
    return tuple(SOURCES.parse_list(text))


def parse_activities(text: str | None) -> tuple[str, ...]:
    """Comma-separated canonical activities (``None``/``"all"`` = all)."""
    if not text or text.strip() == "all":
        return ()
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    for n in names:
        if n not in ACTIVITY_NAMES:
            raise UnknownNameError("activity", n, ACTIVITY_NAMES)
    return names
