"""Revision scripts, applied in order by ``db.engine.upgrade``."""
