"""Reading ZIP archives and CSV files that may be hostile or come from Korean Windows (docs/uploads.md).

- Member names: UTF-8 when the archive flags them so; otherwise one encoding is detected for the archive's
  unflagged names (UTF-8 strict, then CP949, else CP437, zipfile's default) and the archive is opened with
  `zipfile.ZipFile(metadata_encoding=...)`, so "부산항_1951.png" keeps its name. Names are NFC-normalized.
- Structure, checked before anything is inflated: every central-directory entry must point at a local header
  that agrees with it (name, method, sizes, CRC), no two members may share a name, and the byte ranges of the
  members (local header + compressed data) may not overlap each other or the central directory. One deflated
  stream referenced many times ("many copies of one member", the overlapping-member bomb) is refused whole.
- Inflation is budgeted on the bytes actually produced, never on the sizes the archive declares: per member
  (the upload byte limit and `ratio` x its verified compressed size) and for the whole archive.
"""

import codecs
import struct
import unicodedata
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from config.api import ServiceError

UTF8_FLAG = 0x800
DATA_DESCRIPTOR_FLAG = 0x8
LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
LOCAL_SIGNATURE = b"PK\x03\x04"
ZIP64_LIMIT = 0xFFFFFFFF


class ZipRefused(ServiceError):
    """The archive (or one member) is refused; `code` says why."""

    def __init__(self, code: str, message: str, status_code: int = 400):
        super().__init__(code, message, fields={"file": [message]}, status_code=status_code)


class BudgetExhausted(ZipRefused):
    """The archive as a whole inflated past its budget: the remaining members are not read."""


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """The name's bytes as stored (zipfile decoded unflagged names as CP437, a byte-for-byte bijection)."""
    if info.flag_bits & UTF8_FLAG:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode("cp437")


def detect_name_encoding(infos) -> str:
    """The encoding of the archive's names that lack the UTF-8 flag: utf-8, cp949 or cp437 (the fallback)."""
    raws = [_raw_name(i) for i in infos if not i.flag_bits & UTF8_FLAG]
    if all(raw.isascii() for raw in raws):
        return "utf-8"
    for encoding in ("utf-8", "cp949"):
        try:
            for raw in raws:
                raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "cp437"


def open_archive(fileobj) -> tuple[zipfile.ZipFile, str]:
    """The archive opened with its detected name encoding, and that encoding. Raises ZipRefused."""
    try:
        archive = zipfile.ZipFile(fileobj)
        encoding = detect_name_encoding(archive.infolist())
        if encoding != "cp437" and any(
            not i.flag_bits & UTF8_FLAG and not _raw_name(i).isascii() for i in archive.infolist()
        ):
            archive.close()
            archive = zipfile.ZipFile(fileobj, metadata_encoding=encoding)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ZipRefused(
            "bad_zip", _("the file is not a ZIP archive (%(detail)s)") % {"detail": exc}
        ) from exc
    return archive, encoding


def _stored_name_bytes(info: zipfile.ZipInfo, encoding: str) -> bytes:
    if info.flag_bits & UTF8_FLAG:
        return info.orig_filename.encode("utf-8")
    return info.orig_filename.encode(encoding if encoding != "cp437" else "cp437")


def check_structure(archive: zipfile.ZipFile, encoding: str) -> None:
    """Refuse duplicated names, central entries that disagree with their local header, overlapping members."""
    infos = archive.infolist()
    seen: set[str] = set()
    for info in infos:
        name = nfc(info.filename)
        if name in seen:
            raise ZipRefused(
                "zip_duplicate_member",
                _("the archive lists %(name)s more than once; refused as a whole") % {"name": name},
            )
        seen.add(name)
    ranges = sorted((_member_range(archive, info, encoding) + (info,) for info in infos), key=lambda r: r[0])
    for (_start, end, first), (start, _end, second) in zip(ranges, ranges[1:], strict=False):
        if start < end:
            raise ZipRefused(
                "zip_overlap",
                _(
                    "members %(a)s and %(b)s share bytes (overlapping or repeated data, a ZIP bomb pattern); "
                    "the archive is refused as a whole"
                )
                % {"a": nfc(first.filename), "b": nfc(second.filename)},
            )


