"""The kiosk core: policy, gate controller, verification, reports and CLI (no Qt here)."""

__version__ = "0.1.0"
