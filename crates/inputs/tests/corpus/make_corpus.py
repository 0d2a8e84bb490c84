#!/usr/bin/env python3
"""Writes the hostile inputs archives of this folder, byte for byte.

The archives are committed; this script says how each was made and remakes them
(`python3 make_corpus.py`, standard library only). Python's zipfile writes names and
attributes the Rust zip writer refuses, and the size and checksum fields are patched
afterwards, so the corpus holds what an attacker can send, not what a well-behaved
writer produces. `tests/corpus.rs` replays every archive here against `expected.tsv`.
"""

import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
MODEL = b"use FRED::Influenza\nlocations = Test_Town\ndays = 10\n"
# The corpus test extracts with these limits (see tests/corpus.rs).
MAX_BYTES = 16 << 20
MAX_ENTRIES = 100


def archive(name, entries, compression=zipfile.ZIP_DEFLATED):
    """entries: (ZipInfo or name, bytes) pairs, written in order."""
    path = HERE / name
    with zipfile.ZipFile(path, "w", compression) as zf:
        for info, data in entries:
            if isinstance(info, str):
                info = zipfile.ZipInfo(info, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = compression
            zf.writestr(info, data)
    return path


def link(name, target):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.create_system = 3  # Unix, so the mode bits below are read
    info.external_attr = (0o120777 << 16)  # S_IFLNK | rwxrwxrwx
    return info, target.encode()


def patch_sizes(path, declared):
    """Sets every entry's declared uncompressed size to `declared` (local and central)."""
    data = bytearray(path.read_bytes())
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) != -1:
        struct.pack_into("<I", data, at + 22, declared)
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        struct.pack_into("<I", data, at + 24, declared)
        at += 4
    path.write_bytes(data)


def replace_in_names(path, old, new):
    """Rewrites entry names in place; Python's zipfile cuts names at a NUL byte itself."""
    path.write_bytes(path.read_bytes().replace(old, new))


def flip_data_byte(path):
    """Corrupts the first entry's stored data, leaving its declared checksum."""
    data = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", data, 26)
    data[30 + name_len + extra_len] ^= 0xFF
    path.write_bytes(data)


def main():
    archive("zip-slip.zip", [("main.fred", MODEL), ("../../escaped.txt", b"pwned")])
    archive("backslash-slip.zip", [("..\\..\\escaped.txt", b"pwned")])
    archive("absolute-path.zip", [("/tmp/fredbatch-escaped.txt", b"pwned")])
    archive("drive-letter.zip", [("C:\\escaped.txt", b"pwned")])
    nul = archive("nul-in-name.zip", [("main.fred@.txt", MODEL)])
    replace_in_names(nul, b"main.fred@", b"main.fred\0")
    archive("symlink.zip", [link("passwd", "/etc/passwd")])
    # The classic two-step: a link out of the workspace, then a file written through it.
    archive("symlink-then-write.zip", [link("out", "/tmp"), ("out/escaped.txt", b"pwned")])
    archive("duplicate-entry.zip", [("main.fred", MODEL), ("main.fred", b"days = 1\n")])
    # 64 MiB of zeros deflate to about 64 KiB: four times the corpus limit.
    archive("zip-bomb.zip", [("main.fred", MODEL), ("zeros.txt", bytes(64 << 20))])
    # The same bomb with headers claiming 100 bytes: what is written is held to what an entry
    # declares, so it stops 101 bytes in.
    bomb = archive("lying-size.zip", [("zeros.txt", bytes(64 << 20))])
    patch_sizes(bomb, 100)
    archive(
        "too-many-entries.zip",
        [(f"f{i}.txt", b"") for i in range(MAX_ENTRIES + 1)],
        zipfile.ZIP_STORED,
    )
    flip_data_byte(archive("bad-checksum.zip", [("main.fred", MODEL)], zipfile.ZIP_STORED))
    whole = archive("truncated.zip", [("main.fred", MODEL * 50)]).read_bytes()
    (HERE / "truncated.zip").write_bytes(whole[: len(whole) // 2])
    (HERE / "not-a-zip.zip").write_bytes(b"FRED model, honest\n" * 20)
    (HERE / "empty-file.zip").write_bytes(b"")


if __name__ == "__main__":
    main()
