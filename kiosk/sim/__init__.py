"""Simulation and demo: the demo people and issuer, demo data, headless gate runs and scenarios.

Two kinds live here, on two levels of the rooms' layering (pyproject.toml, import-linter):

- content the composition root plugs into a demo kiosk: ``demo`` (the demo director and its
  people), ``scenes`` (camera scenes), ``demodata`` (a judged day of demo entries); these sit
  below ``kiosk.app`` and are handed what they drive;
- drivers that build a whole kiosk through ``kiosk.app`` and run it: ``gatesim`` (``simulate
  gate``) and ``scenario`` (``scenario run``, the scenario files of tests/scenarios); these sit
  above ``kiosk.app``, beside the CLI that calls them.

Nothing here is imported by the services, reports, settings or domain (a contract): a simulated
entry never enters a real log by accident.
"""
