"""Reading gzip recordings member by member, past one cut short by a crash.

Recordings joined end to end (``cat rec.*.jsonl.gz > day.jsonl.gz``) are one gzip
member per file. Python's ``gzip`` reads such a file through, but a member cut short
by a crash (no end-of-stream marker, the next file's bytes right after) ends it
there: the decoder reads the next member's header as deflate data and fails, and
every later file was lost from the replay. This reader decodes each member with
zlib itself, so it knows where each began; after a member that cannot be decoded
further it keeps what decoded, ends the cut line, and goes on from the next member,
found by its gzip magic followed by a recording's header line.
"""

from __future__ import annotations

import io
import logging
import zlib
from typing import BinaryIO

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_SALVAGE_SLICE = 256
"""Bytes fed at a time while keeping what decodes before the damage."""
_GZIP_MAGIC = b"\x1f\x8b\x08"
_RECORDING_HEAD = b'{"format":'
_SCAN_BLOCK = 1 << 20
_PROBE_BYTES = 4096


class GzipMembers(io.RawIOBase):
    """The decompressed bytes of one or more gzip members, in order (a raw stream: wrap it
    in ``io.BufferedReader``). ``fileobj`` is the compressed file (its position says how
    far the reading got); ``tell`` counts decompressed bytes handed out."""

    def __init__(self, fileobj: BinaryIO) -> None:
        super().__init__()
        self.fileobj = fileobj
        self.resumed: list[tuple[int, int]] = []
        """(where a member could not be decoded further, where reading went on): byte
        offsets in the compressed file."""
        self._raw_pos = 0
        self._member = 0
        self._d = zlib.decompressobj(31)
        self._fed = False
        self._out = bytearray()
        self._done = False
        self._error: Exception | None = None
        self._plain = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._plain

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._out and not self._done:
            self._fill()
        if not self._out and self._error is not None:
            error, self._error = self._error, None
            raise error
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        del self._out[:n]
        self._plain += n
        return n

    def close(self) -> None:
        try:
            self.fileobj.close()
        finally:
            super().close()

    # ------------------------------------------------------------------ decoding

    def _fill(self) -> None:
        chunk = self.fileobj.read(_CHUNK)
        if not chunk:
            self._done = True
            if self._fed and not self._d.eof:  # a crash's last file: no end marker
                self._error = EOFError("compressed file ended before the end-of-stream marker")
            return
        start = self._raw_pos
        self._raw_pos += len(chunk)
        self._decode(chunk, start)

    def _decode(self, data: bytes, start: int) -> None:
        """Feed ``data`` (read from ``start``) to the members it holds."""
        while data:
            before = self._d.copy()
            try:
                self._out += self._d.decompress(data)
            except zlib.error as exc:
                nxt = self._next_member(self._member + 1)
                # Up to the next member only: the cut member's decoder reads that one's
                # bytes as its own for a while, and what it makes of them is garbage.
                upto = len(data) if nxt is None or nxt < start else min(nxt - start, len(data))
                self._salvage(before, data[:upto])
                self._go_on(nxt, start + len(data), exc)
                return
            self._fed = True
            if not self._d.eof:
                return
            data = self._d.unused_data  # the next member, in the same chunk
            start = self._raw_pos - len(data)
            self._member = start
            self._d = zlib.decompressobj(31)
            self._fed = False

    def _salvage(self, decoder: zlib._Decompress, data: bytes) -> None:
        """What decodes of ``data`` before the damage, a slice at a time."""
        for i in range(0, len(data), _SALVAGE_SLICE):
            try:
                self._out += decoder.decompress(data[i : i + _SALVAGE_SLICE])
            except zlib.error:
                return
            if decoder.eof:
                return

    def _go_on(self, nxt: int | None, failed_at: int, exc: zlib.error) -> None:
        """Go on from ``nxt``, the next member after the one that failed, or end with the
        error (there is none)."""
        if nxt is None:
            self._done = True
            self._error = exc
            return
        log.warning(
            "gzip data cut short or corrupt near byte %d; reading on from the next "
            "recording at byte %d",
            failed_at,
            nxt,
        )
        self.resumed.append((failed_at, nxt))
        if self._out and not self._out.endswith(b"\n"):
            self._out += b"\n"  # the cut line ends here: the next header is read as one
        self.fileobj.seek(nxt)
        self._raw_pos = self._member = nxt
        self._d = zlib.decompressobj(31)
        self._fed = False

    def _next_member(self, offset: int) -> int | None:
        """The first offset from ``offset`` on where a gzip member holding a recording's
        header begins (the magic alone also turns up inside compressed data)."""
        fh = self.fileobj
        while True:
            fh.seek(offset)
            block = fh.read(_SCAN_BLOCK + len(_GZIP_MAGIC))
            if not block:
                return None
            at = block.find(_GZIP_MAGIC)
            while at != -1:
                if self._holds_recording(offset + at):
                    return offset + at
                at = block.find(_GZIP_MAGIC, at + 1)
            if len(block) <= _SCAN_BLOCK:
                return None
            offset += _SCAN_BLOCK

    def _holds_recording(self, offset: int) -> bool:
        self.fileobj.seek(offset)
        probe = self.fileobj.read(_PROBE_BYTES)
        try:
            head = zlib.decompressobj(31).decompress(probe, len(_RECORDING_HEAD))
        except zlib.error:
            return False
        return head == _RECORDING_HEAD
