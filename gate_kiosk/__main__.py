"""``gate-kiosk`` and ``python -m gate_kiosk``: the kiosk's command line, from an installed copy."""

from __future__ import annotations


def main() -> int:
    """Put the kiosk's own packages first on the path, then run its CLI."""
    from gate_kiosk import activate

    activate()
    from kiosk.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
