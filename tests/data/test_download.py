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


def test_packaged_references_of_mhealth_myogym_and_mmfit_match_the_shared_copies():
    """The reference digests in ../shared/data are packaged and used: sha256 for MHEALTH, git blob ids for
    MyoGym and the whole MM-Fit tree (labels also by sha256)."""
    from mujo_edge.data.filetree import load_manifest

    assert get_dataset("mhealth").manifest and len(load_manifest(get_dataset("mhealth").manifest)) == 10
    assert load_manifest(get_dataset("myogym").manifest) == {"MyoGym.mat": "81be7eaed65fc76471655f53e10432cf99c8a7cb"}
    mm = load_manifest(get_dataset("mmfit").manifest)
    assert sum(len(v) == 40 for v in mm.values()) == 302  # every file of the full mm-fit/ tree by git blob id
    assert len(mm["w00/w00_sw_l_acc.npy"]) == 40 and len(mm["w00_labels.csv"]) == 64  # the label files also by sha256


def test_git_blob_manifests_verify_and_name_a_mismatch(tmp_path):
    from mujo_edge.data.filetree import SingleFileTree, file_digest

    good = tmp_path / "MyoGym.mat"
    good.write_bytes(b"matlab 5.0 file")
    blob = file_digest(good.read_bytes(), "0" * 40)
    assert blob == hashlib.sha1(b"blob 15\0matlab 5.0 file").hexdigest()  # what `git hash-object` prints
    tree = SingleFileTree(good, {"MyoGym.mat": blob})
    assert tree.read("MyoGym.mat") and tree.verified == 1
    with pytest.raises(CorruptFileError, match="git blob id .* does not match the published"):
        SingleFileTree(good, {"MyoGym.mat": "1" * 40}).read("MyoGym.mat")


def test_files_outside_the_published_list_are_reported(tmp_path, caplog):
    from mujo_edge.data.filetree import open_tree

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "listed.txt").write_text("a")
    (tmp_path / "d" / "extra.txt").write_text("b")
    tree = open_tree(tmp_path / "d", {"listed.txt": hashlib.sha256(b"a").hexdigest()})
    list(tree.iter_files(["listed.txt", "extra.txt"]))
    assert tree.verified == 1 and tree.unlisted == ["extra.txt"]
    assert "not in the published file list, so they were not verified: extra.txt" in caplog.text


def test_the_checksum_written_at_download_is_read_back(tmp_path, patched_hmp):
    """Without a published archive checksum the download records its own; a later change is caught."""
    folder = write_hmp(tmp_path / "fake") / "hmp_wrist" / "HMP_Dataset"
    info = patched_hmp(zip_folder(folder, tmp_path / "fake.zip").as_uri())
    data = tmp_path / "data"
    (data / "hmp_wrist").mkdir(parents=True)
    archive = data / "hmp_wrist" / "HMP_Dataset.zip"
    archive.write_bytes((tmp_path / "fake.zip").read_bytes())
    (data / "hmp_wrist" / "HMP_Dataset.zip.sha256").write_text(f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  x\n")
    info.open(data, verify=False)  # verify=False: the synthetic files are not the published ones
    info.open(data)  # the recorded sha256 matches
    archive.write_bytes(archive.read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match="recorded in HMP_Dataset.zip.sha256 when it was downloaded"):
        info.open(data)
