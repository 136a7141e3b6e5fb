"""Simulation and demo: the demo people and issuer, demo data, headless gate runs and scenarios.

Nothing here is imported by the services: a simulated entry never enters a real log by accident.
"""