def _member_range(archive: zipfile.ZipFile, info: zipfile.ZipInfo, encoding: str) -> tuple[int, int]:
    """The bytes [start, end) the member occupies (local header, name, extra, data), after checking that its
    local header agrees with its central directory entry and that its data ends before the directory."""
    handle = archive.fp
    handle.seek(info.header_offset)
    fixed = handle.read(LOCAL_HEADER.size)
    if len(fixed) < LOCAL_HEADER.size:
        raise _disagree(info, _("its local header is missing"))
    (signature, _version, flags, method, _time, _date, crc, csize, usize, name_len, extra_len) = (
        LOCAL_HEADER.unpack(fixed)
    )
    if signature != LOCAL_SIGNATURE:
        raise _disagree(info, _("no local header at the offset the directory gives"))
    if handle.read(name_len) != _stored_name_bytes(info, encoding):
        raise _disagree(info, _("the local header names another file"))
    if method != info.compress_type:
        raise _disagree(info, _("the compression methods differ"))
    if not flags & DATA_DESCRIPTOR_FLAG and ZIP64_LIMIT not in (csize, usize):
        if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
            raise _disagree(info, _("the sizes or checksums differ"))
    start = info.header_offset
    end = start + LOCAL_HEADER.size + name_len + extra_len + info.compress_size
    if end > archive.start_dir:
        raise _disagree(info, _("its data runs into the central directory"))
    return start, end


def _disagree(info, why: str) -> ZipRefused:
    return ZipRefused(
        "zip_inconsistent",
        _("the archive's directory entry for %(name)s disagrees with the file: %(why)s; refused as a whole")
        % {"name": nfc(info.filename), "why": why},
    )


class Budget:
    """Bytes the whole archive may still inflate to."""

    def __init__(self, total: int):
        self.total = total
        self.left = total

    @property
    def exhausted(self) -> bool:
        return self.left < 0


class BudgetedReader:
    """Reads a member, counting the bytes actually inflated; refuses the member (or the rest of the archive)
    as soon as a limit is passed, whatever sizes the archive declares."""

    def __init__(self, raw, *, member_limit: int, compressed_size: int, max_ratio: int, budget: Budget):
        self.raw = raw
        self.member_limit = member_limit
        self.max_ratio = max_ratio
        self.ratio_limit = max(compressed_size, 1) * max_ratio
        self.budget = budget
        self.read_so_far = 0

    def read(self, size=-1):
        size = 1024 * 1024 if size is None or size < 0 else min(size, 1024 * 1024)
        chunk = self.raw.read(size)
        self.read_so_far += len(chunk)
        self.budget.left -= len(chunk)
        if self.read_so_far > self.member_limit:
            raise ZipRefused(
                "file_too_large",
                _("inflates past the limit of %(limit)s bytes") % {"limit": f"{self.member_limit:,}"},
                413,
            )
        if self.read_so_far > self.ratio_limit:
            raise ZipRefused(
                "zip_bomb",
                _("inflates more than %(ratio)s times its compressed size; refused")
                % {"ratio": f"{self.max_ratio:,}"},
                413,
            )
        if self.budget.exhausted:
            raise BudgetExhausted(
                "zip_budget",
                _("the archive inflates past its budget of %(limit)s bytes; the rest is not read")
                % {"limit": f"{self.budget.total:,}"},
                413,
            )
        return chunk


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def decode_text(data: bytes, what: str = "metadata.csv") -> DecodedText:
    """Text from a spreadsheet export: UTF-8 (with or without BOM), UTF-16 with BOM, or CP949/EUC-KR
    (Korean Excel's "CSV"). Anything else is a 400 naming the first undecodable byte, never a 500."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp949")
    first_error = None
    for encoding in candidates:
        try:
            return DecodedText(data.decode(encoding), {"utf-8-sig": "utf-8 (BOM)"}.get(encoding, encoding))
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    raise ServiceError(
        "metadata_encoding",
        _(
            "%(what)s is neither UTF-8 nor CP949/EUC-KR (undecodable byte 0x%(byte)02x at position %(pos)s); "
            "save it as CSV UTF-8"
        )
        % {"what": what, "byte": first_error.object[first_error.start], "pos": first_error.start},
        fields={"metadata": [_("unknown text encoding")]},
    )
