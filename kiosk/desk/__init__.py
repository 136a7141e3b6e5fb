"""The window's side of the core: what the guard's window and the setup window may ask for.

``GuardDesk`` (exports, settings, today's figures, follow-ups), the table of the guard's actions and
keys, today's figures kept current off the GUI thread, and the first-run setup's device probes. The
window holds no rules and makes no database calls; it talks to these and to the gate controller.
"""
