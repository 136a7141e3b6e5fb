"""Device adapters and simulators: camera, code decoders, thermometer, mask detector.

Knows the standard library, numpy, OpenCV, pyserial and the decoders; never
the core, the database or Qt. Speaks in small frozen dataclasses.
"""
