"""Read dataset files as published: an extracted folder, a ``.tar.*`` or a ``.zip`` archive.

Loaders see a :class:`FileTree` and never care which one it is. Archives are read member by member
without extracting them to disk. When a sha256 manifest of the original files is known (shipped in
``mujo_edge/data/manifests``), every member read is checked against it, so a corrupted or truncated
file raises :class:`CorruptFileError` naming the file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path, PurePosixPath

from mujo_edge.errors import CorruptFileError, DataError

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip")
_READ_ERRORS = (tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError, zlib.error, EOFError, OSError)


def manifest_key(path: str) -> str:
    """Key that identifies a file independently of the folder it was unpacked into: its last two parts."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return "/".join(parts[-2:])


def load_manifest(names: str | tuple[str, ...]) -> dict[str, str]:
    """Read packaged manifests (``digest  path`` lines) into ``{manifest_key: digest}``.

    A digest is a sha256 (64 hex digits) or, where only that is published, a git blob id (40 hex
    digits: sha1 of ``b"blob <size>\\0" + content``, what ``git hash-object`` prints). With several
    manifests, a sha256 wins over a git blob id for the same file.
    """
    out: dict[str, str] = {}
    for name in (names,) if isinstance(names, str) else names:
        text = resources.files("mujo_edge.data.manifests").joinpath(name).read_text()
        for line in text.splitlines():
            if line.strip():
                digest, path = line.split(maxsplit=1)
                key = manifest_key(path.strip().lstrip("*"))
                if len(out.get(key, "")) != 64:
                    out[key] = digest.lower()
    return out


def file_digest(data: bytes, like: str) -> str:
    """The digest of ``data`` in the kind of ``like``: sha256 for 64 hex digits, git blob sha1 for 40."""
    if len(like) == 40:
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return hashlib.sha256(data).hexdigest()


class FileTree:
    """Files of one dataset source. Members are POSIX paths relative to the source root."""

    def __init__(self, path: Path, manifest: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.manifest = manifest or {}
        self.verified = 0
        self.unlisted: list[str] = []  # members read that the published file list does not name (unverified)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def members(self) -> list[str]:
        """All file members, sorted."""
        raise NotImplementedError

    def _iter(self, members: set[str]) -> Iterator[tuple[str, bytes]]:
        raise NotImplementedError

    def glob(self, pattern: str) -> list[str]:
        """Members matching a shell pattern (``*`` also crosses ``/``)."""
        return [m for m in self.members() if fnmatch.fnmatch(m, pattern)]

    def iter_files(self, members: list[str]) -> Iterator[tuple[str, bytes]]:
        """Yield ``(member, bytes)`` for ``members`` (archive order), verified against the manifest."""
        wanted = set(members)
        missing = wanted - set(self.members())
        if missing:
            raise DataError(f"{self.path}: missing member(s) {sorted(missing)[:5]}")
        for member, data in self._iter(wanted):
            self._verify(member, data)
            yield member, data
        unlisted = sorted(m for m in wanted if manifest_key(m) not in self.manifest) if self.manifest else []
        if unlisted:
            self.unlisted += unlisted
            log.warning("%s: %d file(s) read are not in the published file list, so they were not verified: %s%s",
                        self.path, len(unlisted), ", ".join(unlisted[:5]), " ..." if len(unlisted) > 5 else "")

    def read(self, member: str) -> bytes:
        """Bytes of one member."""
        for _, data in self.iter_files([member]):
            return data
        raise DataError(f"{self.path}: no member {member!r}")

    def view(self, members: list[str]) -> FileTree:
        """The same files restricted to ``members`` (e.g. one subject's files, fewer to parse)."""
        sub = type(self)(self.path, self.manifest)
        sub._members = sorted(members)
        return sub

    def where(self, member: str) -> str:
        """Human-readable location of a member, for error messages."""
        return f"{self.path}/{member}" if self.path.is_dir() else f"{self.path}:{member}"

    def _verify(self, member: str, data: bytes) -> None:
        expected = self.manifest.get(manifest_key(member))
        if expected is None:
            return
        got = file_digest(data, expected)
        if got != expected:
            kind = "git blob id" if len(expected) == 40 else "sha256"
            raise CorruptFileError(self.where(member), f"{kind} {got[:16]}... does not match the published "
                                   f"{expected[:16]}... (corrupted or modified file)")
        self.verified += 1


class DirTree(FileTree):
    """An extracted folder."""

    def members(self) -> list[str]:
        if not hasattr(self, "_members"):
            self._members = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())
        return self._members

    def _iter(self, members: set[str]) -> Iterator[tuple[str, bytes]]:
        for m in sorted(members):
            try:
                yield m, (self.path / m).read_bytes()
            except OSError as exc:
                raise CorruptFileError(self.where(m), f"cannot read ({exc})") from exc


