"""Check an exported model file's container before a native runtime parses it.

A damaged file must give a :class:`~mujo_edge.errors.CorruptFileError`, never take the process down
(ExecuTorch aborts on some damaged programs; TensorFlow Lite Micro does not verify flatbuffers at all).
:func:`inspect_file` therefore, in this order:

1. checks the embedded contract's seal (:func:`mujo_edge.artifacts.contract.verify_seal`): any byte of
   a sealed file that changed after export is found here, before any parser runs;
2. walks the container with the bounds-checked reader of :mod:`mujo_edge.runtime.flatbuf` (``.pte``:
   file identifier ``ET12``, the extended header ``eh00`` and its sizes against the file length, every
   execution plan's name, values, inputs and outputs; ``.tflite``: identifier ``TFL3``, schema version,
   buffers, subgraph tensors, operators and metadata), or, for ``.onnx``, the protobuf framing;
3. reports the model's real input / output tensors (dtype, shape, int8 scale and zero point), which
   the loader compares with the sidecar's contract.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mujo_edge.artifacts.contract import KEY as CONTRACT_KEY
from mujo_edge.artifacts.contract import verify_seal
from mujo_edge.errors import CorruptFileError
from mujo_edge.runtime.flatbuf import FlatBuffer, Table

#: TFLite ``TensorType`` → numpy dtype name
TFLITE_TYPES: dict[int, str] = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool",
                                7: "int16", 8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64",
                                15: "uint32", 16: "uint16", 17: "int4"}
#: ExecuTorch ``ScalarType`` → numpy dtype name
PTE_TYPES: dict[int, str] = {0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32",
                             7: "float64", 11: "bool", 15: "bfloat16", 27: "uint16", 28: "uint32", 29: "uint64"}
#: ExecuTorch ``KernelTypes`` union tags used here
PTE_TENSOR, PTE_STRING = 5, 6
PTE_MAX_UNION = 11


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output as the file declares it (``scale``/``zero_point`` only for quantized tensors)."""

    dtype: str
    shape: tuple[int, ...]
    scale: float | None = None
    zero_point: int | None = None


@dataclass
class ContainerInfo:
    """What :func:`inspect_file` found: I/O tensors of the model's entry point, ops, and the embedded contract."""

    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    contract: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


