"""Revision scripts of the central schema, applied in order by ``CentralStore.upgrade``."""
