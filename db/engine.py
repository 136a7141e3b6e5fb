"""Opening a database: the engine and its pragmas, the schema migrations (with a backup first), the store's errors."""

from __future__ import annotations

import contextlib
import os
import threading
import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError



MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PG_CONNECT_TIMEOUT_S = 5
PG_LOCK_TIMEOUT_MS = 3000
PG_STATEMENT_TIMEOUT_MS = 30000
SQLITE_BUSY_TIMEOUT_MS = 2000
WRITE_OPTION = "gate_kiosk_write"
class StoreError(Exception):
    """The database cannot be opened or used; the message is for the operator."""


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 via a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per writer: two commands writing the same file at once never rename each
    # other's half-written file (or find theirs gone).
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def safe_url(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def alembic_config(url: str, script_location: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def make_engine(url: str) -> Engine:
    """An engine with the kiosk's durability settings; the SQLite file is made 0600."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreError(f"cannot create the database at {path}: {exc.strerror}") from None
        if not os.access(path, os.R_OK):
            raise StoreError(f"cannot read the database at {path}: permission denied")
        with contextlib.suppress(OSError):  # a copy restored by hand comes back 0644: health data is 0600
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # Every wait has a limit: a locked table is a storage fault (the entry waits
        # in the queue and the status bar says so), never a hang of the gate.
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S,
                        "options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"}
    elif url.startswith("sqlite"):
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    try:
        engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args)
    except (SQLAlchemyError, ImportError, ValueError, TypeError) as exc:
        raise StoreError(f"bad database URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # The driver's own transaction handling skips BEGIN before DDL, so a
            # killed migration left half a schema; we issue BEGIN ourselves (below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA secure_delete=ON")  # an overwritten log key does not linger in free pages
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers begin IMMEDIATE: they queue on the busy timeout instead of failing
            # when a read transaction would have to be upgraded to a write one.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic, all revisions in one transaction.

    A populated SQLite log is copied first (``<file>.before-<revision>.bak``,
    mode 0600). Foreign keys are off during the upgrade (SQLite's batch mode
    rebuilds tables, which must not cascade) and on again after.
    """
    current = current_revision(engine)
    if current == head_revision() and revision == "head":
        return
    _backup_before_upgrade(engine, current)
    cfg = alembic_config(str(engine.url))
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.execution_options(**{WRITE_OPTION: True}).begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _backup_before_upgrade(engine: Engine, current: str | None) -> None:
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or current is None:
        return
    with engine.connect() as conn:
        populated = conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM entries)").scalar()
    if not populated:
        return
    import sqlite3

    target = Path(f"{path}.before-{current}.bak")
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
    src, dst = sqlite3.connect(path), sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)  # a killed copy never stands in for a good one


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def short_error(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.splitlines()[0]
