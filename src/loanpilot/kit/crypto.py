"""Field encryption for C2 personal data (JR/T 0171-2020): ID numbers, phone numbers, accounts.

Deterministic and authenticated, in the SIV style: the IV is a keyed BLAKE2b of the field name
and the plaintext, the ciphertext is AES-256-CTR under that IV, and decryption recomputes the IV
from the recovered plaintext and compares. So equal plaintexts in one field give equal
ciphertexts (a seeded demo build is reproducible, duplicates are visible to the database), and
any change to a stored blob, or decrypting it as another field, is detected.

Blob layout: ``version (1 byte) | key id (1 byte) | synthetic IV (16 bytes) | ciphertext``.

Lookups use :meth:`FieldCipher.blind_index`, a keyed hash of the normalised value under a third
subkey, never the ciphertext. The batch methods produce exactly the scalar methods' bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from loanpilot.kit.errors import ConfigurationError, DomainError

VERSION = 1
KEY_BYTES = 64
IV_BYTES = 16
HEADER_BYTES = 2 + IV_BYTES
INDEX_BYTES = 16
_BLOCK = 16
Blob: TypeAlias = bytes | bytearray | memoryview
"""What a database driver may hand back for a binary column."""
_LABELS = {
    "enc": b"loanpilot/field-cipher/v1/aes-256-ctr",
    "siv": b"loanpilot/field-cipher/v1/synthetic-iv",
    "idx": b"loanpilot/field-cipher/v1/blind-index",
}


class DecryptionError(DomainError):
    """A blob cannot be decrypted: tampered, truncated, another field's, or another key's."""

    def __init__(self, message: str, code: str = "crypto.tampered") -> None:
        super().__init__(code, message)


class UnknownKeyError(DecryptionError):
    """The blob names a key id this cipher does not hold."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "crypto.unknown_key")


def generate_key() -> bytes:
    """A fresh random 64-byte master key (store it in the secret store, never in the database)."""
    return os.urandom(KEY_BYTES)


