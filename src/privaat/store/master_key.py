"""Where the master key comes from: a setting, a 0600 file, or (demo, test) one made on demand."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from privaat.settings import Mode, Settings
from privaat.store.crypto import CryptoError, MasterKey
from privaat.store.key_errors import MasterKeyConfigError, MasterKeyFileInsecure, MasterKeyMissing

__all__ = [
    "DEMO_KEY_FILE_NAME",
    "load_master_key",
    "read_master_key_file",
    "write_master_key_file",
]

DEMO_KEY_FILE_NAME = "master.key"


def write_master_key_file(path: Path, key: MasterKey) -> None:
    """Write ``key`` to a new file only its owner can read (0600); an existing file is kept."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600; linking it into place is atomic and fails on an
    # existing name, so no reader ever sees a half-written key and no key is overwritten
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".master-key-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key.to_base64() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def read_master_key_file(path: Path, *, require_private: bool) -> MasterKey:
    """Read a key file; with ``require_private``, refuse one open to group or others."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise MasterKeyConfigError(f"master key file {path} is not a regular file")
        if require_private and os.name == "posix" and mode & 0o077:
            raise MasterKeyFileInsecure(
                f"master key file {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as error:
        raise MasterKeyMissing(f"master key file {path} does not exist") from error
    except (OSError, UnicodeDecodeError) as error:
        raise MasterKeyConfigError(f"cannot read master key file {path}: {error}") from error
    try:
        return MasterKey.from_base64(text)
    except CryptoError as error:
        raise MasterKeyConfigError(f"master key file {path}: {error}") from error


def load_master_key(settings: Settings, *, create: bool = True) -> MasterKey:
    """The configured master key; in demo and test mode, ``var_dir/master.key`` made on demand."""
    if settings.master_key is not None and settings.master_key_file is not None:
        raise MasterKeyConfigError(
            "set PRIVAAT_MASTER_KEY or PRIVAAT_MASTER_KEY_FILE, not both: which one wraps the "
            "data keys would otherwise depend on precedence rules nobody remembers"
        )
    production = settings.mode is Mode.PRODUCTION
    if settings.master_key is not None:
        try:
            return MasterKey.from_base64(settings.master_key.get_secret_value())
        except CryptoError as error:
            raise MasterKeyConfigError(f"PRIVAAT_MASTER_KEY: {error}") from error
    if settings.master_key_file is not None:
        # a configured file that is missing is an error in every mode: making a new key
        # would silently leave all existing data unreadable
        return read_master_key_file(settings.master_key_file, require_private=production)
    if production:
        raise MasterKeyMissing(
            "production mode needs a master key: set PRIVAAT_MASTER_KEY_FILE to a file made "
            "with `privaat keys generate --output FILE` (or PRIVAAT_MASTER_KEY to its base64)"
        )
    path = settings.var_dir / DEMO_KEY_FILE_NAME
    if create and not path.exists():
        try:
            write_master_key_file(path, MasterKey.generate())
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError as error:
            raise MasterKeyConfigError(f"cannot create master key file {path}: {error}") from error
    return read_master_key_file(path, require_private=False)