def inspect_file(path: str | Path, data: bytes | None = None) -> ContainerInfo:
    """Seal check + container walk of an exported model file (``.pte``, ``.tflite`` or ``.onnx``).

    Raises:
        CorruptFileError: naming the file and what is wrong with it.
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorruptFileError(path, f"cannot read it ({exc})") from exc
    contract = verify_seal(data, path)
    suffix = path.suffix.lower()
    if suffix == ".pte":
        info = inspect_pte(data, path)
    elif suffix == ".tflite":
        info = inspect_tflite(data, path)
    elif suffix == ".onnx":
        info = inspect_onnx(data, path)
    else:
        raise CorruptFileError(path, f"no container check for {suffix!r} files")
    info.contract = contract
    return info


def _fail(path: Path, what: str) -> Any:
    return lambda msg: CorruptFileError(path, f"not a valid {what} file: {msg}")


# ---------------------------------------------------------------------------------------------- ExecuTorch
def inspect_pte(data: bytes, path: Path) -> ContainerInfo:
    """Walk an ExecuTorch program (``program.fbs``): header, segments, execution plans; ``forward``'s I/O tensors."""
    fail = _fail(path, "ExecuTorch .pte")
    fb = FlatBuffer(data, fail)
    if fb.identifier() != b"ET12":
        raise fail(f"file identifier {fb.identifier()!r}, expected b'ET12' (not an ExecuTorch program of a supported "
                   f"version, or its first bytes are damaged)")
    program_size = len(data)
    if data[8:12] == b"eh00":  # extended header: u32 length, u64 program size, u64 segment base, u64 segment size
        if len(data) < 32:
            raise fail("extended header is truncated")
        length, program_size, seg_base = struct.unpack_from("<IQQ", data, 12)
        seg_size = struct.unpack_from("<Q", data, 32)[0] if length > 24 and len(data) >= 40 else 0
        if length < 24 or program_size > len(data) or program_size < 40:
            raise fail(f"extended header declares a {program_size}-byte program in a {len(data)}-byte file (truncated?)")
        if seg_base and (seg_base < program_size or seg_base + seg_size > len(data)):
            raise fail(f"segment data at {seg_base} + {seg_size} bytes lies outside the {len(data)}-byte file (truncated?)")
    else:
        seg_base = seg_size = 0
    prog_fb = FlatBuffer(data[:program_size], fail)
    root = prog_fb.root(b"ET12")
    version = int(root.scalar(0, "u32"))
    segments = [(int(s.scalar(0, "u64")), int(s.scalar(1, "u64"))) for s in root.tables(4)]
    for off, size in segments:
        if seg_base + off + size > len(data):
            raise fail(f"data segment at {off} + {size} bytes lies outside the file (truncated?)")
    inline = [d.bytes(0) or b"" for d in root.tables(3)]
    named = {}
    for nd in root.tables(7):  # named data: key -> segment (XNNPACK finds its weights by these keys)
        key, seg = nd.string(0) or "", int(nd.scalar(1, "u32"))
        if seg >= len(segments):
            raise fail(f"named data {key!r} refers to segment {seg}, but the program has {len(segments)}")
        named[key] = seg
    info = ContainerInfo(details={"program_version": version, "segments": len(segments)})
    const = root.table(5)
    const_offsets = const.scalars(1, "u64") if const is not None else []
    const_size = None
    if const is not None:
        ci = int(const.scalar(0, "u32"))
        if ci >= len(segments):
            raise fail(f"constant segment {ci} does not exist ({len(segments)} segments)")
        const_size = segments[ci][1]
    n_buffers = len(root.tables(2))
    for plan in root.tables(1):
        name = plan.string(0) or ""
        values = plan.tables(2)
        inputs, outputs = plan.scalars(3, "i32"), plan.scalars(4, "i32")
        for i in list(inputs) + list(outputs):
            if not 0 <= int(i) < len(values):
                raise fail(f"method {name!r} refers to value {i}, but has {len(values)}")
        operators, delegates = plan.tables(6), plan.tables(7)
        planned = [int(v) for v in plan.scalars(8, "i64")]
        for ev in values:
            _pte_check_value(ev, len(values), planned, const_offsets, const_size, n_buffers, fail)
        for chain in plan.tables(5):
            _pte_check_chain(chain, len(values), len(operators), len(delegates), fail)
        for op in operators:
            info.ops.append(f"{op.string(0) or ''}.{op.string(1) or ''}".rstrip("."))
        meta = plan.table(1)
        if meta is not None:  # the pytree specs of inputs / outputs (text the runtime may print)
            meta.string(0)
            meta.string(1)
        for d in plan.tables(7):
            _pte_delegate(d, data, seg_base, segments, inline, named, fail)
        info.methods.append(name)
        ins = [_pte_value(values[int(i)], fail) for i in inputs]
        outs = [_pte_value(values[int(i)], fail) for i in outputs]
        if name == "forward":
            info.inputs = [t for t in ins if isinstance(t, TensorInfo)]
            info.outputs = [t for t in outs if isinstance(t, TensorInfo)]
        if name == CONTRACT_KEY:
            info.details["contract_method"] = outs[0] if outs and isinstance(outs[0], str) else None
    if "forward" not in info.methods:
        raise fail(f"no 'forward' method (methods: {info.methods})")
    return info


