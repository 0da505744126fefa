"""Field encryption: the SIV construction, tamper detection, and batch == scalar byte for byte."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from loanpilot.kit.crypto import (
    DecryptionError,
    FieldCipher,
    UnknownKeyError,
    generate_key,
)
from loanpilot.kit.errors import ConfigurationError, DomainError

KEY = bytes(range(64))
CIPHER = FieldCipher(KEY, key_id=7)
quick = settings(database=None, deadline=None, max_examples=200)
texts = st.text(max_size=70)  # any code point but surrogates: CJK, emoji, NUL, empty


def _subkey(info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(KEY)


def test_blob_is_the_documented_siv_construction() -> None:
    """Rebuild one blob from the primitives, independently of the implementation."""
    value, field = "11010519491231002X", "id_number"
    k_enc = _subkey(b"loanpilot/field-cipher/v1/aes-256-ctr")
    k_siv = _subkey(b"loanpilot/field-cipher/v1/synthetic-iv")
    data = value.encode()
    domain = bytes([len(field)]) + field.encode()
    iv = hashlib.blake2b(domain + data, key=k_siv, digest_size=16).digest()
    ct = Cipher(algorithms.AES(k_enc), modes.CTR(iv)).encryptor().update(data)
    assert CIPHER.encrypt(value, field) == bytes([1, 7]) + iv + ct


def test_blind_index_is_the_documented_keyed_hash() -> None:
    k_idx = _subkey(b"loanpilot/field-cipher/v1/blind-index")
    expected = hashlib.blake2b(b"\x05phone13812345678", key=k_idx, digest_size=16).digest()
    assert CIPHER.blind_index("13812345678", "phone") == expected


@quick
@given(texts, st.sampled_from(["id_number", "phone", "名字"]))
def test_round_trip(value: str, field: str) -> None:
    blob = CIPHER.encrypt(value, field)
    assert len(blob) == 18 + len(value.encode())
    assert blob[:2] == bytes([1, 7])
    assert CIPHER.decrypt(blob, field) == value
    assert CIPHER.encrypt(value, field) == blob  # deterministic


@quick
@given(texts, st.data())
def test_tampering_any_byte_is_detected(value: str, data: st.DataObject) -> None:
    blob = bytearray(CIPHER.encrypt(value, "phone"))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(bytes(blob), "phone")


@quick
@given(texts, st.data())
def test_truncating_or_extending_is_detected(value: str, data: st.DataObject) -> None:
    blob = CIPHER.encrypt(value, "phone")
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(blob[:cut], "phone")
    with pytest.raises(DecryptionError):
        CIPHER.decrypt(blob + data.draw(st.binary(min_size=1, max_size=3)), "phone")


def test_a_blob_only_decrypts_as_its_own_field() -> None:
    blob = CIPHER.encrypt("13812345678", "phone")
    assert CIPHER.encrypt("13812345678", "mobile") != blob
    with pytest.raises(DecryptionError) as caught:
        CIPHER.decrypt(blob, "mobile")
    assert caught.value.code == "crypto.tampered"
    assert isinstance(caught.value, DomainError)


def test_another_key_with_the_same_id_fails_authentication() -> None:
    blob = CIPHER.encrypt("13812345678", "phone")
    with pytest.raises(DecryptionError, match="failed authentication"):
        FieldCipher(bytes(64), key_id=7).decrypt(blob, "phone")


def test_unknown_key_id_is_named() -> None:
    blob = FieldCipher(KEY, key_id=3).encrypt("13812345678", "phone")
    with pytest.raises(UnknownKeyError, match="key id 3") as caught:
        CIPHER.decrypt(blob, "phone")
    assert caught.value.code == "crypto.unknown_key"
    assert "key id 7" in caught.value.message


def test_malformed_blobs() -> None:
    with pytest.raises(DecryptionError, match="shorter") as caught:
        CIPHER.decrypt(b"\x01\x07abc", "phone")
    assert caught.value.code == "crypto.malformed"
    blob = CIPHER.encrypt("x", "phone")
    with pytest.raises(DecryptionError, match="version 2"):
        CIPHER.decrypt(b"\x02" + blob[1:], "phone")


def test_key_and_field_validation() -> None:
    with pytest.raises(ConfigurationError, match="64 bytes, got 32"):
        FieldCipher(bytes(32))
    with pytest.raises(ConfigurationError, match="key_id"):
        FieldCipher(KEY, key_id=256)
    with pytest.raises(ValueError, match="field name"):
        CIPHER.encrypt("x", "")
    assert "key" not in repr(CIPHER).replace("key_id", "")


def test_generate_key() -> None:
    first, second = generate_key(), generate_key()
    assert len(first) == 64
    assert first != second
    assert FieldCipher(first).decrypt(FieldCipher(first).encrypt("张三", "name"), "name") == "张三"


# --- batch == scalar ------------------------------------------------------------------------


@quick
@given(st.lists(texts, max_size=40))
def test_encrypt_many_equals_encrypt(values: list[str]) -> None:
    blobs = CIPHER.encrypt_many(values, "name")
    assert blobs == [CIPHER.encrypt(v, "name") for v in values]
    assert CIPHER.decrypt_many(blobs, "name") == values


@quick
@given(
    st.integers(0, 40).flatmap(lambda n: st.lists(st.text("0123456789X张", min_size=n, max_size=n)))
)
def test_encrypt_many_equal_lengths(values: list[str]) -> None:
    """Values of one length take the matrix fast path; ASCII-only ones have equal byte lengths."""
    ascii_values = [v.replace("张", "Z") for v in values]
    for batch in (values, ascii_values):
        assert CIPHER.encrypt_many(batch, "id_number") == [
            CIPHER.encrypt(v, "id_number") for v in batch
        ]


@quick
@given(st.lists(texts, min_size=1, max_size=20), st.data())
def test_decrypt_many_detects_a_tampered_blob_in_a_batch(
    values: list[str], data: st.DataObject
) -> None:
    blobs = CIPHER.encrypt_many(values, "name")
    which = data.draw(st.integers(0, len(blobs) - 1))
    blob = bytearray(blobs[which])
    blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    blobs[which] = bytes(blob)
    with pytest.raises(DecryptionError):
        CIPHER.decrypt_many(blobs, "name")


def test_decrypt_many_reports_the_precise_error() -> None:
    blobs = CIPHER.encrypt_many(["13812345678", "13912345678"], "phone")
    assert CIPHER.decrypt_many([memoryview(b) for b in blobs], "phone") == [
        "13812345678",
        "13912345678",
    ]
    assert CIPHER.decrypt_many([], "phone") == []
    with pytest.raises(DecryptionError, match="shorter") as caught:
        CIPHER.decrypt_many([blobs[0], blobs[1][:5]], "phone")
    assert caught.value.code == "crypto.malformed"
    with pytest.raises(UnknownKeyError, match="key id 3"):
        CIPHER.decrypt_many([blobs[0], FieldCipher(KEY, 3).encrypt("x", "phone")], "phone")
    with pytest.raises(DecryptionError, match="as field 'mobile'"):
        CIPHER.decrypt_many(blobs, "mobile")


def test_encrypt_many_accepts_numpy_arrays() -> None:
    values = ["11010519491231002X", "440524188001010014", ""]
    expected = [CIPHER.encrypt(v, "id_number") for v in values]
    assert CIPHER.encrypt_many(np.array(values), "id_number") == expected
    assert CIPHER.encrypt_many(np.array(values, dtype=object), "id_number") == expected
    assert CIPHER.encrypt_many([], "id_number") == []


def test_encrypt_many_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="value 1 is NoneType"):
        CIPHER.encrypt_many(["a", None], "phone")  # type: ignore[list-item]


@pytest.mark.parametrize(
    "iv",
    [
        bytes(16),
        b"\xff" * 16,
        b"\x00" * 8 + b"\xff" * 8,
        b"\x12" * 8 + b"\xff" * 7 + b"\xfe",
        b"\xff" * 15 + b"\xfd",
    ],
)
def test_keystream_carries_like_openssl_ctr(iv: bytes) -> None:
    """Counter increments carry from the low into the high 64 bits and wrap at 2**128."""
    n_blocks = np.array([4, 1, 0, 3], dtype=np.int64)
    ivs = np.frombuffer(iv * len(n_blocks), dtype=np.uint8).reshape(-1, 16)
    stream = CIPHER._keystream(ivs, n_blocks).tobytes()
    k_enc = _subkey(b"loanpilot/field-cipher/v1/aes-256-ctr")
    expected = b"".join(
        Cipher(algorithms.AES(k_enc), modes.CTR(iv)).encryptor().update(bytes(16 * int(k)))
        for k in n_blocks
    )
    assert stream == expected


# --- blind index ----------------------------------------------------------------------------


@quick
@given(st.lists(texts, max_size=30))
def test_blind_index_many_equals_blind_index(values: list[str]) -> None:
    assert CIPHER.blind_index_many(values, "name") == [
        CIPHER.blind_index(v, "name") for v in values
    ]


def test_blind_index_properties() -> None:
    index = CIPHER.blind_index("13812345678", "phone")
    assert len(index) == 16
    assert index == CIPHER.blind_index(" １３８１２３４５６７８ ", "phone")  # full-width, spaces
    assert index != CIPHER.blind_index("13812345678", "mobile")
    assert index != CIPHER.blind_index("13812345679", "phone")
    assert index != FieldCipher(bytes(64), key_id=7).blind_index("13812345678", "phone")
    assert CIPHER.blind_index("11010519491231002x", "id") == CIPHER.blind_index(
        "11010519491231002X", "id"
    )
    assert index not in CIPHER.encrypt("13812345678", "phone")
