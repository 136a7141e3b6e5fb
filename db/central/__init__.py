"""The central database of a school or a county bureau (PostgreSQL only).

Kiosks forward their local log here (``kiosk.services.sync``); the centre checks and
anchors every gate's hash chain, keeps incidents and findings, publishes
roster, policy and issuer keys, and answers the district reports and
contact-tracing queries. The schema has its own Alembic migrations in
``db/central/migrations`` (version table ``central_alembic_version``), apart
from the kiosk's local schema.
"""
