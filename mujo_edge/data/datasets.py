"""The dataset registry: what each dataset is, where its files are, how to get it, how to read it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mujo_edge.data.filetree import FileTree, load_manifest, open_tree
from mujo_edge.data.recording import Recording
from mujo_edge.errors import CorruptFileError, DatasetNotFoundError, UnknownNameError
from mujo_edge.paths import DATA_ENV, data_dir
from mujo_edge.provenance import sha256_file
from mujo_edge.registry import Registry

log = logging.getLogger(__name__)

Loader = Callable[[FileTree, str], list[Recording]]


@dataclass(frozen=True)
class Download:
    """An official download: URL, file name under the dataset folder, and what to check it against.

    ``sha256`` / ``size`` are the archive's own values where they are published or were measured;
    where they are not known, the member manifest of the dataset (if any) verifies the content.
    """

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None
    note: str = ""


@dataclass(frozen=True)
class OfficialSplit:
    """A split published with the dataset (or used by its authors)."""

    name: str
    test: tuple[str, ...]
    val: tuple[str, ...] | None = None
    note: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    """Everything mujo-edge knows about one dataset.

    Attributes:
        name: registry name (``motionsense``).
        title: human name.
        folder: sub-folder of ``MUJO_EDGE_DATA_DIR`` holding its files.
        locations: file or folder names inside ``folder`` to read from, first found wins (extracted
            folders first, then archives).
        native_rate_hz: sample rate of the original files, Hz.
        channels: channels the loader yields (SI units).
        class_names: class index → name.
        n_subjects: number of subjects in the full dataset.
        placements: body sites available; the first is the default.
        loader: ``loader(tree, placement) -> list[Recording]``.
        downloads: official downloads.
        manifest: packaged manifest(s) of the original files (``mujo_edge/data/manifests``: sha256 or git blob ids).
        official_split: the dataset's own subject split, if it has one.
        subject_ids_known: False when files carry no subject id (k-fold is then refused).
        citation, licence, notes: shown by ``mujo-edge data list``.
    """

    name: str
    title: str
    folder: str
    locations: tuple[str, ...]
    native_rate_hz: float
    channels: tuple[str, ...]
    class_names: tuple[str, ...]
    n_subjects: int
    placements: tuple[str, ...]
    loader: Loader
    downloads: tuple[Download, ...] = ()
    manifest: str | tuple[str, ...] | None = None
    official_split: OfficialSplit | None = None
    subject_ids_known: bool = True
    citation: str = ""
    licence: str = ""
    notes: str = ""
    units_note: str = ""
    extra: dict = field(default_factory=dict)
    home: Path | None = None  # an imported dataset's own folder (found there, not under MUJO_EDGE_DATA_DIR)

    def find_source(self, root: str | Path | None = None) -> Path | None:
        """Path of the first source present under ``root/folder`` (``root`` defaults to the data dir);
        an imported dataset is always in its own folder."""
        if self.home is not None:
            return self.home if self.home.is_dir() else None
        base = data_dir(root)
        if base is None:
            return None
        for src in self.locations:
            p = base / self.folder / src
            if p.exists():
                return p
        return None

    def missing_message(self, root: str | Path | None = None) -> str:
        """Why the dataset is not available and how to get it."""
        if self.home is not None:
            return f"imported dataset {self.name!r}: its folder {self.home} is gone; import it again (mujo-edge data import)"
        base = data_dir(root)
        where = (f"{base / self.folder}" if base is not None
                 else f"${DATA_ENV} (not set; point it at the folder that holds one sub-folder per dataset)")
        wanted = " or ".join(self.locations)
        lines = [f"dataset {self.name!r} ({self.title}) not found: looked for {wanted} in {where}."]
        if self.downloads:
            lines.append(f"Get it with `mujo-edge data download {self.name}` (needs internet), or by hand from:")
            lines += [f"  {d.url}  ->  <{DATA_ENV}>/{self.folder}/{d.filename}" for d in self.downloads]
        return "\n".join(lines)

    def open(self, root: str | Path | None = None, verify: bool = True) -> FileTree:
        """Open the dataset's source as a tree, or raise :class:`DatasetNotFoundError` saying how to get it.

        With ``verify`` (default) every file read is checked against the published sha256 manifest.
        """
        src = self.find_source(root)
        if src is None:
            raise DatasetNotFoundError(self.missing_message(root))
        if not verify:
            return open_tree(src, None)
        check_download_record(src)
        digests = self.extra.get("file_digests")  # an imported dataset lists its converted files' sha256
        return open_tree(src, load_manifest(self.manifest) if self.manifest else digests)

    def load(self, root: str | Path | None = None, placement: str | None = None, verify: bool = True) -> list[Recording]:
        """Read all recordings (SI units, native rate) of one placement (default: the first).

        ``verify=False`` skips the sha256 check of the original files (for files you changed on purpose).
        """
        placement = placement or self.placements[0]
        if placement not in self.placements:
            raise UnknownNameError(f"placement of {self.name}", placement, self.placements)
        tree = self.open(root, verify)
        recs = self.loader(tree, placement)
        log.info("%s: %d recordings from %s (%d files checked against the published sha256)",
                 self.name, len(recs), tree.path, tree.verified)
        return recs


def check_download_record(path: Path) -> None:
    """Compare a downloaded file with the sha256 ``mujo-edge data download`` wrote beside it (``<file>.sha256``).

    Where no archive checksum is published, the download records the one it computed; reading it back
    here catches an archive that changed (a partial copy, disk corruption) since it was downloaded.
    """
    record = path.with_name(path.name + ".sha256")
    if not (path.is_file() and record.is_file()):
        return
    try:
        expected = record.read_text(encoding="utf-8").split()[0].lower()
    except (OSError, IndexError, UnicodeDecodeError) as exc:
        raise CorruptFileError(record, f"unreadable download record ({exc})") from exc
    digest = sha256_file(path)
    if digest != expected:
        raise CorruptFileError(path, f"sha256 {digest[:16]}... differs from the {expected[:16]}... recorded in "
                                     f"{record.name} when it was downloaded: the file changed since; download it "
                                     f"again (mujo-edge data download NAME --force)")


DATASETS: Registry[DatasetInfo] = Registry("dataset")


def get_dataset(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` named ``name`` (built in, or imported with ``mujo-edge data import``);
    unknown names raise with the list of valid ones."""
    from mujo_edge.data.loaders.imported import refresh  # registers every dataset (loader modules register on import)

    refresh()
    return DATASETS.get(name)


def dataset_names() -> list[str]:
    """All registered dataset names (built in first, then imported ones)."""
    from mujo_edge.data.loaders.imported import refresh  # registers every dataset (loader modules register on import)

    refresh()
    return DATASETS.names()


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    """Add a dataset to :data:`DATASETS` under ``info.name`` (used by the loader modules)."""
    DATASETS.add(info.name, info)
    return info
