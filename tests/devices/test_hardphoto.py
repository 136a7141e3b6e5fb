"""Hard photos: codes too small, curved or on cloth for one plain read are found by the still-image ladder."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from pyzbar import pyzbar

import devices.hardphoto as hardphoto
from devices.codeimage import on_coarse_fabric, on_fabric, render_code, wrap_on_cylinder
from devices.decoders import ZxingDecoder, load_image
from devices.hardphoto import StillReader, cylinder_maps, without_weave
from tests.conftest import SHARED_DATA

TEXT = "https://healthcode.example.gov.cn/v/4f1c2a9be0d37c55?t=1646121600"


def naive(image: np.ndarray) -> bool:
    return any(b.text == TEXT for b in zxingcpp.read_barcodes(image)) or \
        any(r.data.decode() == TEXT for r in pyzbar.decode(image))


def curved_code() -> np.ndarray:
    code = render_code(TEXT, module_px=6)
    rng = np.random.default_rng(1)  # vertical axis, about 140 degrees
    return wrap_on_cylinder(code, rng)


def test_a_code_on_a_cup_is_unrolled() -> None:
    image = curved_code()
    assert not naive(image)  # neither library reads it as it is
    codes, technique = StillReader().read(image)
    assert technique == "dewarp" and codes[0].text == TEXT
    h, w = image.shape[:2]
    assert all(0 <= x <= w and 0 <= y <= h for x, y in codes[0].polygon)  # mapped back to the photo


def test_a_code_on_cloth_is_read_by_a_later_step() -> None:
    code = render_code(TEXT, module_px=4)
    cloth = on_fabric(code, np.random.default_rng(3))
    codes, technique = StillReader().read(cloth)
    assert codes and codes[0].text == TEXT and technique is not None


PHOTO = SHARED_DATA / "qr-photos" / "qrcode-1" / "7.webp"


@pytest.mark.skipif(not PHOTO.exists(), reason="../shared/data/qr-photos not present")
def test_a_code_on_cloth_with_a_weave_about_a_module_is_read_once_the_weave_is_notched_out() -> None:
    photo = load_image(str(PHOTO))
    text = PHOTO.with_suffix(".txt").read_text(encoding="utf-8").rstrip("\n")
    cloth = on_coarse_fabric(photo, np.random.default_rng(0), module_px=5.1)  # its modules are about 5 px
    reader = StillReader()
    assert reader.read(cloth, ("plain", "upscale", "binarise", "dewarp")) == ([], None)  # the ladder before
    codes, technique = reader.read(cloth)
    assert technique == "weave" and codes[0].text.rstrip("\n") == text
    # What is notched out is the weave: an image with nothing periodic (a soft blob) comes back as it was.
    yy, xx = np.mgrid[0:120, 0:160].astype(np.float32)
    blob = (255 * np.exp(-((xx - 80) ** 2 + (yy - 60) ** 2) / 800.0)).astype(np.uint8)
    assert np.abs(without_weave(blob).astype(int) - blob.astype(int)).max() <= 3


def test_each_technique_can_be_run_alone_and_a_blank_finds_nothing() -> None:
    blank = np.full((200, 200, 3), 255, np.uint8)
    reader = StillReader()
    for name in hardphoto.TECHNIQUES:
        assert reader.technique(name, blank) == []
    assert reader.read(blank) == ([], None)


def test_unrolling_tables_keep_the_middle_and_stretch_the_edges() -> None:
    map_x, map_y = cylinder_maps(200, 100, 120.0, vertical_axis=True)
    assert map_x.shape[0] == 100 and map_x.shape[1] > 200  # the unrolled arc is longer than its chord
    steps = np.diff(map_x[0])
    assert steps[len(steps) // 2] > steps[0]  # near the edge, one input pixel covers more of the surface


def test_without_libzbar_the_ladder_uses_zxing_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_zbar(self) -> None:
        raise ImportError("libzbar0 missing")

    monkeypatch.setattr(hardphoto.PyzbarDecoder, "__init__", no_zbar)
    reader = StillReader(ZxingDecoder())
    assert reader.pyzbar is None
    codes, technique = reader.read(curved_code())
    assert codes[0].text == TEXT and technique == "dewarp"
