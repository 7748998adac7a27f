"""Bytes from a channel into text lines, holding at most `max_bytes` of any one line.

A node that prints 50 MB without a newline must not cost 50 MB (or, by re-joining the partial
line on every 32 KB read, minutes of CPU): the first `max_bytes` of a line are kept, the rest
is counted and dropped, and the line ends with a marker saying how much was cut.

    lines = LineSplitter("out", on_line, max_bytes=10)
    lines.feed(b"short\\n" + b"x" * 25 + b"\\n")
    # on_line("out", "short"); on_line("out", "xxxxxxxxxx [gpufleet: line cut, 15 more bytes]")
"""

from __future__ import annotations

from collections.abc import Callable

MAX_LINE_BYTES = 64 * 1024


def cut_marker(dropped: int) -> str:
    return f" [gpufleet: line cut, {dropped} more bytes]"


class LineSplitter:
    def __init__(
        self, stream: str, on_line: Callable[[str, str], None], *, max_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self.stream = stream
        self.on_line = on_line
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._dropped = 0

    def feed(self, data: bytes) -> None:
        start = 0
        while (newline := data.find(b"\n", start)) >= 0:
            self._keep(data, start, newline)
            self._emit()
            start = newline + 1
        self._keep(data, start, len(data))

    def close(self) -> None:
        """Emit what is left of an unterminated last line."""
        if self._buf or self._dropped:
            self._emit()

    def _keep(self, data: bytes, start: int, end: int) -> None:
        room = self.max_bytes - len(self._buf)
        take = min(room, end - start)
        if take > 0:
            self._buf += data[start : start + take]
        self._dropped += (end - start) - max(take, 0)

    def _emit(self) -> None:
        line = self._buf.decode("utf-8", "replace")
        if line.endswith("\r"):
            line = line[:-1]
        if self._dropped:
            line += cut_marker(self._dropped)
        self._buf.clear()
        self._dropped = 0
        self.on_line(self.stream, line)
