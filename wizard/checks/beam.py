"""The exported function names of a compiled Erlang module (.beam), read without Erlang.

ejabberd generates one function per option (``ejabberd_option``, ``mod_muc_opt``, ...),
so a release's exports are the authoritative list of the options it accepts.
Format: an IFF container ("FOR1" size "BEAM") of chunks; the atom table (AtU8) and the
export table (ExpT) are all that is needed.
"""

from __future__ import annotations

import struct
from pathlib import Path


class BeamError(ValueError):
    """Not a .beam file this reader understands."""


def exported_names(path: Path) -> set[str]:
    """The names of the functions ``path`` exports (``module_info`` left out)."""
    chunks = _chunks(path.read_bytes())
    atoms = _atoms(chunks.get(b"AtU8") or chunks.get(b"Atom") or b"")
    exports = chunks.get(b"ExpT")
    if exports is None:
        raise BeamError(f"{path}: no export table")
    (count,) = struct.unpack_from(">I", exports)
    names = set()
    for index in range(count):
        atom, _arity, _label = struct.unpack_from(">III", exports, 4 + 12 * index)
        names.add(atoms[atom - 1])
    return names - {"module_info"}


def _chunks(data: bytes) -> dict[bytes, bytes]:
    if data[:4] != b"FOR1" or data[8:12] != b"BEAM":
        raise BeamError("not a BEAM file")
    chunks, offset = {}, 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4]
        (size,) = struct.unpack_from(">I", data, offset + 4)
        chunks[chunk_id] = data[offset + 8:offset + 8 + size]
        offset += 8 + ((size + 3) & ~3)  # chunks are padded to 4 bytes
    return chunks


def _atoms(table: bytes) -> list[str]:
    if len(table) < 4:
        raise BeamError("no atom table")
    (count,) = struct.unpack_from(">i", table)
    # Since OTP 28 a negative count means lengths in the compact term encoding (atoms may
    # be longer than 255 bytes); before, each length is one byte.
    compact = count < 0
    atoms, offset = [], 4
    for _ in range(abs(count)):
        if compact:
            length, offset = _compact_length(table, offset)
        else:
            length, offset = table[offset], offset + 1
        atoms.append(table[offset:offset + length].decode("utf-8"))
        offset += length
    return atoms


def _compact_length(data: bytes, offset: int) -> tuple[int, int]:
    first = data[offset]
    if not first & 0x08:  # 4-bit value in the high nibble
        return first >> 4, offset + 1
    if not first & 0x10:  # 11-bit value: 3 high bits here, 8 in the next byte
        return ((first & 0xE0) << 3) | data[offset + 1], offset + 2
    size = (first >> 5) + 2
    return int.from_bytes(data[offset + 1:offset + 1 + size], "big"), offset + 1 + size
