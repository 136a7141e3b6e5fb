"""``python -m kiosk`` runs the same CLI as ``gate-kiosk``."""

from kiosk.cli.main import main

raise SystemExit(main())