def _pte_delegate(d: Table, data: bytes, seg_base: int, segments: list[tuple[int, int]], inline: list[bytes],
                  named: dict[str, int], fail: Any) -> None:
    """A ``BackendDelegate``: readable id and compile-spec keys, its payload inside the file, and for XNNPACK
    the payload's own flatbuffer (``XH00`` header, ``XN01`` graph) with readable constant keys that exist.

    XNNPACK logs a constant's key when it cannot find it, and ExecuTorch's Python bindings turn log lines into
    Python strings inside native code: a key that is not UTF-8 aborted the process (found by the fuzz test).
    """
    backend = d.string(0) or ""
    for spec in d.tables(2):
        spec.string(0)
        spec.bytes(1)
    ref = d.table(1)
    if ref is None:
        raise fail(f"delegate {backend!r} has no payload reference")
    location, index = int(ref.scalar(0, "i8")), int(ref.scalar(1, "u32"))
    if location == 0:  # INLINE
        if index >= len(inline):
            raise fail(f"delegate {backend!r} refers to inline payload {index}, but the program has {len(inline)}")
        blob = inline[index]
    elif location == 1:  # SEGMENT
        if index >= len(segments):
            raise fail(f"delegate {backend!r} refers to segment {index}, but the program has {len(segments)}")
        off, size = segments[index]
        blob = data[seg_base + off:seg_base + off + size]
    else:
        raise fail(f"delegate {backend!r} has payload location {location}")
    if backend != "XnnpackBackend":
        return
    if len(blob) < 30 or blob[4:8] != b"XH00":
        raise fail("XNNPACK payload header is missing or damaged (expected magic b'XH00')")
    fb_off, fb_size, const_off = struct.unpack_from("<III", blob, 10)
    const_size = struct.unpack_from("<Q", blob, 22)[0]
    if fb_off + fb_size > len(blob) or const_off + const_size > len(blob):
        raise fail(f"XNNPACK payload sections ({fb_off}+{fb_size}, {const_off}+{const_size}) exceed its {len(blob)} bytes")
    graph = FlatBuffer(blob[fb_off:fb_off + fb_size], fail).root(b"XN01")
    graph.string(0)  # schema version
    for c in graph.tables(8):  # constant_data: offset / size into the payload, or a named key
        key = c.string(2) or ""
        if key:
            if key not in named:
                raise fail(f"XNNPACK constant {key!r} is not among the program's named data")
        else:
            coff, csize = int(c.scalar(0, "u64")), int(c.scalar(1, "u64"))
            if coff != (1 << 64) - 1 and const_off + coff + csize > len(blob):
                raise fail(f"XNNPACK constant at {coff} + {csize} bytes lies outside its payload")


#: bytes per element of the ExecuTorch scalar types a program may hold
PTE_ELEMENT_BYTES: dict[int, int] = {0: 1, 1: 1, 2: 2, 3: 4, 4: 8, 5: 2, 6: 4, 7: 8, 11: 1, 12: 1, 13: 1, 14: 4, 15: 2,
                                     27: 2, 28: 4, 29: 8}


def _pte_check_value(ev: Table, n_values: int, planned: list[int], const_offsets: list[int], const_size: int | None,
                     n_buffers: int, fail: Any) -> None:
    """An ``EValue`` the runtime will materialize: a tensor's type, dim order and where its bytes live (its
    planned memory region, or its constant data) must fit; list items must name existing values.

    The runtime trusts these: a tensor whose sizes outgrow its planned buffer, or a list naming a value
    that does not exist, made it read or write out of bounds (segmentation fault, found by the fuzz test)."""
    tag = int(ev.scalar(0, "u8"))
    val = ev.table(1)
    if val is None:
        return
    if tag == PTE_TENSOR:
        st = int(val.scalar(0, "i8"))
        if st not in PTE_ELEMENT_BYTES:
            raise fail(f"tensor of unknown scalar type {st}")
        sizes = [int(v) for v in val.scalars(2, "i32")]
        if any(v < 0 for v in sizes):
            raise fail(f"tensor with negative size {sizes}")
        order = [int(v) for v in val.scalars(3, "u8")]
        if order and sorted(order) != list(range(len(sizes))):
            raise fail(f"tensor dim order {order} does not match its {len(sizes)} dimensions")
        nbytes = PTE_ELEMENT_BYTES[st]
        for v in sizes:
            nbytes *= v
        alloc = val.table(6)
        if alloc is not None:  # memory-planned: offset + size inside the planned buffer
            mem = int(alloc.scalar(0, "u32"))
            offset = int(alloc.scalar(1, "u32")) + (int(alloc.scalar(2, "u32")) << 32)
            if mem >= len(planned) or offset + nbytes > planned[mem]:
                raise fail(f"tensor of {nbytes} bytes at offset {offset} of planned buffer {mem} does not fit "
                           f"(buffers {planned})")
        idx = int(val.scalar(5, "u32"))
        if idx > 0 and alloc is None:  # constant tensor
            if const_size is not None:
                if idx >= len(const_offsets) or const_offsets[idx] + nbytes > const_size:
                    raise fail(f"constant tensor {idx} ({nbytes} bytes) lies outside the constant segment")
            elif idx >= n_buffers:
                raise fail(f"constant tensor refers to buffer {idx}, but the program has {n_buffers}")
    elif tag in (10, 11):  # TensorList / OptionalTensorList: value indices
        for i in val.scalars(0, "i32"):
            if not (-1 if tag == 11 else 0) <= int(i) < n_values:
                raise fail(f"tensor list refers to value {i}, but the method has {n_values}")


