"""The services: the gate controller and everything that feeds it or keeps its records.

They apply the domain to devices and storage (verification, scanning, thermometry, the replay guard, entries,
sync, access, roster) through the ports in ``ports.py``; ``kiosk.app`` wires them.
"""
