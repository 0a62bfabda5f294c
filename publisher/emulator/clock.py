"""Wall-clock time in milliseconds, the unit of Plain's ``unixTimestamp``."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
