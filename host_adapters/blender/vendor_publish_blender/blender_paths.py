"""Blender's own rules for frame numbers in file names, as pure functions (no bpy).

Blender decides which number in a file name is the frame in a few different ways; each
function here mirrors one of them so a collected pattern names exactly the files Blender
reads or writes. The tests check the output rules against Blender's ``frame_path``.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

#: Extensions Blender recognises as images (``imb_ext_image``), lower case.
IMAGE_EXTENSIONS = frozenset(
    ".png .tga .bmp .jpg .jpeg .sgi .rgb .rgba .tif .tiff .tx .jp2 .j2c .hdr .dds .dpx .cin .exr "
    ".psd .pdd .psb .webp".split()
)

#: Extensions each still-image output format accepts; the first is the one Blender appends.
FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "BMP": (".bmp",),
    "IRIS": (".rgb",),
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg"),
    "JPEG2000": (".jp2",),
    "JPEG2000_J2K": (".j2c",),
    "TARGA": (".tga",),
    "TARGA_RAW": (".tga",),
    "CINEON": (".cin",),
    "DPX": (".dpx",),
    "OPEN_EXR_MULTILAYER": (".exr",),
    "OPEN_EXR": (".exr",),
    "HDR": (".hdr",),
    "TIFF": (".tif", ".tiff"),
    "WEBP": (".webp",),
}


class NumberedName(NamedTuple):
    """A path split around the number Blender treats as the frame."""

    head: str
    digits: str
    tail: str

    @property
    def number(self) -> int:
        """The frame (or tile) number written in the name."""
        return int(self.digits)

    def pattern(self) -> str:
        """The path with the number replaced by a ``#`` run of the same width."""
        return f"{self.head}{'#' * len(self.digits)}{self.tail}"


def _split_dir(path: str) -> tuple[str, str]:
    cut = max(path.rfind("/"), path.rfind("\\")) + 1
    return path[:cut], path[cut:]


def split_sequence_number(path: str) -> NumberedName | None:
    """Split on the last digit run of the file name before its extension (``BLI_path_sequence_decode``)."""
    directory, name = _split_dir(path)
    dot = name.rfind(".")
    stem_end = dot if dot > 0 else len(name)
    match = None
    for match in re.finditer(r"\d+", name[:stem_end]):
        pass
    if match is None:
        return None
    return NumberedName(directory + name[: match.start()], match.group(), name[match.end():])


def insert_frame_token(path: str) -> str:
    """Apply ``BLI_path_frame``'s placement: keep the file name's last ``#`` run, else append ``####``."""
    directory, name = _split_dir(path)
    if "#" in name:
        return path
    return f"{path}####"


def ensure_image_extension(path: str, file_format: str, jpeg2k_codec: str = "JP2") -> str:
    """Append or swap the extension the way Blender does when it writes ``file_format``."""
    key = "JPEG2000_J2K" if file_format == "JPEG2000" and jpeg2k_codec == "J2K" else file_format
    accepted = FORMAT_EXTENSIONS.get(key)
    if not accepted:
        return path
    _, name = _split_dir(path)
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    if ext in accepted:
        return path
    if ext in IMAGE_EXTENSIONS:
        return path[: len(path) - len(ext)] + accepted[0]
    return path + accepted[0]


def output_pattern(path: str, file_format: str, *, use_extension: bool = True, jpeg2k_codec: str = "JP2") -> str:
    """The ``#`` pattern of the files Blender writes for a still-image output path."""
    pattern = insert_frame_token(path)
    return ensure_image_extension(pattern, file_format, jpeg2k_codec) if use_extension else pattern


def pattern_from_frame_paths(path_a: str, frame_a: int, path_b: str, frame_b: int) -> str | None:
    """Recover a ``#`` pattern from two real output names Blender produced for two frames.

    ``frame_b`` must have more digits than the padding and end in a different digit than
    ``frame_a``; returns None when the two names do not differ only by the frame number.
    """
    text_a, text_b = str(frame_a), str(frame_b)
    width_diff = len(path_b) - len(path_a)
    padding = len(text_b) - width_diff
    if padding < len(text_a) or padding <= 0:
        return None
    suffix_len = 0
    while suffix_len < len(path_a) and path_a[-1 - suffix_len] == path_b[-1 - suffix_len]:
        suffix_len += 1
    suffix = path_a[len(path_a) - suffix_len:]
    prefix = path_a[: len(path_a) - suffix_len - padding]
    if path_a != f"{prefix}{frame_a:0{padding}d}{suffix}" or path_b != f"{prefix}{text_b}{suffix}":
        return None
    return f"{prefix}{'#' * padding}{suffix}"


def normalise(path: str) -> str:
    """Normalise an absolute path without touching pattern tokens or the disk."""
    return os.path.normpath(path) if path else path


def collapse_numbered(names: list[str]) -> tuple[str, int, int] | None:
    """Turn file names numbered consecutively with one width into ``(pattern, first, last)``."""
    if len(names) < 2:
        return None
    parts = [split_sequence_number(n) for n in names]
    first = parts[0]
    if first is None:
        return None
    numbers = []
    for part in parts:
        if part is None or (part.head, len(part.digits), part.tail) != (first.head, len(first.digits), first.tail):
            return None
        numbers.append(part.number)
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return None
    return first.pattern(), numbers[0], numbers[-1]
