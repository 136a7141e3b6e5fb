"""The ``gate-kiosk`` command line: one module per command group, each with ``register(subparsers)``."""
