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


# --- garbage collection -------------------------------------------------------------------------

HOUR = 3600


def age(path, seconds):
    """Make a stored file look `seconds` old."""
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


def collect(store, referenced=(), *, grace=HOUR, dry_run=False):
    return store.collect_garbage(lambda: iter(referenced), grace_seconds=grace, dry_run=dry_run)


def test_collection_removes_old_unreferenced_files_and_keeps_referenced_and_young_ones(store):
    kept = store.put(b"named by a row")
    gone = store.put(b"named by no row any more")
    young = store.put(b"just uploaded, its row not committed yet")
    for key in (kept, gone):
        age(store.path_for(key), 2 * HOUR)

    report = collect(store, referenced=[kept])

    assert store.exists(kept) and store.exists(young) and not store.exists(gone)
    assert (report.files, report.referenced, report.young, report.removed) == (3, 1, 1, 1)
    assert report.removed_bytes == len(b"named by no row any more")


def test_a_dry_run_counts_and_removes_nothing(store):
    key = store.put(PHOTO)
    age(store.path_for(key), 2 * HOUR)

    report = collect(store, dry_run=True)

    assert store.open(key) == PHOTO
    assert (report.removed, report.removed_bytes) == (1, len(PHOTO))


def test_storing_content_that_is_already_there_makes_its_file_young_again(store):
    key = store.put(PHOTO)
    age(store.path_for(key), 2 * HOUR)

    store.put(PHOTO)  # a second upload of the same photo, whose row is not committed yet

    assert collect(store).removed == 0
    assert store.exists(key)


def test_a_file_stored_again_while_the_collector_asks_the_database_is_kept(store):
    """The race: listed as old, then an upload of the same content, then its row not yet visible."""
    key = store.put(PHOTO)
    age(store.path_for(key), 2 * HOUR)

    def references_while_an_upload_arrives():
        store.put(PHOTO)
        return []

    report = store.collect_garbage(references_while_an_upload_arrives, grace_seconds=HOUR)

    assert store.open(key) == PHOTO
    assert (report.removed, report.young) == (0, 1)


def test_an_upload_that_finds_its_file_set_aside_writes_it_again(store, monkeypatch):
    key = store.put(PHOTO)
    path = store.path_for(key)
    original_utime = storage.os.utime

    def collector_sets_it_aside_first(target, *args, **kwargs):
        if str(target) == str(path) and path.exists():
            path.unlink()  # the collector renamed it between put's stat and its utime
        return original_utime(target, *args, **kwargs)

    monkeypatch.setattr(storage.os, "utime", collector_sets_it_aside_first)

    assert store.put(PHOTO) == key
    assert store.open(key) == PHOTO


def test_leftovers_of_interrupted_writes_and_collections_are_handled(store):
    kept = store.put(PHOTO)
    gone = store.put(b"unreferenced")
    folder = store.path_for(kept).parent
    incoming = folder / ".incoming-abc123"
    incoming.write_bytes(b"half a file")
    # A collection that died after setting a referenced file aside: it must come back.
    os.replace(store.path_for(kept), folder / (storage.COLLECTING_PREFIX + kept))
    for path in (incoming, folder / (storage.COLLECTING_PREFIX + kept), store.path_for(gone)):
        age(path, 2 * HOUR)

    report = collect(store, referenced=[kept])

    assert store.open(kept) == PHOTO
    assert not store.exists(gone) and not incoming.exists()
    assert report.removed == 2
    assert files_under(store.root) == [f"{kept[:2]}/{kept[2:4]}/{kept}"]


def test_files_that_are_not_the_stores_own_are_left_alone(store):
    stray = store.root / "README.txt"
    store.root.mkdir(parents=True)
    stray.write_text("not evidence")
    age(stray, 2 * HOUR)

    assert collect(store).files == 0
    assert stray.exists()


def test_an_empty_or_missing_store_collects_nothing(tmp_path):
    assert collect(EvidenceStore(tmp_path / "never-created")).files == 0
