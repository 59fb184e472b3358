"""Download code against local file:// URLs (tests never touch the network)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from synth_datasets import write_hmp, zip_folder

from mujo_edge.data import DATASETS, get_dataset
from mujo_edge.data.datasets import Download
from mujo_edge.data.download import download_dataset, fetch
from mujo_edge.errors import CorruptFileError, DataError


def test_fetch_checks_sha256_and_size(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 5000)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert fetch(src.as_uri(), tmp_path / "out" / "a.bin", sha256=digest, size=5000) == digest
    with pytest.raises(CorruptFileError, match="does not match the published"):
        fetch(src.as_uri(), tmp_path / "out" / "b.bin", sha256="0" * 64)
    with pytest.raises(CorruptFileError, match="expected 4000"):
        fetch(src.as_uri(), tmp_path / "out" / "c.bin", size=4000)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin"]  # no partial files left


def test_unreachable_url_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="cannot download"):
        fetch((tmp_path / "nope.zip").as_uri(), tmp_path / "x.zip")


@pytest.fixture
def patched_hmp(monkeypatch):
    """Point the hmp registry entry's download at a local URL for the duration of a test."""
    def patch(url: str, filename: str = "HMP_Dataset.zip", **kw):
        info = dataclasses.replace(get_dataset("hmp"), downloads=(Download(url=url, filename=filename, **kw),))
        monkeypatch.setitem(DATASETS._items, "hmp", info)
        return info
    return patch


def test_download_dataset_verifies_members_against_the_published_manifest(tmp_path, patched_hmp, require_dataset):
    root = require_dataset("hmp")
    import tarfile

    with tarfile.open(root / "hmp_wrist" / "HMP_Dataset.tar.xz") as tf:
        tf.extractall(tmp_path / "x", filter="data")
    archive = zip_folder(tmp_path / "x" / "HMP_Dataset", tmp_path / "official.zip")
    patched_hmp(archive.as_uri())
    paths = download_dataset("hmp", tmp_path / "data")
    assert paths == [tmp_path / "data" / "hmp_wrist" / "HMP_Dataset.zip"]
    assert (tmp_path / "data" / "hmp_wrist" / "HMP_Dataset.zip.sha256").exists()  # computed, no published sum
    assert len(get_dataset("hmp").load(tmp_path / "data")) == 839


def test_download_with_wrong_content_fails(tmp_path, patched_hmp):
    folder = write_hmp(tmp_path / "fake") / "hmp_wrist" / "HMP_Dataset"
    patched_hmp(zip_folder(folder, tmp_path / "fake.zip").as_uri())
    with pytest.raises(CorruptFileError, match="does not match the published"):
        download_dataset("hmp", tmp_path / "data")
    assert not (tmp_path / "data" / "hmp_wrist" / "HMP_Dataset.zip").exists()


def test_download_needs_a_data_dir(monkeypatch):
    monkeypatch.delenv("MUJO_EDGE_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="MUJO_EDGE_DATA_DIR"):
        download_dataset("hmp")
