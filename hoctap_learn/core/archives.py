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
    try:
        with zipfile.ZipFile(opened) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ArchiveRefused(broken) from None
    if len(members) > max_members:
        raise ArchiveRefused(f"{what} có quá nhiều thành phần ({len(members)}); không mở tệp này.")
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
