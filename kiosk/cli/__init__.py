"""The ``gate-kiosk`` command line: ``main.py`` parses and runs; each command group adds its own
subcommands with ``register(subparsers)`` (no registry filled by import); ``base.py`` is what they share.
"""
