"""Convert musicnn's TF1 checkpoints to the ``.npz`` weights that sk_deepsense ships.

Usage::

    pip download --no-deps musicnn==0.1.0 -d /tmp/musicnn
    python tools/convert_musicnn.py /tmp/musicnn/musicnn-0.1.0-py3-none-any.whl
    # or an unpacked wheel / source tree (the folder that holds ``musicnn/``)
    python tools/convert_musicnn.py /path/to/unpacked

It writes, into ``sk_deepsense/pretrained/`` (``--out`` to change):

- ``msd_musicnn.npz`` and ``mtt_musicnn.npz``: the inference weights of ``MSD_musicnn`` and
  ``MTT_musicnn`` (no Adam slots, no step counter), already in the layout and under the names
  of :class:`sk_deepsense.neural._musicnn.Musicnn`'s ``state_dict``, float32 (``--dtype
  float16`` only to measure what half precision would cost), plus ``tags``: the 50 tag names
  of the model, from musicnn's ``configuration.py``;
- ``SHA256SUMS``: the SHA-256 of each file, in ``sha256sum -c`` format;
- ``LICENSE-musicnn.txt``: musicnn's ISC licence, copied from the wheel's
  ``musicnn-0.1.0.dist-info/LICENSE.md``.

No TensorFlow is needed: the checkpoint is read here with the standard library and NumPy.
A TF1 checkpoint is a *tensor bundle*: ``.index`` is an SSTable (LevelDB's table format:
blocks of prefix-compressed key/value entries, a block index, a 48-byte footer) that maps
each variable name to a ``BundleEntryProto`` protobuf (dtype, shape, shard, offset, size,
masked CRC-32C), and ``.data-00000-of-00001`` holds the raw little-endian tensor bytes at
those offsets. Every block's and every kept tensor's CRC-32C is verified.

The output is byte-for-byte reproducible: the zip archive is written here (not with
``np.savez``, which stamps each member with the current time) with a fixed member order,
fixed timestamps and no compression. ``configuration.py`` and ``models.py`` are only *read*
as text (the tag lists are parsed with :mod:`ast`), never imported: musicnn imports
TensorFlow.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "sk_deepsense" / "pretrained"

#: musicnn model name -> output file name
MODELS = {"MSD_musicnn": "msd_musicnn.npz", "MTT_musicnn": "mtt_musicnn.npz"}
#: musicnn model name -> tag list name in configuration.py
TAG_LISTS = {"MSD_musicnn": "MSD_LABELS", "MTT_musicnn": "MTT_LABELS"}

LICENSE_NAME = "LICENSE-musicnn.txt"
SUMS_NAME = "SHA256SUMS"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip archive can hold

# ---------------------------------------------------------------------------------------------
# CRC-32C (Castagnoli), as LevelDB/TensorFlow use it, with their "mask"
# ---------------------------------------------------------------------------------------------


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """Return the CRC-32C of ``data`` (pure Python, a few MB/s: enough here)."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """Return LevelDB's masked CRC-32C of ``data``."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# protobuf wire format (just what BundleEntryProto and BundleHeaderProto need)
# ---------------------------------------------------------------------------------------------


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a base-128 varint at ``buf[pos:]``; return ``(value, next_pos)``."""
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def parse_message(buf: bytes) -> dict[int, list]:
    """Parse a protobuf message into ``{field_number: [values]}`` (bytes for length-delimited)."""
    fields: dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:  # varint
            value, pos = read_varint(buf, pos)
        elif wire == 1:  # fixed64
            (value,) = struct.unpack_from("<Q", buf, pos)
            pos += 8
        elif wire == 2:  # length-delimited
            length, pos = read_varint(buf, pos)
            value = bytes(buf[pos : pos + length])
            pos += length
        elif wire == 5:  # fixed32
            (value,) = struct.unpack_from("<I", buf, pos)
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.setdefault(number, []).append(value)
    if pos != len(buf):
        raise ValueError("truncated protobuf message")
    return fields


# TensorFlow DataType enum -> NumPy dtype (little-endian), the ones a checkpoint may hold here
TF_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 19: "<f2"}


def parse_entry(buf: bytes) -> dict:
    """Decode a ``BundleEntryProto`` into dtype, shape, shard_id, offset, size, crc32c."""
    fields = parse_message(buf)
    if 7 in fields:
        raise ValueError("sliced (partitioned) variables are not supported")
    shape = []
    for shape_msg in fields.get(2, []):
        dims = parse_message(shape_msg)
        if 3 in dims and dims[3][0]:
            raise ValueError("tensor of unknown rank")
        shape = [parse_message(dim).get(1, [0])[0] for dim in dims.get(2, [])]
    dtype = fields.get(1, [0])[0]
    if dtype not in TF_DTYPES:
        raise ValueError(f"unsupported TensorFlow dtype enum {dtype}")
    return {
        "dtype": np.dtype(TF_DTYPES[dtype]),
        "shape": tuple(shape),
        "shard_id": fields.get(3, [0])[0],
        "offset": fields.get(4, [0])[0],
        "size": fields.get(5, [0])[0],
        "crc32c": fields.get(6, [None])[0],
    }


# ---------------------------------------------------------------------------------------------
# LevelDB table (SSTable)
# ---------------------------------------------------------------------------------------------

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48


def read_block(table: bytes, handle: bytes) -> list[tuple[bytes, bytes]]:
    """Return the ``(key, value)`` entries of the block that ``handle`` points at."""
    offset, pos = read_varint(handle, 0)
    size, _ = read_varint(handle, pos)
    block = table[offset : offset + size]
    compression, crc = struct.unpack_from("<BI", table, offset + size)
    if compression != 0:
        raise ValueError(f"compressed table block (type {compression}) is not supported")
    if masked_crc32c(block + bytes([compression])) != crc:
        raise ValueError(f"table block at offset {offset}: CRC-32C mismatch")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * num_restarts
    entries = []
    pos, key = 0, b""
    while pos < end:
        shared, pos = read_varint(block, pos)
        unshared, pos = read_varint(block, pos)
        value_len, pos = read_varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + value_len]))
        pos += value_len
    return entries


def read_table(path: Path) -> list[tuple[bytes, bytes]]:
    """Return all ``(key, value)`` entries of a LevelDB-format table file, in key order."""
    table = path.read_bytes()
    footer = table[-FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)
    if magic != TABLE_MAGIC:
        raise ValueError(f"{path} is not a LevelDB table (bad magic)")
    _, pos = read_varint(footer, 0)  # metaindex handle: offset ...
    _, pos = read_varint(footer, pos)  # ... and size (unused)
    index_handle = footer[pos:]
    entries = []
    for _, data_handle in read_block(table, index_handle):
        entries.extend(read_block(table, data_handle))
    return entries


def read_bundle(prefix: str | Path, keep=lambda name: True) -> dict[str, np.ndarray]:
    """Read the tensors of a TF tensor bundle (``prefix.index`` + ``prefix.data-*``).

    Parameters
    ----------
    prefix : str or Path
        The checkpoint prefix; musicnn's is the model folder plus ``/`` (its files are
        ``.index`` and ``.data-00000-of-00001``).
    keep : callable
        ``keep(name) -> bool``: which tensors to read (and CRC-check).

    Returns
    -------
    dict of str to numpy.ndarray
        Name -> tensor, in the index's (sorted) order.
    """
    prefix = str(prefix)
    entries = read_table(Path(prefix + ".index"))
    header = parse_message(entries[0][1]) if entries and entries[0][0] == b"" else {}
    num_shards = header.get(1, [1])[0]
    if header.get(2, [0])[0] != 0:
        raise ValueError("big-endian tensor bundle is not supported")
    data = {
        shard: Path(f"{prefix}.data-{shard:05d}-of-{num_shards:05d}").read_bytes()
        for shard in range(num_shards)
    }
    tensors = {}
    for key, value in entries:
        name = key.decode()
        if not name or not keep(name):
            continue
        entry = parse_entry(value)
        raw = data[entry["shard_id"]][entry["offset"] : entry["offset"] + entry["size"]]
        if len(raw) != entry["size"]:
            raise ValueError(f"{name}: data file too short")
        if entry["crc32c"] is not None and masked_crc32c(raw) != entry["crc32c"]:
            raise ValueError(f"{name}: CRC-32C mismatch")
        array = np.frombuffer(raw, dtype=entry["dtype"])
        tensors[name] = array.reshape(entry["shape"]).copy()
    return tensors


# ---------------------------------------------------------------------------------------------
# musicnn's variable names -> the torch port's state_dict
# ---------------------------------------------------------------------------------------------

# tf.compat.v1.layers names its variables by creation order (see musicnn/models.py,
# build_musicnn): batch_normalization (input), then per front-end block conv2d_i +
# batch_normalization_{i+1} (timbral 7x38, 7x67; temporal 128x1, 64x1, 32x1), the mid-end's
# conv2d_5..7 + batch_normalization_6..8, the back-end's batch_normalization_9 (pooled
# features), dense + batch_normalization_10, dense_1.
FRONTEND = ["timbral.0", "timbral.1", "temporal.0", "temporal.1", "temporal.2"]
MIDEND = ["midend.0", "midend.1", "midend.2"]


def to_state_dict(tf: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map musicnn's TF variables to :class:`Musicnn`'s state_dict names and layouts.

    Conv kernels go from TF's HWIO (time, frequency, in, out) to torch's OIHW; the mid-end's
    2-D convs whose kernel spans the whole feature axis become 1-D convs (out, in, time);
    dense kernels (in, out) are transposed to torch's (out, in). Every variable given must be
    used exactly once.
    """
    left = dict(tf)

    def take(name: str) -> np.ndarray:
        return left.pop(name)

    def bn(tf_name: str, name: str) -> dict[str, np.ndarray]:
        return {
            f"{name}.weight": take(f"{tf_name}/gamma"),
            f"{name}.bias": take(f"{tf_name}/beta"),
            f"{name}.running_mean": take(f"{tf_name}/moving_mean"),
            f"{name}.running_var": take(f"{tf_name}/moving_variance"),
        }

    def scope(base: str, i: int) -> str:
        return f"{base}_{i}" if i else base

    state = bn("batch_normalization", "input_bn")
    for i, name in enumerate(FRONTEND):
        state[f"{name}.conv.weight"] = take(f"{scope('conv2d', i)}/kernel").transpose(3, 2, 0, 1)
        state[f"{name}.conv.bias"] = take(f"{scope('conv2d', i)}/bias")
        state.update(bn(f"batch_normalization_{i + 1}", f"{name}.bn"))
    for i, name in enumerate(MIDEND):
        kernel = take(f"conv2d_{i + 5}/kernel")  # (7, C, 1, 64)
        if kernel.shape[2] != 1:
            raise ValueError(f"conv2d_{i + 5}: expected one input channel, got {kernel.shape}")
        state[f"{name}.conv.weight"] = kernel[:, :, 0, :].transpose(2, 1, 0)
        state[f"{name}.conv.bias"] = take(f"conv2d_{i + 5}/bias")
        state.update(bn(f"batch_normalization_{i + 6}", f"{name}.bn"))
    state.update(bn("batch_normalization_9", "pool_bn"))
    state["dense.weight"] = take("dense/kernel").T
    state["dense.bias"] = take("dense/bias")
    state.update(bn("batch_normalization_10", "dense_bn"))
    state["logits.weight"] = take("dense_1/kernel").T
    state["logits.bias"] = take("dense_1/bias")
    if left:
        raise ValueError(f"checkpoint variables left unconverted: {sorted(left)}")
    return state


