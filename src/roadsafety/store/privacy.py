"""Personal data: keyed hashing of registrations, and personal columns kept out of ``raw``.

Values are normalised (upper case, letters and digits only) and replaced by HMAC-SHA256 under a secret
key kept in a file outside the warehouse (``settings.privacy.key_path``, env ``ROADSAFETY_KEY_FILE``).
The same registration always hashes to the same value, so repeat offenders can be counted, but without
the key no registration can be recovered or tested against the warehouse.

The stored copy of each source row (``raw``, JSON) never keeps a column whose name looks personal
(:func:`is_personal`, patterns from ``settings.privacy.personal_fields``): :func:`scrub_raw` drops
those keys before the rows enter DuckDB, whatever adapter or mapping built them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)

KEY_BYTES = 32


def load_or_create_key(key_path: Path) -> bytes:
    """Read the HMAC key, creating it (mode 0600) on first use."""
    key_path = Path(key_path)
    if key_path.exists():
        key = bytes.fromhex(key_path.read_text().strip())
        if len(key) < 16:
            raise ValueError(
                f"{key_path}: key too short; delete it only if no data was hashed with it"
            )
        return key
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    log.info(
        "created personal-data hashing key %s (keep it safe and outside the warehouse)", key_path
    )
    return key


RAW_MAX_BYTES = 16_384  # a longer stored source row is replaced by a note
RAW_OMITTED = json.dumps({"_omitted": f"source row longer than {RAW_MAX_BYTES} bytes"})


def field_key(name: str) -> str:
    """A column name as personal patterns see it: lower case, other runs as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


def is_personal(name: str, patterns: tuple[str, ...]) -> bool:
    """True when a column called ``name`` holds personal data by the configured patterns."""
    return bool(_compiled(tuple(patterns)).search(field_key(str(name))))


def _keys(text: str | None) -> list[str]:
    try:
        doc = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return []
    return list(doc) if isinstance(doc, dict) else []


def scrub_raw(raw: pl.Series, patterns: tuple[str, ...]) -> pl.Series:
    """``raw`` (JSON objects of source values) without personal keys, and not over 16 kB a row.

    Adapters build ``raw`` by encoding a struct, so every row has the keys of the first one; that
    row decides what is kept, and anything else (a personal key, a key no other row has) is
    dropped by re-encoding only the kept keys. Rows are only decoded when something must go.
    """
    present = raw.drop_nulls()
    if present.is_empty():
        return raw
    first, last = _keys(present[0]), _keys(present[-1])
    keep = [k for k in first if not is_personal(k, patterns)]
    if keep != first or set(last) != set(first):
        raw = _reencode(raw, keep).rename(raw.name)
    too_long = raw.str.len_bytes() > RAW_MAX_BYTES
    return raw.set(too_long.fill_null(False), RAW_OMITTED) if too_long.any() else raw


def _reencode(raw: pl.Series, keep: list[str]) -> pl.Series:
    try:
        sample = raw.drop_nulls().head(2_000).str.json_decode(infer_schema_length=None)
        fields = {f.name: f.dtype for f in sample.dtype.fields if f.name in keep}  # type: ignore[union-attr]
        if not fields:
            return pl.select(pl.when(pl.lit(raw).is_not_null()).then(pl.lit("{}"))).to_series()
        decoded = raw.str.json_decode(pl.Struct(fields))
        kept = pl.select(
            pl.when(pl.lit(raw).is_not_null())
            .then(
                pl.struct([decoded.struct.field(k).alias(k) for k in fields]).struct.json_encode()
            )
            .alias(raw.name)
        ).to_series()
    except (pl.exceptions.PolarsError, AttributeError):
        kept = raw.map_elements(lambda t: _keep_keys(t, keep), return_dtype=pl.Utf8)
    return kept


def _keep_keys(text: str, keep: list[str]) -> str | None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    return json.dumps({k: doc[k] for k in keep if k in doc}, ensure_ascii=False)


