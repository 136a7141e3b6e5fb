"""The central store's errors: what a caller (the sync loop, the CLI) tells apart."""

from __future__ import annotations


class CentralError(Exception):
    """The centre cannot be reached or used; the message is for the operator."""


class CentralUnavailable(CentralError):
    """The centre did not answer (network down, server restarting): try again later."""


class ChainRefused(CentralError):
    """The centre refused a gate's rows: a gap, a fork or a rewritten row (an incident was recorded)."""

    def __init__(self, kind: str, seq: int, detail: str, accepted_to: int | None = None) -> None:
        super().__init__(f"refused by the centre ({kind}): {detail}")
        self.kind, self.seq, self.detail = kind, seq, detail
        self.accepted_to = accepted_to  # the rows of the batch before the bad one were taken, up to this seq
