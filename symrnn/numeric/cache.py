"""On-disk cache of generated kernel modules (source + Numba machine code), content-addressed.

Layout under :func:`cache_directory` (safe to delete at any time; everything is rebuilt on demand):

- ``k_<sha256 of the source>.py``: one generated module. Its name is the hash of its content, so a file
  whose content no longer matches its name is corrupted and rewritten.
- ``spec_<sha256 of the spec key>.txt``: the pointer from a spec (and generator version) to its module's
  hash, so a cache hit skips the symbolic derivation as well as Numba's compilation.
- ``__pycache__/``: Numba's own cache of the compiled functions (``cache=True``), keyed by the module file.
  A corrupted index or data file there is deleted and the module recompiled (see :func:`load_module`).

The directory is ``$SYMRNN_CACHE_DIR`` when set, else the user's cache directory + ``symrnn/kernels``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ENVIRONMENT_VARIABLE = "SYMRNN_CACHE_DIR"
_HASH = re.compile(r"^[0-9a-f]{64}$")


def cache_directory() -> Path:
    """``$SYMRNN_CACHE_DIR``, else ``%LOCALAPPDATA%``, ``~/Library/Caches`` or ``$XDG_CACHE_HOME``
    (``~/.cache``) followed by ``symrnn/kernels``."""
    override = os.environ.get(ENVIRONMENT_VARIABLE)
    if override:
        return Path(override)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "symrnn" / "kernels"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp_", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def lookup_source(spec_key: str) -> str | None:
    """The cached module source for ``spec_key``, or None (a miss, or a corrupted entry, which is removed)."""
    directory = cache_directory()
    pointer = directory / f"spec_{digest(spec_key)}.txt"
    try:
        source_hash = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not _HASH.match(source_hash):
        pointer.unlink(missing_ok=True)
        return None
    module = directory / f"k_{source_hash}.py"
    try:
        source = module.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if digest(source) != source_hash:  # corrupted: ignore it, the caller regenerates and stores again
        module.unlink(missing_ok=True)
        pointer.unlink(missing_ok=True)
        return None
    return source


def store_source(spec_key: str, source: str) -> Path:
    """Store ``source`` under its content hash and point ``spec_key`` to it; returns the module path."""
    directory = cache_directory()
    source_hash = digest(source)
    module = directory / f"k_{source_hash}.py"
    try:
        current = module.read_text(encoding="utf-8") if module.exists() else None
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        _write_atomically(module, source)
    _write_atomically(directory / f"spec_{digest(spec_key)}.txt", source_hash)
    return module


def _purge_numba_cache(module_path: Path) -> None:
    """Delete Numba's index and data files of one module (they are rebuilt by the next compilation)."""
    pycache = module_path.parent / "__pycache__"
    if pycache.is_dir():
        for path in pycache.glob(f"{module_path.stem}.*"):
            path.unlink(missing_ok=True)


_LOADED: dict[str, ModuleType] = {}


def load_module(
    source: str, spec_key: str | None = None, *, check: Callable[[ModuleType], None] | None = None
) -> ModuleType:
    """Import the generated module ``source`` from the cache directory (storing it first).

    Numba compiles the module's ``cache=True`` functions at import (explicit signatures), loading machine
    code from ``__pycache__`` when present. If that load fails (a corrupted Numba cache file), the module's
    Numba files are deleted and it is imported once more, compiling from scratch. ``check(module)`` runs
    after import (e.g. a tiny call) and is part of that guard.
    """
    source_hash = digest(source)
    if source_hash in _LOADED:
        return _LOADED[source_hash]
    path = store_source(spec_key, source) if spec_key is not None else None
    if path is None:
        path = cache_directory() / f"k_{source_hash}.py"
        if not path.exists() or path.read_text(encoding="utf-8") != source:
            _write_atomically(path, source)
    for attempt in (0, 1):
        # A stable module name in sys.modules: Numba's cached code refers to its module by name.
        name = f"symrnn_kernel_{source_hash[:32]}"
        specification = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(specification)
        sys.modules[name] = module
        try:
            specification.loader.exec_module(module)
            if check is not None:
                check(module)
        except Exception:
            del sys.modules[name]
            if attempt:
                raise
            _purge_numba_cache(path)
            continue
        _LOADED[source_hash] = module
        return module
    raise AssertionError("unreachable")


def forget_loaded() -> None:
    """Drop the in-process table of loaded modules (tests use it to exercise the disk cache)."""
    _LOADED.clear()
