"""Fill a Qt .ts file's translations from a two-column TSV (source<TAB>translation).

Strings without a translation are listed and make the script exit 1, so a
new tr() string cannot slip into a release untranslated.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(ts_path: str, tsv_path: str) -> int:
    table = {}
    with open(tsv_path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and not line.startswith("#"):
                source, _, target = line.rstrip("\n").partition("\t")
                table[source.replace("\\n", "\n")] = target.replace("\\n", "\n")
    tree = ET.parse(ts_path)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        if source in table:
            translation.text = table[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(ts_path, encoding="utf-8", xml_declaration=True)
    for source in missing:
        print(f"untranslated: {source!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
