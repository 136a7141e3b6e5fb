"""Revision scripts, applied in order by ``db.store.upgrade``."""
