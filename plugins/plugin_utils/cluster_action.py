# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of every cluster module.

A task that connects with a kubeconfig (a file, a context, exec plugins, in-cluster credentials) needs the
kubernetes package's loader, and importing it costs a module process about 0.2 s. When the module runs on the
controller (connection local, the usual case for cluster tasks), this action plugin runs the same loader here
instead and hands the module the result as inline options (host, token or client certificate, CA), so the
module process never imports the kubernetes package. The package is imported when this plugin is loaded, which
the strategy does in the controller's main process, so every task's worker inherits it and pays nothing.

Each task resolves afresh: exec plugins run and expiring tokens are read once per task, as the module did.
Files the kubeconfig holds inline are written to a directory of this task (0700) and removed when the module
has finished. Anything else (a remote or async task, a task with its own environment, options that already
name host and credentials, a kubeconfig that cannot be read) is passed through unchanged, and the module
resolves it itself, with its own messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.ocp.registry.plugins.module_utils.cluster_options import resolve_auth
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import ConfigError, connect, has_inline_credentials

try:  # loaded once in the controller's main process; forked workers inherit the import
    from kubernetes.client import Configuration  # noqa: F401  pylint: disable=unused-import
    from kubernetes.config import incluster_config, kube_config  # noqa: F401  pylint: disable=unused-import
    HAS_KUBERNETES = True
except ImportError:
    HAS_KUBERNETES = False

# options the module no longer needs once the connection is resolved
RESOLVED_AWAY = ("kubeconfig", "context", "persist_config")


def resolved_options(args, environ, temp_dir):
    """The module options with the kubeconfig resolved to inline ones, or None to leave them to the module."""
    auth = resolve_auth(args, environ)
    if has_inline_credentials(auth):
        return None
    try:
        conn = connect(auth, temp_dir=temp_dir)
    except ConfigError:
        return None  # the module reports it, naming the option
    if not (conn.token or (conn.username and conn.password) or (conn.client_cert and conn.client_key)):
        return None  # e.g. a local proxy without credentials: nothing to gain
    new = dict((k, v) for k, v in args.items() if k not in RESOLVED_AWAY)
    new.update(host=conn.host, validate_certs=conn.validate_certs)
    for option, value in (("api_key", conn.token), ("username", conn.username), ("password", conn.password),
                          ("ca_cert", conn.ca_cert), ("client_cert", conn.client_cert),
                          ("client_key", conn.client_key), ("proxy", conn.proxy)):
        if value and not new.get(option):
            new[option] = value
    return new


class ClusterAction(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def _resolvable(self):
        environment = self._task.environment or []
        if not isinstance(environment, list):
            environment = [environment]
        return (HAS_KUBERNETES and getattr(self._connection, "transport", None) == "local"
                and not self._task.async_val and not any(environment))

    def run(self, tmp=None, task_vars=None):
        result = super(ClusterAction, self).run(tmp, task_vars)
        del tmp
        wrap_async = self._task.async_val and not self._connection.has_native_async
        args = dict(self._task.args)
        temp_dir = None
        try:
            if self._resolvable():
                temp_dir = tempfile.mkdtemp(prefix="ocp-registry-connection-")
                args = resolved_options(args, os.environ, temp_dir) or args
            result = merge_hash(result, self._execute_module(module_name=self._task.action, module_args=args,
                                                             task_vars=task_vars, wrap_async=wrap_async))
        finally:
            if temp_dir:
                shutil.rmtree(temp_dir, ignore_errors=True)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
