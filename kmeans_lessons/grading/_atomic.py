"""Writing a file so that readers see the old text or the new one, never half of either."""

import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomically"]


def write_text_atomically(path, text):
    """Write ``text`` (UTF-8, line ends as given) to ``path`` through a temporary file in the
    same folder renamed over it; the folder is created if needed. The file is readable by all
    (mode 0644), as a plainly written one would be."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