def is_inference_variable(name: str) -> bool:
    """Whether a checkpoint variable is a weight (not an Adam slot, not a counter)."""
    return "Adam" not in name and name.split("/")[0] not in {"beta1_power", "beta2_power"}


# ---------------------------------------------------------------------------------------------
# reading the wheel, writing the npz
# ---------------------------------------------------------------------------------------------


def unpack_source(source: Path, workdir: Path) -> Path:
    """Return the folder that holds ``musicnn/`` (unzipping ``source`` if it is a wheel)."""
    if source.is_file():
        with zipfile.ZipFile(source) as wheel:
            wheel.extractall(workdir)
        source = workdir
    if (source / "musicnn" / "models.py").is_file():
        return source
    if (source / "models.py").is_file():  # the musicnn package folder itself
        return source.parent
    raise SystemExit(f"{source}: no musicnn/models.py found")


def read_tags(configuration: Path) -> dict[str, list[str]]:
    """Read the tag lists of musicnn's ``configuration.py`` without importing it."""
    tags = {}
    for node in ast.parse(configuration.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in TAG_LISTS.values():
                tags[target.id] = ast.literal_eval(node.value)
    return tags


def find_license(root: Path) -> Path:
    """Return the wheel's (or source tree's) licence file."""
    candidates = sorted(root.glob("musicnn-*.dist-info/LICENSE*")) + sorted(root.glob("LICENSE*"))
    if not candidates:
        raise SystemExit(f"{root}: no musicnn licence file found")
    return candidates[0]


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Return a deterministic ``.npz`` archive (stored, fixed dates, given member order)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(array), version=(1, 0), allow_pickle=False
            )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    return buf.getvalue()