def normalise_identifier(value: str) -> str:
    """Upper-case and keep letters and digits only (``hr-26 ab 1234`` → ``HR26AB1234``)."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def hash_value(value: str, key: bytes) -> str:
    """HMAC-SHA256 hex digest of the normalised value."""
    return hmac.new(key, normalise_identifier(value).encode(), hashlib.sha256).hexdigest()


def normalise_expr(column: str) -> pl.Expr:
    """Polars form of :func:`normalise_identifier`; blank values become null."""
    text = pl.col(column).cast(pl.Utf8).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return pl.when(text == "").then(None).otherwise(text)


def hmac_sql(column: str, key: bytes) -> str:
    """DuckDB SQL computing HMAC-SHA256 of an already-normalised text column (hex, like hash_value).

    HMAC(K, m) = SHA256((K xor opad) || SHA256((K xor ipad) || m)), with the key padded to the
    64-byte block. Evaluated vectorised inside DuckDB: the clear value exists only in the in-memory
    batch being inserted, never in a table.
    """
    block = (
        key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    )
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode(\"{column}\")))"
    return f"CASE WHEN \"{column}\" IS NULL THEN NULL ELSE sha256(unhex('{opad}') || {inner}) END"


def hmac_series(values: pl.Series, key: bytes) -> pl.Series:
    """HMAC-SHA256 (hex, like :func:`hash_value`) of already-normalised text values; null stays null.

    Vectorised: ``SHA256(opad || SHA256(ipad || m))``, the SHA-256 by polars-hash (its own
    ``hmac_sha256`` takes only text keys); the inner digests' hex is turned back into bytes and
    prefixed with ``opad`` as one NumPy array. The clear values exist only in this in-memory batch.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    block = (
        key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    )
    empty = pa.scalar(b"", pa.large_binary())
    ipad = pa.scalar(bytes(b ^ 0x36 for b in block), pa.large_binary())
    inner_msgs = pc.binary_join_element_wise(
        ipad, values.fill_null("").cast(pl.Binary).to_arrow().cast(pa.large_binary()), empty
    )
    inner = _sha256_hex(pl.Series("b", inner_msgs))
    outer = _sha256_hex(_prefixed_digests(bytes(b ^ 0x5C for b in block), inner))
    return outer.set(values.is_null(), None).alias(values.name)  # type: ignore[arg-type]


def _sha256_hex(data: pl.Series) -> pl.Series:
    import polars_hash as plh

    return data.to_frame("b").select(plh.col("b").chash.sha2_256()).to_series()


@lru_cache(maxsize=1)
def _hex_pairs():  # noqa: ANN202 - a NumPy array
    """The byte value of every two-character lower-case hex pair, indexed by the pair read as a
    little-endian 16-bit number."""
    import numpy as np

    table = np.zeros(1 << 16, np.uint8)
    for value in range(256):
        pair = f"{value:02x}".encode("ascii")
        table[pair[0] | pair[1] << 8] = value
    return table


def _prefixed_digests(prefix: bytes, hexes: pl.Series) -> pl.Series:
    """``prefix || bytes(h)`` for every 64-character lower-case hex digest ``h`` (no nulls)."""
    import numpy as np
    import pyarrow as pa

    n = len(hexes)
    text = hexes.to_arrow().cast(pa.large_string())  # one contiguous buffer of n * 64 bytes
    start = np.frombuffer(text.buffers()[1], np.int64)[text.offset]
    pairs = np.frombuffer(text.buffers()[2], "<u2", count=32 * n, offset=int(start))
    digests = _hex_pairs()[pairs].reshape(n, 32)
    width = len(prefix) + 32
    rows = np.empty((n, width), np.uint8)
    rows[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    rows[:, len(prefix) :] = digests
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    array = pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(rows)]
    )
    return pl.Series("b", array)


def _hash_normalised(values: list[str], key: bytes) -> list[str]:
    """HMAC-SHA256 of already-normalised values, reusing the keyed state (same result as hash_value)."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for value in values:
        mac = base.copy()
        mac.update(value.encode())
        out.append(mac.hexdigest())
    return out


def hash_column(
    frame: pl.DataFrame, column: str, key: bytes, out: str | None = None
) -> pl.DataFrame:
    """Replace ``column`` by ``<column>_hash`` (or ``out``); blank values become null.

    Each distinct value is hashed once, so the cost follows the number of distinct registrations.
    """
    out = out or f"{column}_hash"
    if column not in frame.columns:
        return frame.with_columns(pl.lit(None, pl.Utf8).alias(out))
    values = (
        frame.get_column(column).cast(pl.Utf8).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    )
    distinct = values.drop_nulls().unique()
    distinct = distinct.filter(distinct != "")
    lookup = pl.DataFrame(
        {"_v": distinct, out: _hash_normalised(distinct.to_list(), key)},
        schema={"_v": pl.Utf8, out: pl.Utf8},
    )
    hashed = pl.DataFrame({"_v": values}).join(lookup, on="_v", how="left", maintain_order="left")
    return frame.drop(column).with_columns(hashed.get_column(out))
