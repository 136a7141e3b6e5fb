"""Code subcommands of ``gate-kiosk``: scan, keys, issue-code.

``scan`` decodes and verifies every code in image or video files; with
``--json`` one line per file. An unreadable file prints its own error line
and makes the exit status 2 at the end; denied codes are not errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.cli.base import CliError, Subcommands
from kiosk.cli.command import add_command
from kiosk.config.settings import Settings


def _setup_scan(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")
    p.add_argument("--decoder", choices=["zxing", "pyzbar", "auto"], help="default: devices.decoder")


def _scan(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from kiosk.app import build_decoder, build_store, build_verifier
    from kiosk.services.scanning import scan_path

    if args.decoder:
        settings = replace(settings, devices=replace(settings.devices, decoder=args.decoder))
    decoder = build_decoder(settings)
    store = build_store(settings)
    status = 0
    try:
        verifier = build_verifier(settings, store)
        for path in args.files:
            result = scan_path(path, decoder, verifier)
            if result.error:
                status = 2
                if args.json:
                    print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
                else:
                    print(f"gate-kiosk: error: {path}: {result.error}", file=sys.stderr)
                continue
            if args.json:
                print(json.dumps(result.as_json(), ensure_ascii=False), flush=True)
            else:
                print(f"{path}: {len(result.verdicts)} code(s) in {result.ms:.1f} ms")
                for v in result.verdicts:
                    print(f"  {v.kind:9} {v.status:7} by {v.verified_by:9} {v.holder or '':6} {v.reason}")
    finally:
        store.close()
    return status


KEY_ID_LINE = "Key-Id: "


def recorded_key_id(pem: bytes) -> str | None:
    """The key id ``keys generate`` wrote on the first line of an issuer key file, if any."""
    first = pem.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return first[len(KEY_ID_LINE):].strip() or None if first.startswith(KEY_ID_LINE) else None


def _setup_keys(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="keys_command", required=True)
    g = sub.add_parser("generate", help="a new Ed25519 issuer key")
    g.add_argument("--key-id", default="school", help="the id that goes into codes and the trusted keys")
    g.add_argument("--out", type=Path, required=True,
                   help="private key file, outside the kiosk's data dir (an issuer key has no business on the gate PC)")


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.signedcode import generate_key

    out = args.out
    if out.resolve().is_relative_to(settings.data_dir.resolve()):
        raise CliError(f"{out}: refusing to write an issuer's private key into the kiosk's data dir "
                       f"({settings.data_dir}); write it where the issuer keeps it (e.g. removable media)")
    if out.exists():
        raise CliError(f"{out} exists; refusing to overwrite a key")
    pem, public = generate_key()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        # The key id travels with the key (a line before the PEM, which the PEM reader skips), so
        # ``issue-code`` signs under the id the kiosk was told to trust, whatever the file is called.
        fh.write(f"{KEY_ID_LINE}{args.key_id}\n".encode() + pem)
    print(f"private key: {out} (key id {args.key_id})")
    print("add to the kiosk's config to trust it:")
    print(f'[issuers.trusted]\n{args.key_id} = "{public}"')
    return 0


def _setup_issue(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", required=True, choices=["health", "itinerary", "vaccine"])
    p.add_argument("--name", required=True)
    p.add_argument("--id", dest="id_number", required=True, help="ID number; only the masked form goes in the code")
    p.add_argument("--status", choices=["green", "yellow", "red"], default="green", help="health status")
    p.add_argument("--nucleic", choices=["negative", "positive"], help="health: nucleic-acid result")
    p.add_argument("--nucleic-hours-ago", type=float, help="health: hours since sampling")
    p.add_argument("--cities", default="", help="itinerary: comma-separated cities of the last 7 days")
    p.add_argument("--risk", action="store_true", help="itinerary: visited a medium/high-risk area")
    p.add_argument("--doses", type=int, default=0, help="vaccine: doses")
    p.add_argument("--last-dose", help="vaccine: date of the last dose, YYYY-MM-DD")
    p.add_argument("--valid-hours", type=float, default=24.0)
    p.add_argument("--key", required=True, type=Path, help="the issuer's private key (PEM)")
    p.add_argument("--key-id", help="default: the id `keys generate` recorded in the key file, else its name without .pem")
    p.add_argument("--out", required=True, type=Path, help="PNG to write")


def _issue(args: argparse.Namespace, settings: Settings) -> int:
    import cv2

    from devices.codeimage import STATUS_BGR, render_code
    from kiosk.domain.privacy import mask_id
    from kiosk.services.signedcode import SignedCodeError, issue, load_private_key

    try:
        pem = args.key.read_bytes()
        key = load_private_key(pem)
    except FileNotFoundError:
        raise CliError(f"{args.key}: key file not found") from None
    except SignedCodeError as exc:
        raise CliError(f"{args.key}: {exc}") from None
    recorded = recorded_key_id(pem)
    if args.key_id and recorded and args.key_id != recorded:
        raise CliError(f"{args.key} was generated as key id {recorded!r}: codes signed as {args.key_id!r} would not "
                       f"verify at a kiosk that trusts it as {recorded!r}")
    key_id = args.key_id or recorded or args.key.stem
    now = time.time()
    claims: dict[str, Any] = {"k": args.kind, "n": args.name, "id": mask_id(args.id_number) or "",
                              "iat": int(now), "exp": int(now + args.valid_hours * 3600)}
    colour = "green"
    if args.kind == "health":
        claims["s"] = colour = args.status
        if args.nucleic:
            claims["na"] = args.nucleic
            claims["nt"] = int(now - 3600 * (args.nucleic_hours_ago or 0))
    elif args.kind == "itinerary":
        claims["c"] = [c.strip() for c in args.cities.split(",") if c.strip()]
        claims["r"] = args.risk
        colour = "red" if args.risk else "green"
    else:
        claims["d"] = args.doses
        if args.last_dose:
            claims["ld"] = args.last_dose
        colour = "green" if args.doses else "yellow"
    text = issue(key, key_id, claims)
    image = render_code(text, "QR_CODE", module_px=8, colour_bgr=STATUS_BGR[colour])
    if not cv2.imwrite(str(args.out), image):
        raise CliError(f"cannot write {args.out}")
    print(f"{args.out}: {args.kind} code for {claims['n']} ({claims['id']}), {len(text)} characters")
    return 0


def _setup_detect_mask(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")


def _detect_mask(args: argparse.Namespace, settings: Settings) -> int:
    from devices.decoders import ImageRejected, load_image
    from devices.mask import MaskDetector

    detector = MaskDetector()
    if detector.fallback_reason:
        print(f"gate-kiosk: warning: {detector.fallback_reason}", file=sys.stderr)
    status = 0
    for path in args.files:
        try:
            image = load_image(str(path)) if path.is_file() else None
            error = "file not found" if not path.is_file() else "not a readable image"
        except ImageRejected as exc:
            image, error = None, str(exc)
        if image is None:
            status = 2
            if args.json:
                print(json.dumps({"file": str(path), "error": error}), flush=True)
            else:
                print(f"gate-kiosk: error: {path}: {error}", file=sys.stderr)
            continue
        faces = detector.detect_in_image(image)
        row = {"file": str(path), "detector": detector.finder_name,
               "faces": [{"box": list(f.box), "mask": f.mask, "score": f.score} for f in faces]}
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            words = {True: "mask", False: "NO MASK", None: "unsure (the guard decides)"}
            marks = ", ".join(f"{words[f.mask]} ({f.score:.2f})" for f in faces) or "no face"
            print(f"{path}: {marks}")
    return status


def register(sub: Subcommands) -> None:
    """Add the code commands to ``gate-kiosk``."""
    add_command(sub, 'scan', 'decode and verify the codes in image or video files',
                _setup_scan, _scan)
    add_command(sub, 'keys', 'manage Ed25519 issuer keys for signed codes',
                _setup_keys, _keys)
    add_command(sub, 'issue-code', 'issue a signed code and render it as a QR in its status colour',
                _setup_issue, _issue)
    add_command(sub, 'detect-mask', 'find the face nearest the camera (or judge a face crop) and whether it wears a mask',
                _setup_detect_mask, _detect_mask)
