"""Record the spoken prompts (kiosk/domain/prompts.py) as WAV files with espeak-ng, for ui/speech.py.

The kiosk speaks through QtTextToSpeech where an engine has a voice for the
language; elsewhere (most Windows PCs at a school gate have no Chinese voice,
a bare Linux kiosk has no engine) it plays these files. They are committed,
so the kiosk never needs espeak-ng; run this only when a prompt's text changes.
espeak-ng (GPL-3.0) is a build tool here and is not shipped; only the audio
it produced is.

    apt-get install espeak-ng
    python scripts/make_speech.py            # writes ui/assets/speech/{zh_CN,en}/<prompt>.wav

Voices: ``cmn`` (Mandarin) for zh_CN, ``en-us`` for en.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.domain.prompts import Prompt  # noqa: E402

VOICES = {"zh_CN": ("cmn", "150"), "en": ("en-us", "155")}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "ui" / "assets" / "speech")
    args = ap.parse_args()
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("make_speech: espeak-ng not found (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    for language, (voice, speed) in VOICES.items():
        folder = args.out / language
        folder.mkdir(parents=True, exist_ok=True)
        for prompt in Prompt:
            out = folder / f"{prompt.value}.wav"
            subprocess.run([espeak, "-v", voice, "-s", speed, "-w", str(out), prompt.text(language)], check=True)
            print(f"{out.relative_to(REPO)}: {prompt.text(language)} ({out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
