"""Everything PySide6: the bridge from the core's callbacks to signals, and the guard's window."""
