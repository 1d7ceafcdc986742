"""Checks an archive (zip: .xlsx, .docx) before anything opens it.

openpyxl inflates whatever a workbook's zip says: a 200 KB upload whose sheet expands to
200 MB took 272 MB of memory and 5 s. The zip's central directory states every member's
compressed and uncompressed size, so a bomb can be refused from the directory alone,
before a single byte is inflated. The stated sizes could lie; `zipfile` itself refuses a
member that inflates beyond its stated size ("Bad CRC"/short read), and readers then fail
with the broken-file message.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .errors import ValidationError

#: Sum of the members' uncompressed sizes.
MAX_TOTAL_BYTES = 100 * 1024 * 1024
#: A member bigger than `RATIO_FLOOR_BYTES` may expand at most this many times.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_MEMBERS = 1000


_END_SIGNATURE = b"PK\x05\x06"
#: The end record (22 bytes) may be followed by a comment of up to 65535 bytes.
_END_SEARCH = 22 + 65535
#: A directory entry: 46 bytes plus name, extra field and comment (generous).
_MAX_ENTRY_BYTES = 46 + 3 * 1024


def _end_record(source: io.BytesIO | Path) -> tuple[int, int]:
    """(entries, directory size in bytes) from the zip's end record; BadZipFile if none.

    A zip64 archive says 0xFFFF / 0xFFFFFFFF here: read as "too many", which no office
    document needs.
    """
    if isinstance(source, Path):
        with source.open("rb") as handle:
            handle.seek(0, io.SEEK_END)
            handle.seek(max(0, handle.tell() - _END_SEARCH))
            tail = handle.read()
    else:
        with source.getbuffer() as view:
            tail = view[-_END_SEARCH:].tobytes()
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) < at + 22:
        raise zipfile.BadZipFile("no end of central directory record")
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    size = int.from_bytes(tail[at + 12 : at + 16], "little")
    return entries, size


class ArchiveRefused(ValidationError):
    """The file is not a zip, or its directory describes a bomb."""


def check_zip(
    source: bytes | Path,
    *,
    what: str = "Tệp Excel (.xlsx)",
    broken: str = "Không đọc được tệp Excel (.xlsx); tệp có thể bị hỏng.",
    max_total: int = MAX_TOTAL_BYTES,
    max_ratio: int = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> None:
    """Raise `ArchiveRefused` (a Vietnamese message) unless `source` is a sane zip.

    `what` names the file in the messages; `broken` is the message for "not a zip at all".
    """
    opened = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    many = f"{what} có quá nhiều thành phần; không mở tệp này."
    try:
        # zipfile builds an object per directory entry: count them before it does.
        entries, directory_size = _end_record(opened)
        if entries > max_members or directory_size > max_members * _MAX_ENTRY_BYTES:
            raise ArchiveRefused(many)
        with zipfile.ZipFile(opened) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ArchiveRefused(broken) from None
    if len(members) > max_members:
        raise ArchiveRefused(many)
    total = 0
    for member in members:
        total += member.file_size
        if total > max_total:
            raise ArchiveRefused(
                f"{what} khi giải nén lớn quá {max_total // (1024 * 1024)} MB; không mở tệp này."
            )
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > max_ratio * max(
            member.compress_size, 1
        ):
            raise ArchiveRefused(
                f"{what} có thành phần nén bất thường (giải nén lớn gấp hơn {max_ratio} lần); "
                "không mở tệp này."
            )