def _pte_check_chain(chain: Table, n_values: int, n_ops: int, n_delegates: int, fail: Any) -> None:
    """A ``Chain``: its inputs / outputs and every instruction's operands must name existing values,
    operators, delegates and instructions."""
    for i in list(chain.scalars(0, "i32")) + list(chain.scalars(1, "i32")):
        if not 0 <= int(i) < n_values:
            raise fail(f"chain refers to value {i}, but the method has {n_values}")
    instructions = chain.tables(2)
    for ins in instructions:
        kind, arg = int(ins.scalar(0, "u8")), ins.table(1)
        if arg is None or kind not in (1, 2, 3, 4, 5):
            raise fail(f"instruction of unknown kind {kind}")
        if kind in (1, 2):  # KernelCall / DelegateCall: index, args
            target, limit = int(arg.scalar(0, "i32")), (n_ops if kind == 1 else n_delegates)
            if not 0 <= target < limit:
                raise fail(f"instruction calls {'operator' if kind == 1 else 'delegate'} {target}, but there are {limit}")
            refs = [int(v) for v in arg.scalars(1, "i32")]
        elif kind == 3:  # MoveCall
            refs = [int(arg.scalar(0, "i32")), int(arg.scalar(1, "i32"))]
        elif kind == 4:  # JumpFalseCall
            refs = [int(arg.scalar(0, "i32"))]
            if not 0 <= int(arg.scalar(1, "i32")) < len(instructions):
                raise fail("instruction jumps outside its chain")
        else:  # FreeCall
            refs = [int(arg.scalar(0, "i32"))]
        for i in refs:
            if not 0 <= i < n_values:
                raise fail(f"instruction uses value {i}, but the method has {n_values}")


def _pte_value(ev: Table, fail: Any) -> TensorInfo | str | None:
    """An ``EValue``: a tensor's dtype and sizes, a string's text, else ``None``."""
    tag = int(ev.scalar(0, "u8"))
    if tag > PTE_MAX_UNION:
        raise fail(f"value of unknown kind {tag}")
    val = ev.table(1)
    if tag == 0 or val is None:
        return None
    if tag == PTE_TENSOR:
        st = int(val.scalar(0, "i8"))
        sizes = tuple(int(s) for s in val.scalars(2, "i32"))
        if any(s < 0 for s in sizes):
            raise fail(f"tensor with negative size {sizes}")
        return TensorInfo(PTE_TYPES.get(st, f"scalar_type_{st}"), sizes)
    if tag == PTE_STRING:
        return val.string(0) or ""
    return None