def normalise_for_index(value: str) -> str:
    """What the blind index hashes: NFKC (full-width digits become ASCII), trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


class FieldCipher:
    """Encrypts, decrypts and blind-indexes string fields under one 64-byte master key."""

    def __init__(self, key: bytes, key_id: int = 1) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                "crypto.key", f"field-encryption key must be {KEY_BYTES} bytes, got {len(key)}"
            )
        if not 0 <= key_id <= 255:
            raise ConfigurationError("crypto.key", f"key_id must be 0-255, got {key_id}")
        self.key_id = key_id
        self._k_enc = _derive(key, _LABELS["enc"])
        self._siv = hashlib.blake2b(key=_derive(key, _LABELS["siv"]), digest_size=IV_BYTES)
        self._idx = hashlib.blake2b(key=_derive(key, _LABELS["idx"]), digest_size=INDEX_BYTES)

    def __repr__(self) -> str:
        return f"FieldCipher(key_id={self.key_id})"

    # --- one value ------------------------------------------------------------------------

    def blind_index(self, value: str, field: str) -> bytes:
        """16-byte keyed hash of the normalised value, distinct per field: for lookup and dedup."""
        h = self._idx.copy()
        h.update(_domain(field) + normalise_for_index(value).encode("utf-8"))
        return h.digest()

    def encrypt(self, value: str, field: str) -> bytes:
        """Encrypt one value of ``field``; equal inputs give equal blobs."""
        data = value.encode("utf-8")
        iv = self._synthetic_iv(_domain(field), data)
        encryptor = Cipher(algorithms.AES(self._k_enc), modes.CTR(iv)).encryptor()
        return bytes((VERSION, self.key_id)) + iv + encryptor.update(data) + encryptor.finalize()

    def decrypt(self, blob: Blob, field: str) -> str:
        """Decrypt and authenticate one blob of ``field``; :class:`DecryptionError` otherwise."""
        self._check_header(blob)
        iv = bytes(blob[2:HEADER_BYTES])
        decryptor = Cipher(algorithms.AES(self._k_enc), modes.CTR(iv)).decryptor()
        data = decryptor.update(bytes(blob[HEADER_BYTES:])) + decryptor.finalize()
        if not hmac.compare_digest(iv, self._synthetic_iv(_domain(field), data)):
            raise DecryptionError(
                f"ciphertext failed authentication as field {field!r}: "
                "it was altered, or belongs to another field or key"
            )
        return data.decode("utf-8")

    # --- many values ----------------------------------------------------------------------

    def blind_index_many(self, values: Sequence[str] | npt.NDArray[Any], field: str) -> list[bytes]:
        """:meth:`blind_index` of each value."""
        domain = _domain(field)
        base = self._idx
        out: list[bytes] = []
        for value in _as_strings(values):
            h = base.copy()
            h.update(domain + normalise_for_index(value).encode("utf-8"))
            out.append(h.digest())
        return out

    def encrypt_many(self, values: Sequence[str] | npt.NDArray[Any], field: str) -> list[bytes]:
        """:meth:`encrypt` of each value, byte for byte, with one AES call for the whole batch.

        The CTR counter blocks of every value are laid out in one ``(blocks, 16)`` array,
        encrypted in a single AES-ECB pass, and XORed with the plaintexts in numpy. Only the
        synthetic IVs (one BLAKE2b each) are computed value by value.
        """
        data = _encode_all(values)
        if not data:
            return []
        fresh = self._siv_for(field).copy
        digests: list[bytes] = []
        for item in data:
            h = fresh()
            h.update(item)
            digests.append(h.digest())
        ivs = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, IV_BYTES)
        lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
        cipher = self._apply_ctr(ivs, np.frombuffer(b"".join(data), dtype=np.uint8), lengths)
        header = np.empty((len(data), HEADER_BYTES), dtype=np.uint8)
        header[:, 0] = VERSION
        header[:, 1] = self.key_id
        header[:, 2:] = ivs
        buffer, sizes = _interleave(header, cipher, lengths)
        ends = np.cumsum(sizes)
        return [buffer[a:b] for a, b in zip((ends - sizes).tolist(), ends.tolist(), strict=True)]

    def decrypt_many(self, blobs: Iterable[Blob], field: str) -> list[str]:
        """:meth:`decrypt` of each blob, with one AES call for the batch; the first bad blob raises.

        Headers are checked and keystreams applied in numpy; each plaintext is then authenticated
        against its synthetic IV (one BLAKE2b each) and decoded.
        """
        items = [bytes(blob) for blob in blobs]
        if not items:
            return []
        sizes = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        flat = np.frombuffer(b"".join(items), dtype=np.uint8)
        starts = np.cumsum(sizes) - sizes
        if (sizes < HEADER_BYTES).any():
            self._check_header(items[int(np.argmax(sizes < HEADER_BYTES))])
        bad = (flat[starts] != VERSION) | (flat[starts + 1] != self.key_id)
        if bad.any():
            self._check_header(items[int(np.argmax(bad))])
        header, cipher, lengths = _split(flat, sizes, HEADER_BYTES)
        plain = self._apply_ctr(header[:, 2:], cipher, lengths).tobytes()
        ivs = header[:, 2:].tobytes()
        fresh = self._siv_for(field).copy
        out: list[str] = []
        ends = np.cumsum(lengths)
        for i, (a, b) in enumerate(zip((ends - lengths).tolist(), ends.tolist(), strict=True)):
            data = plain[a:b]
            h = fresh()
            h.update(data)
            if hmac.compare_digest(h.digest(), ivs[i * IV_BYTES : (i + 1) * IV_BYTES]):
                out.append(data.decode("utf-8"))
            else:  # the scalar path raises the precise DecryptionError
                out.append(self.decrypt(items[i], field))
        return out

    # --- internals ------------------------------------------------------------------------

    def _synthetic_iv(self, domain: bytes, data: bytes) -> bytes:
        """The SIV: keyed BLAKE2b of the field's domain and the plaintext bytes."""
        h = self._siv.copy()
        h.update(domain)
        h.update(data)
        return h.digest()

    def _siv_for(self, field: str) -> hashlib.blake2b:
        """The SIV hash with the field's domain already absorbed, to be copied per value."""
        h = self._siv.copy()
        h.update(_domain(field))
        return h

    def _apply_ctr(
        self,
        ivs: npt.NDArray[np.uint8],
        data: npt.NDArray[np.uint8],
        lengths: npt.NDArray[np.int64],
    ) -> npt.NDArray[np.uint8]:
        """AES-CTR of concatenated values (``lengths`` each) under their IVs, in one AES call."""
        n_blocks = (lengths + _BLOCK - 1) // _BLOCK
        keystream = self._keystream(ivs, n_blocks)
        if lengths.min() == lengths.max():  # IDs, phones: one matrix, no index arrays
            length = int(lengths[0])
            stream = keystream.reshape(len(ivs), -1)[:, :length]
            return (data.reshape(len(ivs), length) ^ stream).reshape(-1)
        byte_start = np.cumsum(lengths) - lengths
        block_start = np.cumsum(n_blocks) - n_blocks
        # byte j of value i uses keystream byte 16 * block_start[i] + j
        shift = np.repeat(block_start * _BLOCK - byte_start, lengths)
        out: npt.NDArray[np.uint8] = data ^ keystream[np.arange(data.size) + shift]
        return out

    def _keystream(
        self, ivs: npt.NDArray[np.uint8], n_blocks: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.uint8]:
        """AES-CTR keystream of every value, concatenated: blocks ``E(iv + k)``, k = 0, 1, ...

        The counter is the IV read as a 128-bit big-endian integer, incremented modulo 2**128
        exactly as OpenSSL's CTR mode does, with the carry from the low into the high 64 bits.
        """
        halves = np.ascontiguousarray(ivs).view(">u8").astype(np.uint64)  # (n, 2): high, low
        if n_blocks.min() == n_blocks.max():
            per_value = int(n_blocks[0])
            owner = np.repeat(np.arange(len(ivs)), per_value)
            offset = np.tile(np.arange(per_value, dtype=np.uint64), len(ivs))
        else:
            owner = np.repeat(np.arange(len(ivs)), n_blocks)
            first = np.repeat(np.cumsum(n_blocks) - n_blocks, n_blocks)
            offset = (np.arange(owner.size) - first).astype(np.uint64)
        low = halves[owner, 1] + offset  # wraps modulo 2**64
        counters = np.empty((owner.size, 2), dtype=">u8")
        counters[:, 0] = halves[owner, 0] + (low < offset)  # carry; wraps modulo 2**64 too
        counters[:, 1] = low
        # ECB over counter blocks *is* CTR mode; this is how one call serves every value.
        encryptor = Cipher(algorithms.AES(self._k_enc), modes.ECB()).encryptor()  # noqa: S305
        stream = bytearray(counters.nbytes + _BLOCK - 1)
        written = encryptor.update_into(counters.tobytes(), stream)
        return np.frombuffer(stream, dtype=np.uint8, count=written)

    def _check_header(self, blob: Blob) -> None:
        if len(blob) < HEADER_BYTES:
            raise DecryptionError(
                f"ciphertext is {len(blob)} bytes, shorter than its {HEADER_BYTES}-byte header",
                "crypto.malformed",
            )
        if blob[0] != VERSION:
            raise DecryptionError(
                f"unsupported ciphertext version {blob[0]} (expected {VERSION})", "crypto.malformed"
            )
        if blob[1] != self.key_id:
            raise UnknownKeyError(
                f"ciphertext was encrypted under key id {blob[1]}, "
                f"but this cipher holds key id {self.key_id}"
            )


