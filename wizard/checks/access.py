"""Whether another user can read a file: its mode bits and those of every directory above it.

The check often runs as someone else than the server (root, or the admin's login),
so ``os.access`` would answer for the wrong user.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

_ACL = "system.posix_acl_access"


def blocking_path(path: Path, user: str) -> Path | None:
    """The first directory ``user`` cannot enter, or the file itself it cannot read; None when it can.

    Raises ``KeyError`` when there is no such user on this machine. A path with a POSIX
    ACL counts as accessible: ACLs usually exist to grant exactly this (setfacl).
    """
    account = pwd.getpwnam(user)
    if account.pw_uid == 0:
        return None
    groups = set(os.getgrouplist(user, account.pw_gid))
    path = path.absolute()
    for directory in reversed(path.parents):
        if not _allowed(directory, account.pw_uid, groups, stat.S_IXOTH):
            return directory
    return None if _allowed(path, account.pw_uid, groups, stat.S_IROTH) else path


def _allowed(path: Path, uid: int, groups: set[int], other_bit: int) -> bool:
    info = path.stat()
    if _has_acl(path):
        return True
    if info.st_uid == uid:
        return bool(info.st_mode & (other_bit << 6))
    if info.st_gid in groups:
        return bool(info.st_mode & (other_bit << 3))
    return bool(info.st_mode & other_bit)


def _has_acl(path: Path) -> bool:
    try:
        return _ACL in os.listxattr(path)
    except OSError:
        return False
