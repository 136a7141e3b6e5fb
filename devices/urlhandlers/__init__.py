"""pyserial URL handlers of the kiosk: ``simport://NAME``, the in-process simulated port (see protocol_simport)."""
