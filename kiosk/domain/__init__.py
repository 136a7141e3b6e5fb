"""The domain: who comes through, the policy that judges them, a visit's state machine, the words.

Pure: no I/O, no threads, no clock, nothing of the project outside this package.
"""