# ---------------------------------------------------------------------------------------------- TFLite
def inspect_tflite(data: bytes, path: Path) -> ContainerInfo:
    """Walk a TFLite flatbuffer (``schema.fbs``): buffers, the first subgraph's tensors, operators, metadata."""
    fail = _fail(path, "TFLite .tflite")
    fb = FlatBuffer(data, fail)
    root = fb.root(b"TFL3")
    version = int(root.scalar(0, "u32"))
    if version != 3:
        raise fail(f"schema version {version}, expected 3")
    codes = []
    for oc in root.tables(1):
        code = max(int(oc.scalar(0, "i8")), int(oc.scalar(3, "i32")))
        custom = oc.string(1)
        codes.append(custom if custom else _builtin_name(code))
    buffers = root.tables(4)
    for b in buffers:
        b.bytes(0)
        off, size = int(b.scalar(1, "u64")), int(b.scalar(2, "u64"))
        if off > 1 and off + size > len(data):
            raise fail(f"buffer data at {off} + {size} bytes lies outside the {len(data)}-byte file (truncated?)")
    subgraphs = root.tables(2)
    if not subgraphs:
        raise fail("no subgraph")
    info = ContainerInfo(details={"schema_version": version, "subgraphs": len(subgraphs), "buffers": len(buffers)})
    for g, sg in enumerate(subgraphs):
        tensors = sg.tables(0)
        infos = []
        for t in tensors:
            shape = tuple(int(s) for s in t.scalars(0, "i32"))
            ttype = int(t.scalar(1, "i8"))
            buf = int(t.scalar(2, "u32"))
            if buf >= max(1, len(buffers)):
                raise fail(f"tensor refers to buffer {buf}, but the model has {len(buffers)}")
            t.string(3)
            q = t.table(4)
            scale = zero = None
            if q is not None:
                scales, zeros = q.scalars(2, "f32"), q.scalars(3, "i64")
                if len(scales) == 1 and len(zeros) == 1:
                    scale, zero = float(scales[0]), int(zeros[0])
            infos.append(TensorInfo(TFLITE_TYPES.get(ttype, f"type_{ttype}"), shape, scale, zero))
        ins, outs = sg.scalars(1, "i32"), sg.scalars(2, "i32")
        for i in list(ins) + list(outs):
            if not 0 <= int(i) < len(tensors):
                raise fail(f"subgraph {g} input/output tensor {i} does not exist ({len(tensors)} tensors)")
        for op in sg.tables(3):
            idx = int(op.scalar(0, "u32"))
            if idx >= len(codes):
                raise fail(f"operator uses opcode {idx}, but the model has {len(codes)}")
            for t in list(op.scalars(1, "i32")) + list(op.scalars(2, "i32")):
                if not -1 <= int(t) < len(tensors):
                    raise fail(f"operator {codes[idx]} uses tensor {t} ({len(tensors)} tensors)")
            if g == 0:
                info.ops.append(codes[idx])
        if g == 0:
            info.inputs = [infos[int(i)] for i in ins]
            info.outputs = [infos[int(i)] for i in outs]
    meta = {}
    for m in root.tables(6):
        name, buf = m.string(0) or "", int(m.scalar(1, "u32"))
        if buf >= len(buffers):
            raise fail(f"metadata {name!r} refers to buffer {buf}, but the model has {len(buffers)}")
        meta[name] = buf
    info.details["metadata"] = sorted(meta)
    if CONTRACT_KEY in meta:
        raw = buffers[meta[CONTRACT_KEY]].bytes(0) or b""
        info.details["contract_metadata"] = raw.decode("ascii", errors="replace")
    return info


def _builtin_name(code: int) -> str:
    return TFLITE_OPS.get(code, f"BUILTIN_{code}")


#: TFLite builtin operator codes the exported students use (others are reported by number)
TFLITE_OPS: dict[int, str] = {0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
                              6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL",
                              19: "RELU", 21: "RELU6", 22: "RESHAPE", 25: "SOFTMAX", 28: "TANH", 34: "PAD",
                              39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 45: "STRIDED_SLICE", 49: "SPLIT", 65: "SLICE",
                              83: "PACK", 114: "QUANTIZE", 126: "BATCH_MATMUL"}


