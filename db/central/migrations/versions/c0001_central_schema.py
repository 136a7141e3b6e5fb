"""Central schema: sites and gates, day-partitioned entries, chain heads, incidents, the other
forwarded logs, publications (roster, policy, issuer keys), findings and tracing requests.

Entries are partitioned by ``local_date`` (one partition per day, created on
demand by the ingest); the primary key is ``(id, local_date)`` because a
partitioned table's unique keys must contain the partition key: an entry's
day never changes, so the kiosk's entry id alone still identifies it.

Revision ID: c0001
Revises:
Create Date: 2026-11-29
"""
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = """
CREATE TABLE sites (
    site_id text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    district text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE gates (
    site_id text NOT NULL REFERENCES sites(site_id),
    gate_id text NOT NULL,
    name text NOT NULL DEFAULT '',
    thermometer_id text NOT NULL DEFAULT '',
    calibration_interval_days integer NOT NULL DEFAULT 7,
    last_sync_at timestamptz,
    PRIMARY KEY (site_id, gate_id)
);
-- The last row of each gate's chain the centre accepted, and when (the centre's clock).
CREATE TABLE chain_heads (
    site_id text NOT NULL,
    gate_id text NOT NULL,
    seq bigint NOT NULL,
    row_hash text NOT NULL,
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, gate_id)
);
-- Every head the centre saw, one per accepted batch: the external anchor.
CREATE TABLE chain_anchors (
    site_id text NOT NULL,
    gate_id text NOT NULL,
    seq bigint NOT NULL,
    row_hash text NOT NULL,
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (site_id, gate_id, seq)
);
CREATE TABLE incidents (
    id bigserial PRIMARY KEY,
    site_id text NOT NULL,
    gate_id text NOT NULL,
    kind text NOT NULL,
    seq bigint NOT NULL DEFAULT 0,
    entry_id text,
    detail text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, gate_id, kind, seq)
);
CREATE TABLE entries (
    id text NOT NULL,
    site_id text NOT NULL,
    gate_id text NOT NULL,
    lane text NOT NULL,
    person_kind text NOT NULL,
    person_ref text,
    name_masked text,
    id_masked text,
    id_hash text,
    elements jsonb NOT NULL,
    health_status text,
    temperature_raw double precision,
    temperature_c double precision,
    thermometer_id text,
    calibration_id text,
    mask boolean,
    decision text NOT NULL,
    reasons jsonb NOT NULL,
    flagged boolean NOT NULL,
    policy_version text NOT NULL,
    guard_id text NOT NULL,
    created_at timestamptz NOT NULL,
    local_date date NOT NULL,
    registration jsonb NOT NULL,
    handoff boolean NOT NULL,
    corrects_id text,
    note text,
    follow_up text,
    origin text,
    visit_id text,
    codes jsonb,
    returnee boolean,
    registration_sealed text,
    seq bigint,
    prev_hash text,
    row_hash text,
    personal_hash text,
    purged_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, local_date)
) PARTITION BY RANGE (local_date);
-- A day's report per school and gate; the people at a gate within a window.
CREATE INDEX ix_central_entries_gate_time ON entries (site_id, gate_id, created_at);
-- A person's entries, by roster number, by keyed ID hash, by masked ID.
CREATE INDEX ix_central_entries_person_ref ON entries (person_ref, created_at) WHERE person_ref IS NOT NULL;
CREATE INDEX ix_central_entries_id_hash ON entries (id_hash, created_at) WHERE id_hash IS NOT NULL;
CREATE INDEX ix_central_entries_id_masked ON entries (id_masked, created_at) WHERE id_masked IS NOT NULL;
CREATE INDEX ix_central_entries_corrects ON entries (corrects_id) WHERE corrects_id IS NOT NULL;
CREATE INDEX ix_central_entries_chain ON entries (site_id, gate_id, seq);

CREATE TABLE follow_ups (
    site_id text NOT NULL,
    gate_id text NOT NULL,
    local_id bigint NOT NULL,
    entry_id text NOT NULL,
    state text NOT NULL,
    at timestamptz NOT NULL,
    guard_id text NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, gate_id, local_id)
);
CREATE INDEX ix_central_follow_ups_entry ON follow_ups (entry_id, at);
CREATE TABLE calibrations (
    id text PRIMARY KEY,
    site_id text NOT NULL,
    gate_id text NOT NULL,
    thermometer_id text NOT NULL,
    performed_at timestamptz NOT NULL,
    operator text NOT NULL,
    reference_c double precision NOT NULL,
    readings jsonb NOT NULL,
    offset_c double precision NOT NULL,
    residual_c double precision NOT NULL,
    ambient_c double precision,
    ambient_coefficient double precision NOT NULL DEFAULT 0
);
CREATE INDEX ix_central_calibrations_gate ON calibrations (site_id, gate_id, performed_at);
CREATE TABLE device_events (
    site_id text NOT NULL,
    gate_id text NOT NULL,
    local_id bigint NOT NULL,
    at timestamptz NOT NULL,
    device text NOT NULL,
    state text NOT NULL,
    message text NOT NULL DEFAULT '',
    PRIMARY KEY (site_id, gate_id, local_id)
);
CREATE INDEX ix_central_device_events_at ON device_events (site_id, gate_id, at);
CREATE TABLE audit_log (
    site_id text NOT NULL,
    gate_id text NOT NULL,
    local_id bigint NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    detail jsonb NOT NULL,
    PRIMARY KEY (site_id, gate_id, local_id)
);
CREATE INDEX ix_central_audit_action ON audit_log (site_id, action, at);

-- Published roster / policy / issuer keys; scope is a site id or '*' for the whole district.
CREATE TABLE publications (
    kind text NOT NULL CHECK (kind IN ('roster', 'policy', 'issuers')),
    scope text NOT NULL,
    version integer NOT NULL,
    body jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL DEFAULT '',
    PRIMARY KEY (kind, scope, version)
);
-- Findings of self-inspections and supervision visits (台账), closed with what was done (销号).
CREATE TABLE findings (
    id bigserial PRIMARY KEY,
    site_id text NOT NULL,
    source text NOT NULL CHECK (source IN ('self_inspection', 'supervision', 'centre')),
    found_on date NOT NULL,
    description text NOT NULL,
    found_by text NOT NULL DEFAULT '',
    closed_on date,
    action_taken text,
    closed_by text
);
CREATE INDEX ix_central_findings_site ON findings (site_id, found_on);
CREATE TABLE trace_requests (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    reason text NOT NULL DEFAULT '',
    query jsonb NOT NULL,
    matched integer NOT NULL DEFAULT 0
)
"""


def upgrade() -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for table in ("trace_requests", "findings", "publications", "audit_log", "device_events", "calibrations",
                  "follow_ups", "entries", "incidents", "chain_anchors", "chain_heads", "gates", "sites"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
