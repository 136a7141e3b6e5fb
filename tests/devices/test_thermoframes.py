"""Frame parsers fed with bytes: every protocol, garbage, bad checksums, split frames, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.thermoframes import (
    Aa55Parser, AsciiParser, GyMcuParser, checksum8, crc16_modbus, encode_aa55, encode_ascii, encode_gymcu,
    make_parser,
)


def test_aa55_reference_frame_from_the_datasheet() -> None:
    assert encode_aa55(36.7) == bytes.fromhex("AA55062407 30".replace(" ", ""))
    (r,) = Aa55Parser().feed(bytes.fromhex("AA5506240730"))
    assert r.celsius == pytest.approx(36.7) and r.ambient is None


def test_gymcu_object_and_ambient_big_endian() -> None:
    frame = encode_gymcu(36.55, 21.5)
    assert frame[:4] == bytes([0x5A, 0x5A, 0x45, 0x04]) and frame[4:6] == (3655).to_bytes(2, "big")
    assert frame[8] == checksum8(frame[:8])
    (r,) = GyMcuParser().feed(frame)
    assert r.celsius == pytest.approx(36.55) and r.ambient == pytest.approx(21.5)
    (cold,) = GyMcuParser().feed(encode_gymcu(36.0, -5.25))  # winter at an outdoor gate
    assert cold.ambient == pytest.approx(-5.25)


def test_ascii_braces_and_t_lines_configurable_pattern() -> None:
    p = AsciiParser()
    assert [r.celsius for r in p.feed(b"{36.7}{36.8}T:36.5\r\nnoise T:37.1\n")] == [36.7, 36.8, 36.5, 37.1]
    custom = AsciiParser(r"TEMP=(\d+\.\d)C;")
    assert [r.celsius for r in custom.feed(b"xxTEMP=36.4C;TEMP=3")] == [36.4]
    assert [r.celsius for r in custom.feed(b"7.2C;")] == [37.2]


def test_ascii_half_line_waits_for_the_rest() -> None:
    p = AsciiParser()
    assert p.feed(b"T:36.") == [] and p.feed(b"5") == []
    assert [r.celsius for r in p.feed(b"\n")] == [36.5]
    assert p.feed(b"{36") == [] and [r.celsius for r in p.feed(b".9}")] == [36.9]


@pytest.mark.parametrize("protocol, encode", [("aa55", encode_aa55), ("gy-mcu", lambda c: encode_gymcu(c, 22.0)),
                                              ("ascii", encode_ascii)])
def test_garbage_split_and_bad_checksum_resynchronise(protocol: str, encode) -> None:
    parser = make_parser(protocol)
    good1, good2, good3 = encode(36.5), encode(37.9), encode(36.1)
    bad = bytearray(encode(40.0))
    bad[-1] ^= 0xFF if protocol != "ascii" else 0
    stream = b"\x00\x13garbage\xaa" + good1 + (bytes(bad) if protocol != "ascii" else b"{4x.0}") + good2 + good3
    got = []
    for i in range(0, len(stream), 3):  # every frame split across reads
        got += [r.celsius for r in parser.feed(stream[i:i + 3])]
    assert got == pytest.approx([36.5, 37.9, 36.1])
    if protocol != "ascii":
        assert parser.checksum_errors >= 1
    assert parser.garbage_bytes > 0


def test_header_bytes_inside_garbage_do_not_lose_the_next_frame() -> None:
    p = Aa55Parser()
    got = p.feed(b"\xaa\xaa\x55\x07\xaa" + encode_aa55(36.6))
    assert [r.celsius for r in got] == pytest.approx([36.6])


def test_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown thermometer protocol"):
        make_parser("smoke-signals")


def test_modbus_crc_known_vector() -> None:
    # Read holding register 0, count 1, slave 1: 01 03 00 00 00 01 84 0A
    assert crc16_modbus(bytes.fromhex("010300000001")) == bytes.fromhex("840A")


@settings(max_examples=300, deadline=None)
@given(protocol=st.sampled_from(["ascii", "aa55", "gy-mcu"]), chunks=st.lists(st.binary(max_size=64), max_size=20))
def test_fuzz_parsers_never_raise_and_only_yield_floats(protocol: str, chunks: list[bytes]) -> None:
    parser = make_parser(protocol)
    for chunk in chunks:
        for r in parser.feed(chunk):
            assert isinstance(r.celsius, float)
    assert len(getattr(parser, "_buf")) <= 300


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(30.0, 45.0).map(lambda v: round(v, 1)), min_size=1, max_size=10),
       noise=st.lists(st.binary(max_size=8).filter(lambda b: b"\xaa" not in b), max_size=10))
def test_aa55_round_trip_with_interleaved_noise(values: list[float], noise: list[bytes]) -> None:
    stream = b"".join(n + encode_aa55(v) for n, v in zip(noise + [b""] * len(values), values))
    assert [r.celsius for r in Aa55Parser().feed(stream)] == pytest.approx(values)
