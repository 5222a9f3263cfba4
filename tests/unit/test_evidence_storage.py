"""The content-addressed evidence store on a temporary directory."""

import hashlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from outlet_audit.evidence import storage
from outlet_audit.evidence.storage import EvidenceStore, StoredFileCorrupted

PHOTO = b"\xff\xd8\xff\xe0 pretend photo bytes \xff\xd9"
PHOTO_KEY = hashlib.sha256(PHOTO).hexdigest()


@pytest.fixture
def store(tmp_path):
    return EvidenceStore(tmp_path / "evidence")


def files_under(root):
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


@pytest.mark.parametrize("data", [PHOTO, b"", "承诺书".encode(), bytes(range(256)) * 4096])
def test_round_trip(store, data):
    key = store.put(data)

    assert key == hashlib.sha256(data).hexdigest()
    assert store.exists(key)
    assert store.open(key) == data


def test_files_fan_out_by_the_first_two_byte_pairs(store, tmp_path):
    key = store.put(PHOTO)

    expected = tmp_path / "evidence" / key[:2] / key[2:4] / key
    assert store.path_for(key) == expected
    assert expected.read_bytes() == PHOTO
    assert files_under(tmp_path / "evidence") == [f"{key[:2]}/{key[2:4]}/{key}"]


def test_stored_files_are_not_world_readable(store):
    mode = stat.S_IMODE(store.path_for(store.put(PHOTO)).stat().st_mode)

    assert mode == storage.FILE_MODE and not mode & stat.S_IROTH


def test_the_same_content_twice_is_stored_once_and_not_rewritten(store, tmp_path):
    first = store.put(PHOTO)
    inode = store.path_for(first).stat().st_ino

    second = store.put(bytes(PHOTO))

    assert second == first
    assert store.path_for(first).stat().st_ino == inode
    assert files_under(tmp_path / "evidence") == [f"{first[:2]}/{first[2:4]}/{first}"]


def test_different_contents_get_different_files(store, tmp_path):
    keys = {store.put(PHOTO), store.put(PHOTO + b"!"), store.put(b"%PDF-1.7 ...")}

    assert len(keys) == 3
    assert len(files_under(tmp_path / "evidence")) == 3


def test_concurrent_puts_of_the_same_content_leave_one_complete_file(store, tmp_path):
    data = os.urandom(256 * 1024)

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: store.put(data), range(32)))

    (key,) = keys
    assert store.open(key) == data
    assert files_under(tmp_path / "evidence") == [f"{key[:2]}/{key[2:4]}/{key}"]


def test_a_failed_write_leaves_no_file_and_no_temporary_behind(store, tmp_path, monkeypatch):
    def refuse(*args):
        raise OSError("disk full")

    monkeypatch.setattr(storage.os, "replace", refuse)

    with pytest.raises(OSError, match="disk full"):
        store.put(PHOTO)

    assert not store.exists(PHOTO_KEY)
    assert files_under(tmp_path / "evidence") == []


def test_a_truncated_copy_is_written_again(store):
    path = store.path_for(store.put(PHOTO))
    path.write_bytes(PHOTO[:5])

    store.put(PHOTO)

    assert store.open(PHOTO_KEY) == PHOTO


def test_open_refuses_bytes_that_no_longer_match_their_key(store):
    path = store.path_for(store.put(PHOTO))
    path.write_bytes(PHOTO.replace(b"pretend", b"altered"))

    with pytest.raises(StoredFileCorrupted):
        store.open(PHOTO_KEY)


def test_missing_content(store):
    assert not store.exists(PHOTO_KEY)
    with pytest.raises(FileNotFoundError):
        store.open(PHOTO_KEY)


BAD_KEYS = [
    "../../etc/passwd",
    "../" + PHOTO_KEY[3:],
    PHOTO_KEY[:2] + "/" + PHOTO_KEY[3:],
    "/" + PHOTO_KEY[1:],
    PHOTO_KEY.upper(),
    PHOTO_KEY[:63],
    PHOTO_KEY + "0",
    PHOTO_KEY + "\n",
    " " + PHOTO_KEY[1:],
    "g" * 64,
    "",
    None,
    PHOTO_KEY.encode(),
    int(PHOTO_KEY, 16),
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("method", ["open", "path_for", "exists"])
def test_keys_that_are_not_64_lowercase_hex_digits_are_refused(store, method, key):
    store.put(PHOTO)

    with pytest.raises(ValueError, match="not a sha256 key"):
        getattr(store, method)(key)
