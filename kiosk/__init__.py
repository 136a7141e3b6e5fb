"""The kiosk core (no Qt here), in rooms: domain (pure rules and words), config, services (the gate and
what feeds it), reports, desk (the window's side), sim (demo and simulations), cli, and app.py, the one
composition root. README "Design" draws the layers; pyproject's import-linter contracts hold them.
"""

__version__ = "0.1.0"
