# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base class of the errors this collection raises on purpose.

Every module catches it once, in its shell (ClusterModule.run, HostModule.run): the task fails with the error's
message, which says what to do and never carries a secret, with ``changed`` true and ``written`` listing what was
written before the failure, if anything was. Anything else that escapes is a bug, and shows as one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class OcpRegistryError(Exception):
    """A failure the module reports as a failed task. str() is the message for the user."""

    def __init__(self, *args, **kwargs):
        super(OcpRegistryError, self).__init__(*args)
        # what the failing step itself wrote, when it knows better than the request log (host files, for example)
        self.written = list(kwargs.get("written") or [])
