"""Entry point of the frozen (PyInstaller) kiosk: the same ``gate-kiosk`` command line."""

import multiprocessing

from kiosk.cli.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # harmless where unused; required on Windows if anything spawns
    raise SystemExit(main())