def convert(root: Path, model: str, dtype: str) -> dict[str, np.ndarray]:
    """Return the arrays of one model's npz: its state_dict entries, then ``tags``."""
    # musicnn saved with the prefix "<model>/": its files are <model>/.index, <model>/.data-*
    tf = read_bundle(f"{root / 'musicnn' / model}/", keep=is_inference_variable)
    state = to_state_dict(tf)
    arrays = {}
    for name, array in state.items():
        if array.dtype != np.float32 or not np.all(np.isfinite(array)):
            raise ValueError(f"{model}: {name} is not finite float32")
        arrays[name] = array.astype(dtype)
    tags = read_tags(root / "musicnn" / "configuration.py")[TAG_LISTS[model]]
    arrays["tags"] = np.array(tags, dtype=str)
    return arrays


def main(argv: list[str] | None = None) -> int:
    """Convert both models; print each file's SHA-256."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="musicnn-0.1.0 wheel, or an unpacked one")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--dtype", choices=["float32", "float16"], default="float32", help="weights dtype"
    )
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        root = unpack_source(args.source, Path(workdir))
        args.out.mkdir(parents=True, exist_ok=True)
        sums = []
        for model, filename in MODELS.items():
            data = npz_bytes(convert(root, model, args.dtype))
            (args.out / filename).write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            sums.append(f"{digest}  {filename}\n")
            print(f"{digest}  {filename}  ({len(data)} bytes, {model}, {args.dtype})")
        license_text = find_license(root).read_text()
        (args.out / LICENSE_NAME).write_text(
            "The pretrained weights msd_musicnn.npz and mtt_musicnn.npz in this folder are\n"
            "converted from the MSD_musicnn and MTT_musicnn checkpoints of musicnn 0.1.0\n"
            "(https://github.com/jordipons/musicnn; Jordi Pons and Xavier Serra, Music Technology\n"
            "Group, Universitat Pompeu Fabra), distributed under the ISC licence below, copied\n"
            "verbatim from the wheel's musicnn-0.1.0.dist-info/LICENSE.md.\n\n"
            + license_text.rstrip()
            + "\n"
        )
        (args.out / SUMS_NAME).write_text("".join(sums))
    return 0


if __name__ == "__main__":
    sys.exit(main())
