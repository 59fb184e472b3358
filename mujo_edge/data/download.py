"""Official downloads with checksums, for machines with internet (tests use ``file://`` URLs).

A download goes to ``<name>.part`` in the dataset folder, is checked (size, sha256 where published,
and every member against the packaged manifest of the original files), and only then renamed into
place. Where no archive checksum is published, the computed sha256 is written next to the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from mujo_edge.data.datasets import Download, get_dataset
from mujo_edge.data.filetree import load_manifest, manifest_key, open_tree
from mujo_edge.errors import CorruptFileError, DataError
from mujo_edge.paths import DATA_ENV, data_dir

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


def fetch(url: str, dest: Path, sha256: str | None = None, size: int | None = None,
          progress: Progress | None = None, timeout: float = 60.0) -> str:
    """Download ``url`` to ``dest`` atomically; returns the file's sha256.

    Raises :class:`CorruptFileError` on a size or checksum mismatch and :class:`DataError` when the
    URL cannot be fetched or serves a web page instead of a file.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as f:
            ctype = resp.headers.get("Content-Type", "") if hasattr(resp, "headers") else ""
            if "text/html" in ctype and not dest.name.endswith((".html", ".htm")):
                raise DataError(f"{url} serves a web page, not {dest.name}; download the file by hand from that page "
                                f"and put it at {dest}")
            total = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
            total_n = int(total) if total else size
            while block := resp.read(1 << 20):
                f.write(block)
                h.update(block)
                done += len(block)
                if progress:
                    progress(done, total_n)
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DataError(f"cannot download {url}: {exc}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    digest = h.hexdigest()
    if size is not None and done != size:
        part.unlink(missing_ok=True)
        raise CorruptFileError(url, f"downloaded {done} bytes, expected {size} (interrupted?)")
    if sha256 is not None and digest != sha256:
        part.unlink(missing_ok=True)
        raise CorruptFileError(url, f"sha256 {digest} does not match the published {sha256}")
    os.replace(part, dest)
    return digest


def download_dataset(name: str, root: str | Path | None = None, force: bool = False,
                     progress: Progress | None = None) -> list[Path]:
    """Fetch the official files of dataset ``name`` into ``<data dir>/<folder>/`` and verify them."""
    info = get_dataset(name)
    base = data_dir(root)
    if base is None:
        raise DataError(f"set {DATA_ENV} (or pass a data folder) to say where datasets are stored")
    if not info.downloads:
        raise DataError(f"dataset {name!r} has no official download; see its README for how to obtain it")
    if info.find_source(base) is not None and not force:
        log.info("%s is already present at %s (use force=True to download again)", name, info.find_source(base))
        return [info.find_source(base)]  # type: ignore[list-item]
    paths = []
    for d in info.downloads:
        paths.append(_download_one(info.name, d, base / info.folder, progress))
    if info.manifest:
        try:
            verify_against_manifest(paths[0], info.manifest)
        except CorruptFileError:
            for p in paths:  # a download that fails verification must not become the dataset's source
                p.unlink(missing_ok=True)
            raise
    return paths


def verify_against_manifest(path: Path, manifest: str | tuple[str, ...]) -> int:
    """Check every file of a source against a packaged manifest; returns how many were checked.

    Raises :class:`CorruptFileError` if a file differs; files of the published list that the source
    lacks are reported in the log (an official zip may lay out its top-level files differently).
    """
    tree = open_tree(path, load_manifest(manifest))
    covered = [m for m in tree.members() if manifest_key(m) in tree.manifest]
    for _ in tree.iter_files(covered):
        pass
    missing = len(tree.manifest) - len({manifest_key(m) for m in covered})
    if tree.verified == 0:
        raise CorruptFileError(path, "no file matches the published file list (wrong archive?)")
    if missing:
        log.warning("%s: %d of the %d published files were not found in it", path, missing, len(tree.manifest))
    return tree.verified


def _download_one(name: str, d: Download, folder: Path, progress: Progress | None) -> Path:
    dest = folder / d.filename
    log.info("downloading %s -> %s", d.url, dest)
    digest = fetch(d.url, dest, d.sha256, d.size, progress)
    if d.sha256 is None:
        (folder / (d.filename + ".sha256")).write_text(f"{digest}  {d.filename}\n")
        log.warning("%s: no published archive checksum; computed sha256 %s was saved next to the file", name, digest)
    return dest
