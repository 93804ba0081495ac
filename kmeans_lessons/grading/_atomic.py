"""Writing a file so that readers see the old text or the new one, never half of either, and
never through something planted at its path."""

import os
import secrets
import stat
from pathlib import Path

__all__ = ["write_text_atomically", "PlantedPathError"]


class PlantedPathError(OSError):
    """The path holds a directory, a link or anything but a regular file, or its folder is a
    link: it is never written through."""


def write_text_atomically(path, text):
    """Write ``text`` (UTF-8, line ends as given) to ``path`` through a temporary file in the
    same folder renamed over it; the folder is created if needed. The file is readable by all
    (mode 0644), as a plainly written one would be.

    Raises :class:`PlantedPathError` (and writes nothing) when ``path`` is a directory, a link
    or anything but a regular file, or when its folder is a link: a graded submission that could
    write there (without the sandbox) can neither redirect the write nor make it fail halfway.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise PlantedPathError(f"{path.parent} is not a plain folder ({error.strerror}); "
                               f"nothing was written to {path}") from None
    try:
        try:
            found = os.stat(path.name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            found = None
        if found is not None and not stat.S_ISREG(found.st_mode):
            raise PlantedPathError(f"{path} exists and is not a regular file (a directory or a "
                                   f"link?); remove it and run again")
        tmp = f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                     dir_fd=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.replace(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:
                pass
            raise
    finally:
        os.close(folder)
