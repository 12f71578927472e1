# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on hosts, written so that no path ever shows a partial file or a wider mode than intended: the temporary
file has its final mode before the first byte, is synced, and replaces the old one by rename (atomic_move)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError


class HostFileError(OcpRegistryError, ValueError):
    pass


def make_dirs(path, mode):
    """Create the missing directories of path with exactly mode (not mode & ~umask); returns those created."""
    created = []
    missing = []
    current = os.path.abspath(path)
    while current and not os.path.isdir(current):
        if os.path.exists(current):
            raise HostFileError("%s exists and is not a directory" % current)
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        os.mkdir(directory, mode)
        os.chmod(directory, mode)
        created.append(directory)
    return created


def numeric_mode(mode, default=0o600):
    """The file mode to create a file with: an octal mode as given, else (a symbolic mode) default, which the file
    module arguments then turn into the requested one."""
    if isinstance(mode, int):
        return mode
    text = str(mode or "")
    if text and all(c in "01234567" for c in text):
        return int(text, 8)
    return default


def read(path):
    """The file's bytes, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    if os.path.isdir(path):
        raise HostFileError("%s is a directory, not a file" % path)
    with open(path, "rb") as handle:
        return handle.read()


def write(module, path, payload, mode, dir_mode=0o755):
    """Replace path with payload atomically, in mode from the first byte on."""
    parent = os.path.dirname(path) or "."
    make_dirs(parent, dir_mode)
    fd, tmp = tempfile.mkstemp(prefix=".ocp-registry-", dir=parent)  # 0600 from creation
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        # atomic_move gives a new file the mode 0666 & ~umask after the rename: make that the intended mode too
        old_umask = os.umask(0o777 & ~mode)
        try:
            module.atomic_move(tmp, path)
        finally:
            os.umask(old_umask)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    if os.stat(path).st_mode & 0o7777 != mode:
        os.chmod(path, mode)


def remove(path):
    if os.path.exists(path):
        os.remove(path)
        return True
    return False