class TarTree(FileTree):
    """A tar archive (optionally xz/gz/bz2 compressed), read in one sequential pass."""

    def members(self) -> list[str]:
        if not hasattr(self, "_members"):
            try:
                with tarfile.open(self.path, "r:*") as tf:
                    self._members = sorted(m.name for m in tf.getmembers() if m.isfile())
            except _READ_ERRORS as exc:
                raise CorruptFileError(self.path, f"truncated or corrupted archive ({type(exc).__name__}: {exc})") from exc
        return self._members

    def _iter(self, members: set[str]) -> Iterator[tuple[str, bytes]]:
        try:
            with tarfile.open(self.path, "r:*") as tf:
                for info in tf:
                    if info.isfile() and info.name in members:
                        f = tf.extractfile(info)
                        data = f.read() if f is not None else b""
                        if len(data) != info.size:
                            raise CorruptFileError(self.where(info.name), f"truncated: {len(data)} of {info.size} bytes")
                        yield info.name, data
        except _READ_ERRORS as exc:
            raise CorruptFileError(self.path, f"truncated or corrupted archive ({type(exc).__name__}: {exc})") from exc


class ZipTree(FileTree):
    """A zip archive (members checked by their CRC as well)."""

    def members(self) -> list[str]:
        if not hasattr(self, "_members"):
            try:
                with zipfile.ZipFile(self.path) as zf:
                    self._members = sorted(
                        i.filename for i in zf.infolist()
                        if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                    )
            except _READ_ERRORS as exc:
                raise CorruptFileError(self.path, f"truncated or corrupted zip ({type(exc).__name__}: {exc})") from exc
        return self._members

    def _iter(self, members: set[str]) -> Iterator[tuple[str, bytes]]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                for m in sorted(members):
                    yield m, zf.read(m)
        except _READ_ERRORS as exc:
            raise CorruptFileError(self.path, f"truncated or corrupted zip ({type(exc).__name__}: {exc})") from exc


class SingleFileTree(FileTree):
    """A single published file (e.g. ``MyoGym.mat``) seen as a tree with one member."""

    def members(self) -> list[str]:
        return [self.path.name]

    def where(self, member: str) -> str:
        return str(self.path)

    def _iter(self, members: set[str]) -> Iterator[tuple[str, bytes]]:
        try:
            yield self.path.name, self.path.read_bytes()
        except OSError as exc:
            raise CorruptFileError(self.path, f"cannot read ({exc})") from exc


def open_tree(path: Path, manifest: dict[str, str] | None = None) -> FileTree:
    """Open a folder, an archive or a single data file as a :class:`FileTree`."""
    path = Path(path)
    if path.is_dir():
        return DirTree(path, manifest)
    name = path.name.lower()
    if name.endswith(".zip"):
        return ZipTree(path, manifest)
    if any(name.endswith(s) for s in ARCHIVE_SUFFIXES):
        return TarTree(path, manifest)
    if path.is_file():
        return SingleFileTree(path, manifest)
    raise DataError(f"{path}: not a folder, a file or a known archive ({', '.join(ARCHIVE_SUFFIXES)})")


def fingerprint(path: Path) -> str:
    """Cheap identity of a source (sizes and mtimes of its files), for cache keys."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]