def _derive(master: bytes, info: bytes) -> bytes:
    """A 32-byte subkey of the master key for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _domain(field: str) -> bytes:
    """Length-prefixed field name, so ``("ab", "c")`` and ``("a", "bc")`` never hash alike."""
    name = field.encode("utf-8")
    if not 0 < len(name) < 256:
        raise ValueError(f"field name must be 1-255 bytes of UTF-8, got {field!r}")
    return bytes((len(name),)) + name


def _interleave(
    heads: npt.NDArray[np.uint8], bodies: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64]
) -> tuple[bytes, npt.NDArray[np.int64]]:
    """One buffer of ``head[i] + body[i]`` records, and each record's size.

    ``heads`` is ``(n, h)``; ``bodies`` is the concatenation of bodies of ``lengths`` bytes.
    """
    n, h = heads.shape
    sizes = lengths + h
    if lengths.min() == lengths.max():
        return np.hstack([heads, bodies.reshape(n, -1)]).tobytes(), sizes
    out_start = np.cumsum(sizes) - sizes
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    out[(out_start[:, None] + np.arange(h)).reshape(-1)] = heads.reshape(-1)
    body_start = np.cumsum(lengths) - lengths
    out[np.arange(bodies.size) + np.repeat(out_start + h - body_start, lengths)] = bodies
    return out.tobytes(), sizes


def _split(
    flat: npt.NDArray[np.uint8], sizes: npt.NDArray[np.int64], h: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The inverse of :func:`_interleave`: ``(heads (n, h), concatenated bodies, body lengths)``."""
    n = len(sizes)
    lengths = sizes - h
    if sizes.min() == sizes.max():
        records = flat.reshape(n, -1)
        return records[:, :h], records[:, h:].reshape(-1), lengths
    starts = np.cumsum(sizes) - sizes
    heads = flat[starts[:, None] + np.arange(h)]
    body_start = np.cumsum(lengths) - lengths
    bodies = flat[np.arange(int(lengths.sum())) + np.repeat(starts + h - body_start, lengths)]
    return heads, bodies, lengths


def _as_list(values: Sequence[str] | npt.NDArray[Any]) -> list[Any]:
    """A plain list (``ndarray.tolist`` turns numpy strings into ``str``)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _as_strings(values: Sequence[str] | npt.NDArray[Any]) -> list[str]:
    """The values as a list of ``str``; anything else (``None``, ``NaN``) is a ``TypeError``."""
    items = _as_list(values)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"value {position} is {type(item).__name__}, not str")
    return items


def _encode_all(values: Sequence[str] | npt.NDArray[Any]) -> list[bytes]:
    """UTF-8 of every value, checking types only when encoding fails (the fast path)."""
    items = _as_list(values)
    try:
        return [item.encode("utf-8") for item in items]
    except AttributeError:
        _as_strings(items)  # raises the TypeError naming the first non-str value
        raise
