"""gate-kiosk keys / issue-code / scan / check --code."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.cli.main import main
from tests.conftest import SHARED_DATA


def trust(tmp_path: Path, capsys) -> Path:
    key = tmp_path / "issuer" / "county.pem"
    assert main(["keys", "generate", "--key-id", "county", "--out", str(key)]) == 0
    out = capsys.readouterr().out
    (tmp_path / "config.toml").write_text("\n".join(out.splitlines()[2:]) + "\n")
    return key


def test_issue_scan_and_check(tmp_path: Path, capsys) -> None:
    key = trust(tmp_path, capsys)
    assert (key.stat().st_mode & 0o777) == 0o600
    green, red = tmp_path / "g.png", tmp_path / "r.png"
    assert main(["issue-code", "--kind", "health", "--name", "王小明", "--id", "110101199003077777",
                 "--status", "green", "--key", str(key), "--out", str(green)]) == 0
    assert main(["issue-code", "--kind", "health", "--name", "赵四", "--id", "110101199003071234",
                 "--status", "red", "--key", str(key), "--out", str(red)]) == 0
    capsys.readouterr()
    assert main(["scan", str(green), str(red), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [l["codes"][0]["status"] for l in lines] == ["green", "red"]
    assert all(l["codes"][0]["verified_by"] == "signature" and l["ms"] > 0 for l in lines)
    assert lines[0]["codes"][0]["holder"] == "王*明" and "110101199003077777" not in json.dumps(lines)
    assert main(["check", "--lane", "staff", "--code", str(green), "--temp", "36.4", "--mask", "yes"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "PASS" and out["elements"]["health"]["source"] == "signature"
    assert main(["check", "--lane", "staff", "--code", str(red), "--temp", "36.4", "--mask", "yes"]) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "DENY"


def test_generated_key_id_is_the_one_issue_code_signs_with(tmp_path: Path, capsys) -> None:
    # The file's name ("issuer-2026") is not the key id the user gave ("county"): codes must still verify.
    key = tmp_path / "issuer" / "issuer-2026.pem"
    assert main(["keys", "generate", "--key-id", "county", "--out", str(key)]) == 0
    (tmp_path / "config.toml").write_text("\n".join(capsys.readouterr().out.splitlines()[2:]) + "\n")
    code = tmp_path / "c.png"
    assert main(["issue-code", "--kind", "health", "--name", "王小明", "--id", "110101199003077777",
                 "--key", str(key), "--out", str(code)]) == 0
    capsys.readouterr()
    assert main(["scan", str(code), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["codes"][0]["verified_by"] == "signature"
    assert main(["issue-code", "--kind", "health", "--name", "x", "--id", "1234", "--key", str(key),
                 "--key-id", "school", "--out", str(code)]) == 2
    assert "'county'" in capsys.readouterr().err


def test_scan_errors_per_file_and_exit_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "corrupt.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100, 3), 255, np.uint8))
    assert main(["scan", str(blank), str(bad), str(tmp_path / "missing.png"), "--json"]) == 2
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["codes"] == []
    assert lines[1]["error"] == "not a readable image" and lines[2]["error"] == "file not found"


def test_scan_real_photo_with_pyzbar_backend(capsys) -> None:
    photo = SHARED_DATA / "qr-photos" / "qrcode-2" / "1.png"
    if not photo.exists():
        return
    assert main(["scan", str(photo), "--json", "--decoder", "pyzbar"]) == 0
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["codes"] and line["codes"][0]["status"] == "unknown"  # a black code: no colour, never green


def test_tampered_key_file_and_existing_key(tmp_path: Path, capsys) -> None:
    key = tmp_path / "k.pem"
    key.write_text("not a key")
    assert main(["issue-code", "--kind", "health", "--name", "x", "--id", "1234", "--key", str(key),
                 "--out", str(tmp_path / "o.png")]) == 2
    assert "Ed25519" in capsys.readouterr().err
    trust(tmp_path, capsys)
    assert main(["keys", "generate", "--key-id", "county", "--out", str(tmp_path / "issuer" / "county.pem")]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    # Issue 16: an issuer's private key never lands beside the log.
    assert main(["keys", "generate", "--key-id", "x", "--out", str(tmp_path / "data" / "keys" / "x.pem")]) == 2
    assert "data dir" in capsys.readouterr().err and not (tmp_path / "data" / "keys" / "x.pem").exists()


def test_detect_mask_cli(tmp_path: Path, capsys) -> None:
    scene = tmp_path / "scene.png"
    cv2.imwrite(str(scene), np.full((720, 1280, 3), 120, np.uint8))
    args = ["detect-mask", str(scene), str(tmp_path / "missing.jpg"), "--json"]
    face = SHARED_DATA / "mask" / "without_mask" / "0.jpg"
    if face.exists():
        args.insert(1, str(face))
    assert main(args) == 2
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    if face.exists():
        assert lines[0]["faces"][0]["mask"] is False and set(lines[0]["faces"][0]) == {"box", "mask", "score"}
        lines = lines[1:]
    assert lines[0] == {"file": str(scene), "detector": "YuNet", "faces": []}
    assert lines[1]["error"] == "file not found"


def test_detect_mask_cli_judges_the_nearest_face_of_a_camera_frame(tmp_path: Path, capsys) -> None:
    near_face = SHARED_DATA / "mask" / "with_mask" / "0129.jpg"
    far_face = SHARED_DATA / "mask" / "without_mask" / "0.jpg"
    if not (near_face.exists() and far_face.exists()):
        pytest.skip("../shared/data/mask not present")
    frame = np.full((720, 1280, 3), 100, np.uint8)
    far, near = cv2.imread(str(far_face)), cv2.imread(str(near_face))
    far = cv2.resize(far, (160, int(160 * far.shape[0] / far.shape[1])))
    near = cv2.resize(near, (330, int(330 * near.shape[0] / near.shape[1])), interpolation=cv2.INTER_CUBIC)
    frame[60:60 + far.shape[0], 80:240] = far
    frame[200:200 + near.shape[0], 700:1030] = near
    scene = tmp_path / "gate.png"
    cv2.imwrite(str(scene), frame)
    assert main(["detect-mask", str(scene), "--json"]) == 0
    (face,) = json.loads(capsys.readouterr().out)["faces"]
    x, y, w, h = face["box"]
    assert 700 <= x + w / 2 <= 1030 and face["mask"] is True


def test_scan_says_which_hard_photo_step_read_a_curved_code(tmp_path: Path, capsys) -> None:
    from devices.codeimage import render_code, wrap_on_cylinder

    photo = tmp_path / "cup.png"
    cv2.imwrite(str(photo), wrap_on_cylinder(render_code("https://healthcode.example.gov.cn/v/4f1c2a9be0d37c55?t=1646121600", module_px=6),
                                                np.random.default_rng(1)))
    assert main(["scan", str(photo), "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["technique"] == "dewarp" and line["codes"]
