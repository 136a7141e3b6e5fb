"""The centre's bulletin board: publications sent down to the kiosks, and the findings ledger.

Publications (roster, policy, trusted issuer keys) are versioned per kind and
scope (a school, or '*' for the district); a school's own publication wins over
the district's. Findings are the self-inspection and supervision ledger
(台账式管理, 清单式销号): found on a day, closed on a later one with what was done.
``CentralBulletin`` is a part of ``db.central.store.CentralStore``, which owns
the connection (``run``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from db.central.errors import CentralError


class CentralBulletin:
    """Publications and findings of the central store (its ``run`` runs one transaction)."""

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------- publications
    def publish(self, kind: str, scope: str, body: Any, by: str = "") -> int:
        """Publish a new version of the roster, policy or issuer keys for a site (or '*': the district)."""
        def do(conn: Connection) -> int:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"publish/{kind}/{scope}"})
            version = int(conn.execute(text(
                "SELECT coalesce(max(version), 0) + 1 FROM publications WHERE kind = :k AND scope = :s"),
                {"k": kind, "s": scope}).scalar_one())
            conn.execute(text("INSERT INTO publications (kind, scope, version, body, published_by) "
                              "VALUES (:k, :s, :v, :b, :by)").bindparams(bindparam("b", type_=JSONB)),
                         {"k": kind, "s": scope, "v": version, "b": body, "by": by})
            return version
        version: int = self.run(do)
        return version

    def latest_publications(self, site_id: str) -> dict[str, tuple[str, int, Any]]:
        """kind -> (scope, version, body): the site's own publication wins over the district's."""
        def do(conn: Connection) -> dict[str, tuple[str, int, Any]]:
            rows = conn.execute(text(
                "SELECT DISTINCT ON (kind) kind, scope, version, body FROM publications "
                "WHERE scope IN (:s, '*') ORDER BY kind, (scope = '*'), version DESC"), {"s": site_id}).all()
            return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}
        result: dict[str, tuple[str, int, Any]] = self.run(do)
        return result

    # ------------------------------------------------------------ findings
    def add_finding(self, site_id: str, source: str, found_on: date, description: str, found_by: str) -> int:
        def do(conn: Connection) -> int:
            if conn.execute(text("SELECT 1 FROM sites WHERE site_id = :s"), {"s": site_id}).first() is None:
                raise CentralError(f"the centre knows no school {site_id!r} (`gate-kiosk central gates` lists them)")
            return int(conn.execute(text(
                "INSERT INTO findings (site_id, source, found_on, description, found_by) VALUES (:s, :o, :d, :t, :b) "
                "RETURNING id"), {"s": site_id, "o": source, "d": found_on, "t": description, "b": found_by}).scalar_one())
        fid: int = self.run(do)
        return fid

    def close_finding(self, finding_id: int, closed_on: date, action_taken: str, closed_by: str) -> None:
        def do(conn: Connection) -> None:
            row = conn.execute(text("SELECT closed_on, found_on FROM findings WHERE id = :i FOR UPDATE"),
                               {"i": finding_id}).first()
            if row is None:
                raise CentralError(f"no finding {finding_id}")
            if row[0] is not None:
                raise CentralError(f"finding {finding_id} was already closed on {row[0]}")
            if closed_on < row[1]:
                raise CentralError(f"finding {finding_id} was found on {row[1]}: it cannot be closed on {closed_on}")
            conn.execute(text("UPDATE findings SET closed_on = :d, action_taken = :a, closed_by = :b WHERE id = :i"),
                         {"d": closed_on, "a": action_taken, "b": closed_by, "i": finding_id})
        self.run(do)

    def findings(self, site_id: str | None = None, *, open_on: date | None = None,
                 closed_between: tuple[date, date] | None = None) -> list[dict[str, Any]]:
        """Findings of a site (or all): open on a day, or closed within a range, or all of them."""
        clauses: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        if site_id:
            clauses.append("site_id = :s")
            params["s"] = site_id
        if open_on:
            clauses.append("found_on <= :o AND (closed_on IS NULL OR closed_on > :o)")
            params["o"] = open_on
        if closed_between:
            clauses.append("closed_on BETWEEN :a AND :b")
            params["a"], params["b"] = closed_between

        def do(conn: Connection) -> list[dict[str, Any]]:
            return [dict(r) for r in conn.execute(text(
                f"SELECT * FROM findings WHERE {' AND '.join(clauses)} ORDER BY site_id, found_on, id"), params).mappings()]
        result: list[dict[str, Any]] = self.run(do)
        return result
