"""Writing entries to storage: ``EntryWriter``, its waiting queue and its spool on disk.

``EntryWriter`` hands rows to the entry log. Storage may fail (disk full,
locked database): the row then waits in an in-memory queue, the listener is
told how many are waiting, and ``flush`` retries. With a spool (the kiosk
always has one) a row that storage refused is first appended to the waiting
file on disk (``kiosk.services.spool``), so a crash or ``kill -9`` while it waits loses
nothing: ``recover`` at the next start writes it. Nothing acknowledged is
dropped silently: ``on_entry_committed`` is called only after the commit
returned.

Order: the hash chain links each gate's rows in the order they are written,
and that must be the order they were judged. The queue is that order; the
spool holds a copy of the queue's refused part in the same order (spooling
takes the unspooled queued rows in queue order, under one lock); ``recover``
puts spooled rows at the front of the queue, before anything judged after
the restart. A row another process spooled (a ``check`` while the window
ran) comes later and is flagged by the store as written after a newer one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from db.records import EntryRecord
from devices.worker import Worker
from kiosk.services.faultlog import FaultLog
from kiosk.services.ports import EntryLog, GateListener
from kiosk.services.spool import EntrySpool

log = logging.getLogger(__name__)


class EntryWriter(Worker):
    """Hands entries to the log; a storage fault queues them (bounded), spools them to disk, and is reported.

    Without ``start()`` every ``submit`` writes at once on the caller's thread
    (the headless commands, which must know an entry is committed before they
    say so). Started, the writer owns one named thread: ``submit`` only queues
    and returns, so that no GUI, camera or scanner thread ever waits for the
    database; the thread writes in order, retries a failing store with a
    growing pause, and ``drain`` waits (bounded) for the queue to empty.
    With a ``spool`` every refused entry is on disk before the listener hears
    of the fault (see the module docstring); without one the queue is bounded
    by ``MAX_WAITING`` and the oldest go, counted.
    """

    MAX_WAITING = 10_000  # entries kept in memory while storage is down (and not on disk)
    thread_name = "entry-writer"
    # A failed write already waited the store's whole lock limit (SQLite busy timeout,
    # PostgreSQL lock_timeout); closing right after it, trying again at once only
    # multiplied that wait before a command could say the entry was not saved (10-15 s).
    RETRY_PAUSE_S = 2.0

    def __init__(self, entry_log: EntryLog, listener: GateListener, spool: EntrySpool | None = None) -> None:
        super().__init__()
        self._log = entry_log
        self._listener = listener
        self.spool = spool
        self._waiting: deque[EntryRecord] = deque()
        self._spooled: set[str] = set()  # ids of queued entries already in the spool
        self._lock = threading.Lock()  # guards the queue; never held while the store works
        self._write_lock = threading.Lock()  # one writer at a time, in order
        self._spool_lock = threading.Lock()  # spool appends in queue order
        self._wake = threading.Event()
        self._spool_wake = threading.Event()
        self._spooler: _Spooler | None = None  # puts entries on disk while the writer waits on the store
        self._faults = FaultLog(log, "entry writes")
        self.dropped = 0
        self.set_aside = 0  # damaged spool lines kept in the spool's .damaged file
        self.last_problem = ""
        self._failed_at = float("-inf")  # time.monotonic() of the last failed write

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    @property
    def on_disk(self) -> int:
        """How many of the waiting entries are safe in the spool (they survive a crash)."""
        with self._lock:
            return len(self._spooled)

    def pending(self) -> list[EntryRecord]:
        """The entries still waiting for storage, oldest first (a copy)."""
        with self._lock:
            return list(self._waiting)

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def _before_start(self) -> None:
        if self.spool is not None:
            self._spooler = _Spooler(self).start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the threads after writing what they can within ``timeout``; ``waiting`` says how many are left
        (with a spool, what is still not written is on disk for the next start)."""
        self.drain(timeout)
        self._stop.set()
        self._wake.set()
        super().close(timeout)

    def _after_stop(self) -> None:
        if self._spooler is not None:
            self._spooler.close(2.0)
            self._spooler = None
        if self.waiting > self.on_disk:
            self._spool_waiting()  # what is still not written outlives this process (the next start writes it)

    def recover(self) -> int:
        """Queue what the spool holds (a crash left it there) and try to write it; returns how many were queued.

        Called at start, before anything new is judged, so that the spooled rows keep their place in
        the chain; a damaged line is set aside and reported, never dropped.
        """
        queued = self._load_spool()
        if not self.threaded:
            self.flush()
        else:
            self._wake.set()
        return queued

    def submit(self, entry: EntryRecord) -> None:
        """Queue the entry; unthreaded, write everything waiting now (``on_entry_committed`` says when it is)."""
        with self._lock:
            self._waiting.append(entry)
        if self._thread is not None:
            self._wake.set()
            if self._faults.active:
                # Storage is down and the writer may be blocked in the store's lock wait for
                # seconds: the spool thread puts this entry on disk now, not when that wait ends
                # (and not on this thread, which may be the GUI's: an fsync can take a while).
                self._spool_wake.set()
        else:
            self.flush()  # a refusal spools it before this returns

    def drain(self, timeout: float) -> bool:
        """Wait until nothing waits (True) or ``timeout`` passed (False)."""
        end = time.monotonic() + timeout
        while self.waiting:
            if self._thread is None:
                if time.monotonic() - self._failed_at >= self.RETRY_PAUSE_S:
                    self.flush()
                if self.waiting:
                    return False
                break
            if time.monotonic() >= end:
                return False
            self._wake.set()
            time.sleep(0.02)
        # The queue empties before the flush that emptied it has taken the written rows out of the
        # spool: drained means that flush has finished too (its lock is free).
        if not self._write_lock.acquire(timeout=max(0.0, end - time.monotonic())):
            return False
        self._write_lock.release()
        return True

    def _run(self) -> None:
        pause = 0.1
        while not self._stop.is_set():
            self._wake.wait(pause if self.waiting else 1.0)
            self._wake.clear()
            if self.flush():
                pause = 0.1
            else:
                pause = min(pause * 2, 2.0)  # storage is down: retry, but do not spin

    def _spool_loop(self, stop: threading.Event) -> None:
        """The spool thread's loop (``_Spooler``): while storage fails, put what waits on disk."""
        while not stop.is_set():
            self._spool_wake.wait(1.0)
            self._spool_wake.clear()
            if self._faults.active and self.waiting > self.on_disk and self._spool_waiting():
                self._report(self.last_problem)  # the guard's count now includes the entries just kept

    def flush(self) -> bool:
        """Write what waits, in order, then what the spool still holds; False when storage failed."""
        with self._write_lock:
            for _ in range(3):  # a spool that cannot be emptied must not keep this loop going
                ok, written = self._write_waiting()
                self._discard(written)
                if not ok:
                    return False
                with self._lock:
                    spooled_queued = bool(self._spooled)
                if spooled_queued or self.spool is None or not self.spool.has_entries():
                    break
                # Another process spooled rows (or this one spooled some it then wrote): write them now.
                if not self._load_spool():
                    break
            self._faults.recovered()
            return True

    def _write_waiting(self) -> tuple[bool, set[str]]:
        """Write the queue in order; (False, ...) when storage failed. Returns the spooled ids written."""
        written: set[str] = set()
        while True:
            with self._lock:
                if not self._waiting:
                    return True, written
                entry = self._waiting[0]
                spooled = entry.id in self._spooled
            committed = True
            try:
                if spooled and self._in_log(entry.id):
                    committed = False  # written before a crash, after it was spooled: not twice
                else:
                    self._log.append(entry)
            except Exception as exc:  # storage faults must never stop the gate
                if not (spooled and self._in_log(entry.id)):
                    self._failed(entry, exc)
                    return False, written
                committed = False  # another process wrote it from the spool meanwhile
            with self._lock:
                if self._waiting and self._waiting[0] is entry:
                    self._waiting.popleft()
                self._spooled.discard(entry.id)
                empty = not self._waiting
            if spooled:
                written.add(entry.id)
            if committed:
                self._listener.on_entry_committed(entry.id)
            if empty:
                self.last_problem = ""
                self._listener.on_storage_problem("", 0)

    def _in_log(self, entry_id: str) -> bool:
        try:
            return self._log.get(entry_id) is not None
        except Exception:  # the store is down: not known to be there, so it is written (or waits)
            return False

    def _load_spool(self) -> int:
        if self.spool is None:
            return 0
        try:
            entries, damaged = self.spool.read()
        except OSError as exc:
            log.error("cannot read the waiting-entries file %s: %s", self.spool.path, exc)
            self._report(f"无法读取待写入文件（{exc.strerror or exc}）：{self.spool.path}")
            return 0
        with self._lock:
            queued = {e.id for e in self._waiting}
            new = [e for e in entries if e.id not in queued]
            self._waiting.extendleft(reversed(new))  # older than anything judged since: they go first
            self._spooled.update(e.id for e in new)
            waiting = len(self._waiting)
        if new:
            log.warning("%d entries from the waiting-entries file %s are written to the log", len(new),
                        self.spool.path)
        if damaged:
            self.set_aside += damaged
            self._report(f"待写入文件中 {damaged} 行已损坏，已另存到 {self.spool.aside}，请交管理员核对", waiting)
        return len(new)

    def _spool_waiting(self) -> bool:
        """Append the queued entries not yet on disk to the spool, in queue order; False when that failed."""
        if self.spool is None:
            return False
        with self._spool_lock:
            with self._lock:
                todo = [e for e in self._waiting if e.id not in self._spooled]
            if not todo:
                return True
            try:
                self.spool.append(todo)
            except OSError as exc:
                log.error("cannot keep %d waiting entries on disk in %s: %s", len(todo), self.spool.path, exc)
                return False
            with self._lock:
                queued = {e.id for e in self._waiting}
                # One written meanwhile stays in the file until the next recover finds it in the log.
                self._spooled.update(e.id for e in todo if e.id in queued)
            return True

    def _discard(self, written: set[str]) -> None:
        if self.spool is None or not written:
            return
        try:
            self.spool.discard(written)
        except OSError as exc:  # they are in the log; a later read finds them there and skips them
            log.error("cannot remove written entries from %s: %s", self.spool.path, exc)

    def _failed(self, entry: EntryRecord, exc: Exception) -> None:
        on_disk = self._spool_waiting()
        with self._lock:
            while len(self._waiting) - len(self._spooled) > self.MAX_WAITING:
                # Memory is bounded too: the oldest not on disk go, counted and reported, never silently.
                lost = next(e for e in self._waiting if e.id not in self._spooled)
                self._waiting.remove(lost)
                self.dropped += 1
                log.error("entry %s dropped: storage down and %d entries waiting", lost.id, self.MAX_WAITING)
            waiting = len(self._waiting)
        self._failed_at = time.monotonic()
        self._faults.failed(exc)  # one line per fault, not per entry
        message = storage_message(exc, on_disk)
        if self.dropped:
            message += f"；已丢弃 {self.dropped} 条最早的记录"
        self._report(message, waiting)

    def _report(self, message: str, waiting: int | None = None) -> None:
        self.last_problem = message
        self._listener.on_storage_problem(message, self.waiting if waiting is None else waiting)


