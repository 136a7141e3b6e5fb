"""Decoders on rendered cases (sizes, angles, blur, glare, low light, moiré), real photos, Chinese text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from devices.codeimage import STATUS_BGR, blur, glare, low_light, moire, place_on_scene, render_code, tint
from devices.decoders import PyzbarDecoder, ZxingDecoder, fix_zbar_text, load_image, make_decoder
from tests.conftest import SHARED_DATA

TEXT = "https://healthcode.example.gov.cn/v/8f3a9c21e0?t=1646121600"


def frame_with(text: str = TEXT, **kw) -> np.ndarray:
    return place_on_scene(render_code(text, module_px=6), **kw)


def decodes(decoder, image: np.ndarray, text: str = TEXT, still: bool = True) -> bool:
    found = decoder.decode_image(image) if still else (
        decoder.decode_frame(image) or decoder.decode_frame(image) or decoder.decode_frame(image))
    return any(c.text == text for c in found)


@pytest.mark.parametrize("width", [90, 130, 200, 320, 520])
def test_sizes_from_far_to_near_in_camera_frames(width: int) -> None:
    assert decodes(ZxingDecoder(), frame_with(width_px=width), still=False)


@pytest.mark.parametrize("angle", [0, 15, 35, 60, 90, 135, 180, 270])
def test_rotations(angle: float) -> None:
    assert decodes(ZxingDecoder(), frame_with(angle_deg=angle, width_px=260), still=False)


@pytest.mark.parametrize("tilt", [0.1, 0.25, 0.4])
def test_perspective(tilt: float) -> None:
    assert decodes(ZxingDecoder(), frame_with(tilt=tilt, width_px=300), still=False)


@pytest.mark.parametrize("sigma", [0.8, 1.5, 2.2])
def test_blur(sigma: float) -> None:
    assert decodes(ZxingDecoder(), blur(frame_with(width_px=300), sigma))


@pytest.mark.parametrize("name, effect", [
    ("glare", lambda im: glare(im, 0.55, seed=2)),
    ("low light", lambda im: low_light(im, 0.22, 5.0)),
    ("moire", lambda im: moire(im, 3.1, 0.3)),
    ("warm white balance", lambda im: tint(im, (0.7, 0.95, 1.2))),
])
def test_hard_conditions(name: str, effect) -> None:
    assert decodes(ZxingDecoder(), effect(frame_with(width_px=320))), name


def test_blank_frame_has_no_codes_on_either_backend() -> None:
    empty = place_on_scene(np.full((10, 10, 3), 110, np.uint8), width_px=10)
    assert ZxingDecoder().decode_frame(empty) == [] and PyzbarDecoder().decode_frame(empty) == []


@pytest.mark.parametrize("fmt, text", [("CODE_128", "S2023001"), ("CODE_39", "T0007"), ("EAN_13", "6901234567892")])
@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_student_card_barcodes(fmt: str, text: str, backend: str) -> None:
    image = place_on_scene(render_code(text, fmt, module_px=3, bar_height=120), width_px=420)
    found = make_decoder(backend).decode_image(image)
    assert [(c.format, c.text) for c in found] == [(fmt, text)]


@pytest.mark.parametrize("backend", ["zxing", "pyzbar", "auto"])
@pytest.mark.parametrize("text", ["张三", "李雷", "王小明 健康码", "https://example.org/?n=韩梅梅&c=初二(3)班"])
def test_utf8_chinese_comes_out_right(backend: str, text: str) -> None:
    image = render_code(text.encode("utf-8"), module_px=8)  # byte mode, no ECI: how phones carry names
    (code,) = make_decoder(backend).decode_image(image)
    assert code.text == text
    assert code.raw == text.encode("utf-8")


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_kanji_mode_chinese_also_right(backend: str) -> None:
    (code,) = make_decoder(backend).decode_image(render_code("李雷", module_px=8))
    assert code.text == "李雷"


def test_zbar_shift_jis_guess_is_undone_only_where_the_bytes_prove_it() -> None:
    mojibake = "李雷".encode("utf-8").decode("shift_jis", errors="strict").encode("utf-8")
    assert fix_zbar_text(mojibake) == "李雷"
    assert fix_zbar_text("ﾃﾞｻﾞｲﾝQR".encode("utf-8")) == "ﾃﾞｻﾞｲﾝQR"  # real Japanese stays Japanese
    assert fix_zbar_text(b"plain ascii") == "plain ascii"


def test_polygon_and_colour_are_sampled() -> None:
    image = place_on_scene(render_code(TEXT, module_px=6, colour_bgr=STATUS_BGR["green"]), width_px=300)
    (code,) = ZxingDecoder().decode_frame(image)
    xs = [x for x, _ in code.polygon]
    assert 640 - 200 < min(xs) < 640 < max(xs) < 640 + 200
    b, g, r = code.colour
    assert g > r + 60 and g > b + 40
    assert min(code.white) > 200


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG garbage")
    assert load_image(str(bad)) is None
    empty = tmp_path / "e.png"
    empty.write_bytes(b"")
    assert load_image(str(empty)) is None


def corpus() -> list[tuple[Path, str]]:
    root = SHARED_DATA / "qr-photos"
    out = []
    for img in sorted(root.glob("*/*")):
        if img.suffix.lower() in (".png", ".jpg", ".webp") and img.with_suffix(".txt").exists():
            out.append((img, img.with_suffix(".txt").read_text(encoding="utf-8", errors="surrogateescape")))
    return out


def same_text(a: str, b: str) -> bool:
    # The corpus stores expected text with \n; payloads may carry \r\n.
    return a.replace("\r\n", "\n").rstrip("\n") == b.replace("\r\n", "\n").rstrip("\n")


@pytest.mark.skipif(not (SHARED_DATA / "qr-photos").exists(), reason="shared qr-photos data not present")
def test_real_photos_detection_rate_at_least_95_percent() -> None:
    cases = corpus()
    assert len(cases) >= 50
    decoder = ZxingDecoder()
    hits = sum(any(same_text(c.text, expected) for c in decoder.decode_image(load_image(str(p)))) for p, expected in cases)
    assert hits / len(cases) >= 0.95, f"{hits}/{len(cases)}"


@pytest.mark.parametrize("suffix, mode", [("png", "1"), ("tif", "L"), ("jpg", "L")])
def test_a_huge_image_is_refused_by_our_size_check_without_a_pil_warning(tmp_path: Path, suffix: str,
                                                                         mode: str) -> None:
    import warnings

    from PIL import Image

    from devices.decoders import ImageRejected

    path = tmp_path / f"big.{suffix}"
    Image.new(mode, (10000, 9500)).save(path)  # 95 MP: over PIL's warning threshold, under its error
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ImageRejected, match="10000×9500"):
            load_image(str(path))
    assert [w.message for w in seen] == []
