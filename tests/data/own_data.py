"""Recordings in the awkward shapes real watches and phones produce (the library's example files)."""

from mujo_edge.data.example_files import DAILY, PHYSICS, session_signal, write_study, write_watch_csv

__all__ = ["DAILY", "PHYSICS", "session_signal", "write_study", "write_watch_csv"]