# ---------------------------------------------------------------------------------------------- ONNX
def inspect_onnx(data: bytes, path: Path) -> ContainerInfo:
    """Check the protobuf framing of an ONNX ``ModelProto`` (field tags, lengths within the file).

    ONNX Runtime parses the protobuf itself and refuses malformed models with an exception; this only
    makes a truncated or garbled file fail with a clear message before that, and reads the metadata keys.
    """
    fail = _fail(path, "ONNX .onnx")
    fields = _protobuf_fields(data, fail)
    if not any(num == 7 for num, _, _ in fields):  # ModelProto.graph
        raise fail("no graph (field 7) in the ModelProto")
    keys = []
    for num, wt, val in fields:
        if num == 14 and wt == 2:  # metadata_props: StringStringEntryProto {1: key, 2: value}
            for n2, w2, v2 in _protobuf_fields(val, fail):
                if n2 == 1 and w2 == 2:
                    keys.append(bytes(v2).decode("utf-8", errors="replace"))
    return ContainerInfo(details={"metadata_keys": keys})


def _protobuf_fields(data: bytes | memoryview, fail: Any) -> list[tuple[int, int, Any]]:
    """Top-level ``(field number, wire type, value)`` of a protobuf message; lengths are checked."""
    mv = memoryview(data)
    out, i, n = [], 0, len(mv)

    def varint(i: int) -> tuple[int, int]:
        shift = v = 0
        while True:
            if i >= n or shift > 63:
                raise fail(f"varint at byte {i} runs past the end of the message (truncated?)")
            b = mv[i]
            v |= (b & 0x7F) << shift
            i += 1
            shift += 7
            if not b & 0x80:
                return v, i

    while i < n:
        key, i = varint(i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise fail(f"field number 0 at byte {i}")
        if wt == 0:
            v, i = varint(i)
            out.append((num, wt, v))
        elif wt == 1:
            if i + 8 > n:
                raise fail("64-bit field runs past the end (truncated?)")
            out.append((num, wt, mv[i:i + 8]))
            i += 8
        elif wt == 2:
            length, i = varint(i)
            if i + length > n:
                raise fail(f"field {num} claims {length} bytes at byte {i}, past the end of the {n}-byte message (truncated?)")
            out.append((num, wt, mv[i:i + length]))
            i += length
        elif wt == 5:
            if i + 4 > n:
                raise fail("32-bit field runs past the end (truncated?)")
            out.append((num, wt, mv[i:i + 4]))
            i += 4
        else:
            raise fail(f"unsupported wire type {wt} at byte {i}")
    return out


def check_io(path: Path, meta: dict[str, Any], inputs: list[TensorInfo], outputs: list[TensorInfo]) -> None:
    """The sidecar's ``input`` / ``output`` shape and dtype must be the model's real ones (one input, one output).

    Raises:
        CorruptFileError: naming the field, the sidecar's value and the model's (e.g. a 64-sample window
            in the sidecar for a model that takes 128).
    """
    for key, real in (("input", inputs), ("output", outputs)):
        if len(real) != 1:
            raise CorruptFileError(path, f"the model has {len(real)} {key}s; mujo-edge models have exactly one")
        t = real[0]
        sec = meta[key]
        if tuple(sec["shape"]) != tuple(t.shape):
            what = ("window samples and channels" if key == "input" else "classes")
            raise CorruptFileError(path, f"sidecar {key}.shape {list(sec['shape'])} differs from the model's real {key} "
                                         f"shape {list(t.shape)} ({what}); the sidecar belongs to another model")
        if sec["dtype"] != t.dtype:
            raise CorruptFileError(path, f"sidecar {key}.dtype {sec['dtype']!r} differs from the model's {t.dtype!r}")
        q = sec.get("quantization")
        if t.scale is not None and np.issubdtype(np.dtype(t.dtype), np.integer):
            if not q or not np.isclose(q.get("scale", np.nan), t.scale, rtol=1e-6) or q.get("zero_point") != t.zero_point:
                raise CorruptFileError(path, f"sidecar {key}.quantization {q} differs from the model's (scale {t.scale}, "
                                             f"zero point {t.zero_point})")


__all__ = ["ContainerInfo", "TensorInfo", "check_io", "inspect_file", "inspect_onnx", "inspect_pte", "inspect_tflite"]
