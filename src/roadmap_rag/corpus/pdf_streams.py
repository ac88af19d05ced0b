"""What a PDF's compressed streams inflate to, counted a block at a time without holding it: the check that
refuses a decompression bomb before PDFium reads the file."""

from __future__ import annotations

import re
import zlib

# A stream's dictionary ends right before its data ("<< /Filter /FlateDecode /Length 9 >>\nstream\r\n").
_STREAM = re.compile(rb"(?<!end)stream[ \t\f]*(?:\r\n|\n|\r)?")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_DICT_LOOKBACK = 4096  # bytes before "stream" searched for the stream's /Filter
_IN_BLOCK = 1 << 16  # compressed bytes fed to zlib at a time
_OUT_BLOCK = 1 << 20  # inflated bytes produced, counted and dropped at a time


def inflated_size(data: bytes, limit: int) -> int:
    """The bytes the PDF's zlib (Flate) streams inflate to, also behind an ASCIIHex or ASCII85 layer, counted
    a block at a time and never held: the count stops once it passes ``limit``, so a decompression bomb
    costs a few megabytes of memory and at most ``limit`` bytes of inflating. Every stream is tried, whatever
    its /Filter says (an indirect /Filter cannot hide one); what is not zlib data counts 0."""
    total = 0
    for match in _STREAM.finditer(data):
        filters = _filters(data[max(0, match.start() - _DICT_LOOKBACK) : match.start()])
        total += _inflate_count(_encoded(data, match.end(), filters), limit - total)
        if total > limit:
            break
    return total


def _filters(before: bytes) -> bytes:
    """The /Filter entry of the dictionary just before a stream's data (the last one, the stream's own)."""
    start = before.rfind(b"obj")
    found = _FILTER.findall(before[start:] if start >= 0 else before)
    return found[-1] if found else b""


def _encoded(data: bytes, start: int, filters: bytes) -> memoryview | bytes:
    """The stream's data from ``start``, with an ASCIIHex or ASCII85 layer before the Flate one undone."""
    view = memoryview(data)[start:]
    first = re.match(rb"\[?\s*/(\w+)", filters)
    name = first.group(1) if first else b""
    if name in (b"ASCIIHexDecode", b"AHx"):
        end = data.find(b">", start)
        hexdigits = re.sub(rb"\s", b"", data[start : end if end >= 0 else len(data)])
        return bytes.fromhex((hexdigits + b"0" * (len(hexdigits) % 2)).decode("ascii", "replace"))
    if name in (b"ASCII85Decode", b"A85"):
        import base64

        end = data.find(b"~>", start)
        try:
            return base64.a85decode(data[start : end if end >= 0 else len(data)].strip(), adobe=False)
        except ValueError:
            return b""
    return view


def _inflate_count(encoded: memoryview | bytes, budget: int) -> int:
    """How many bytes ``encoded`` inflates to, up to just past ``budget``; 0 when it is not zlib data."""

    inflater = zlib.decompressobj()
    count = 0
    view = memoryview(encoded)
    try:
        for offset in range(0, len(view), _IN_BLOCK):
            pending: bytes = bytes(view[offset : offset + _IN_BLOCK])
            while pending and not inflater.eof:
                count += len(inflater.decompress(pending, _OUT_BLOCK))
                if count > budget:
                    return count
                pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        pass  # not (or no longer) zlib data: PDFium stops there too
    return count
