"""A small, bounds-checked FlatBuffers reader for checking model containers before a runtime sees them.

The native runtimes trust their input to different degrees: the TensorFlow Lite Micro interpreter does
not verify the flatbuffer at all, and ExecuTorch's default (``Minimal``) verification only looks at the
header, so a damaged file can make them read out of bounds or turn garbage into a Python string inside
native code (which aborts the process). :class:`FlatBuffer` reads only what mujo-edge needs (tables,
scalars, strings, vectors) and checks every offset and length against the buffer first; any violation
raises the error made by ``fail(message)``, never an ``IndexError`` or a crash.

Layout reminders (FlatBuffers binary format, little-endian): the buffer starts with a ``uoffset`` (u32)
to the root table, optionally followed by a 4-byte file identifier; a table starts with a signed
``soffset`` (i32) back to its vtable; a vtable is ``[u16 vtable bytes, u16 table bytes, u16 field
offsets...]``; a field slot ``i`` is at vtable entry ``2 + i``; vectors and strings are reached by a
``uoffset`` relative to where it is stored and start with a u32 element count (strings end with NUL).
A union occupies two slots: the type (u8) and the value (offset to a table).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from mujo_edge.errors import MujoEdgeError

#: struct format and size of the scalar kinds used here
SCALARS: dict[str, tuple[str, int]] = {
    "u8": ("<B", 1), "i8": ("<b", 1), "bool": ("<?", 1), "u16": ("<H", 2), "i16": ("<h", 2), "u32": ("<I", 4),
    "i32": ("<i", 4), "u64": ("<Q", 8), "i64": ("<q", 8), "f32": ("<f", 4), "f64": ("<d", 8),
}
#: most elements read from one vector (a damaged count must not make us allocate gigabytes)
MAX_ELEMENTS = 1 << 24


class FlatBuffer:
    """A flatbuffer in memory; :meth:`root` returns its root table.

    Args:
        data: the whole buffer.
        fail: builds the exception raised for a malformed buffer from a message.
    """

    def __init__(self, data: bytes | bytearray | memoryview, fail: Callable[[str], MujoEdgeError]) -> None:
        self.data = memoryview(bytes(data))
        self.fail = fail

    def __len__(self) -> int:
        return len(self.data)

    def read(self, kind: str, pos: int) -> int | float | bool:
        """The scalar ``kind`` (a key of :data:`SCALARS`) at byte ``pos``."""
        fmt, size = SCALARS[kind]
        if pos < 0 or pos + size > len(self.data):
            raise self.fail(f"{kind} at byte {pos} lies outside the {len(self.data)}-byte buffer")
        return struct.unpack_from(fmt, self.data, pos)[0]

    def identifier(self) -> bytes:
        """The 4-byte file identifier (bytes 4-8), or ``b""`` for a buffer shorter than 8 bytes."""
        return bytes(self.data[4:8]) if len(self.data) >= 8 else b""

    def root(self, identifier: bytes | None = None) -> Table:
        """The root table; with ``identifier``, the file identifier must match it."""
        if len(self.data) < 8:
            raise self.fail(f"{len(self.data)} bytes is too short for a flatbuffer")
        if identifier is not None and self.identifier() != identifier:
            raise self.fail(f"file identifier {self.identifier()!r}, expected {identifier!r} (not this kind of file, "
                            f"or its first bytes are damaged)")
        return self.table_at(int(self.read("u32", 0)))

    def table_at(self, pos: int) -> Table:
        """The table starting at byte ``pos`` (its vtable is checked)."""
        if pos % 4 or pos < 4 or pos + 4 > len(self.data):
            raise self.fail(f"table offset {pos} is misaligned or outside the {len(self.data)}-byte buffer")
        vt = pos - int(self.read("i32", pos))
        if vt % 2 or vt < 0 or vt + 4 > len(self.data):
            raise self.fail(f"vtable of the table at {pos} is at {vt}, outside the buffer")
        vt_len, tb_len = int(self.read("u16", vt)), int(self.read("u16", vt + 2))
        if vt_len < 4 or vt_len % 2 or vt + vt_len > len(self.data) or tb_len < 4 or pos + tb_len > len(self.data):
            raise self.fail(f"vtable at {vt} declares sizes {vt_len}/{tb_len} that do not fit the buffer")
        return Table(self, pos, vt, vt_len, tb_len)

    def deref(self, pos: int) -> int:
        """Follow the ``uoffset`` stored at ``pos``."""
        target = pos + int(self.read("u32", pos))
        if target >= len(self.data):
            raise self.fail(f"offset at {pos} points to {target}, outside the {len(self.data)}-byte buffer")
        return target

    def vector_at(self, pos: int, elem_size: int) -> tuple[int, int]:
        """``(first element byte, count)`` of the vector starting at ``pos`` (checked to fit the buffer)."""
        if pos % 4:
            raise self.fail(f"vector at {pos} is not 4-byte aligned")
        n = int(self.read("u32", pos))
        if n > MAX_ELEMENTS or pos + 4 + n * elem_size > len(self.data):
            raise self.fail(f"vector at {pos} claims {n} elements of {elem_size} bytes, more than the buffer holds")
        return pos + 4, n


class Table:
    """One table of a :class:`FlatBuffer`; fields are read by slot number (0 = first field of the schema)."""

    def __init__(self, fb: FlatBuffer, pos: int, vt: int, vt_len: int, tb_len: int) -> None:
        self.fb, self.pos, self.vt, self.vt_len, self.tb_len = fb, pos, vt, vt_len, tb_len

    def _field(self, slot: int, size: int) -> int | None:
        """Absolute byte of field ``slot`` (``None`` when absent); checks it lies inside the table."""
        entry = 4 + 2 * slot
        if entry + 2 > self.vt_len:
            return None
        off = int(self.fb.read("u16", self.vt + entry))
        if off == 0:
            return None
        if off < 4 or off + size > self.tb_len:
            raise self.fb.fail(f"field {slot} of the table at {self.pos} lies outside the table ({off} + {size} > {self.tb_len})")
        return self.pos + off

    def scalar(self, slot: int, kind: str, default: int | float | bool = 0) -> int | float | bool:
        """Scalar field ``slot`` of type ``kind`` (see :data:`SCALARS`), or ``default`` when absent."""
        at = self._field(slot, SCALARS[kind][1])
        return default if at is None else self.fb.read(kind, at)

    def table(self, slot: int) -> Table | None:
        """Sub-table field ``slot`` (``None`` when absent)."""
        at = self._field(slot, 4)
        return None if at is None else self.fb.table_at(self.fb.deref(at))

    def _vector(self, slot: int, elem_size: int) -> tuple[int, int] | None:
        at = self._field(slot, 4)
        return None if at is None else self.fb.vector_at(self.fb.deref(at), elem_size)

    def string(self, slot: int) -> str | None:
        """String field ``slot`` decoded as strict UTF-8 (``None`` when absent)."""
        vec = self._vector(slot, 1)
        if vec is None:
            return None
        start, n = vec
        raw = bytes(self.fb.data[start:start + n])
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fb.fail(f"string field {slot} of the table at {self.pos} is not valid UTF-8 ({exc.reason})") from None

    def bytes(self, slot: int) -> bytes | None:
        """``[ubyte]`` field ``slot`` (``None`` when absent)."""
        vec = self._vector(slot, 1)
        return None if vec is None else bytes(self.fb.data[vec[0]:vec[0] + vec[1]])

    def scalars(self, slot: int, kind: str) -> list[int | float | bool]:
        """Vector-of-scalars field ``slot`` (``[]`` when absent)."""
        fmt, size = SCALARS[kind]
        vec = self._vector(slot, size)
        if vec is None:
            return []
        start, n = vec
        return list(struct.unpack_from(f"<{n}{fmt[1]}", self.fb.data, start)) if n else []

    def tables(self, slot: int) -> list[Table]:
        """Vector-of-tables field ``slot`` (``[]`` when absent)."""
        vec = self._vector(slot, 4)
        if vec is None:
            return []
        start, n = vec
        return [self.fb.table_at(self.fb.deref(start + 4 * i)) for i in range(n)]


__all__ = ["FlatBuffer", "Table", "MAX_ELEMENTS"]
