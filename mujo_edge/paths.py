"""Where mujo-edge finds data and keeps its cache.

* ``MUJO_EDGE_DATA_DIR``: folder holding one sub-folder per dataset (e.g. ``motionsense/``), with the
  files as their authors publish them (folders, or the archives they come in).
* ``MUJO_EDGE_CACHE_DIR``: prepared windows and extracted archives (default ``~/.cache/mujo_edge``,
  or ``$XDG_CACHE_HOME/mujo_edge``).
* ``MUJO_EDGE_HOME``: the user's own data, e.g. datasets made with ``mujo-edge data import`` in
  ``datasets/NAME/`` (default ``~/.local/share/mujo_edge``, or ``$XDG_DATA_HOME/mujo_edge``).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "MUJO_EDGE_DATA_DIR"
CACHE_ENV = "MUJO_EDGE_CACHE_DIR"
HOME_ENV = "MUJO_EDGE_HOME"


def data_dir(override: str | Path | None = None) -> Path | None:
    """The data root: ``override``, else ``$MUJO_EDGE_DATA_DIR``, else ``None`` (not configured)."""
    if override is not None:
        return Path(override).expanduser().resolve()
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser().resolve() if env else None


def cache_dir(override: str | Path | None = None) -> Path:
    """The cache root (created on demand by the writers, not here)."""
    if override is not None:
        return Path(override).expanduser().resolve()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return (base / "mujo_edge").resolve()


def user_home(override: str | Path | None = None) -> Path:
    """The user data root (created on demand by the writers, not here)."""
    if override is not None:
        return Path(override).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return (base / "mujo_edge").resolve()


def user_datasets_dir(override: str | Path | None = None) -> Path:
    """Where ``mujo-edge data import`` keeps datasets: ``<user home>/datasets``."""
    return user_home(override) / "datasets"