def storage_message(exc: Exception, on_disk: bool = False) -> str:
    """The guard's line for a storage fault; ``on_disk``: the entries wait in the spool, not only in memory."""
    kept = "记录已暂存到待写入文件" if on_disk else "记录暂存在内存中"
    text = str(exc).lower()
    if "disk" in text or "full" in text or "no space" in text:
        return f"存储空间已满：{kept}，请清理磁盘"
    if "locked" in text or "busy" in text:
        return f"数据库被占用：{kept}，稍后自动写入"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return f"数据库只读：{kept}，请检查文件权限"
    return f"无法写入数据库（{type(exc).__name__}）：{kept}"


class _Spooler(Worker):
    """The ``EntryWriter``'s second thread: it spools waiting entries while the writer is blocked on the store."""

    thread_name = "entry-spool"

    def __init__(self, writer: EntryWriter) -> None:
        Worker.__init__(self)
        self._writer = writer

    def _run(self) -> None:
        self._writer._spool_loop(self._stop)

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._writer._spool_wake.set()  # out of its one-second wait now
        super().close(timeout)


def not_written_report(entries: list[EntryRecord], problem: str) -> str:
    """Lines naming every entry that never reached the database, for whoever stopped the kiosk."""
    # Only the fault itself: the rest of the window's message ("kept in memory, written later") ends here.
    fault = problem.split("：")[0] if problem else "it did not answer in time"
    lines = [f"gate-kiosk: error: {len(entries)} entries were NOT written to the database ({fault}):"]
    lines += [f"  entry {e.id} at {e.created_at.isoformat(timespec='seconds')}, gate {e.gate_id}, {e.lane}, "
              f"{e.decision}" for e in entries]
    return "\n".join(lines)
