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

On a local connection the module also runs in this task's worker process instead of a new Python process:
the same module code, given its options the way its own process would read them (encoded, with Ansible's
internal options), its result read back as a module process's output is (decoded, no_log values removed by the
module, warnings and internal keys handled by ansible-core). A module process costs about 0.25 s of start-up
(interpreter, the module's payload, ansible.module_utils.basic); a cluster task is mostly that. Not in the
worker: a remote, async or become task, a task with its own environment, a kubeconfig the controller cannot
read (no kubernetes package here), and any task of a host whose ocp_registry_module_in_worker is false.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import traceback

from ansible.module_utils import basic
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.ocp.registry.plugins.module_utils.api.options import resolve_auth
from ansible_collections.ocp.registry.plugins.module_utils.api.kubeconfig import ConfigError, connect, has_inline_credentials

try:  # loaded once in the controller's main process; forked workers inherit the import
    from kubernetes.client import Configuration  # noqa: F401  pylint: disable=unused-import
    from kubernetes.config import incluster_config, kube_config  # noqa: F401  pylint: disable=unused-import
    HAS_KUBERNETES = True
except ImportError:
    HAS_KUBERNETES = False

# options the module no longer needs once the connection is resolved
RESOLVED_AWAY = ("kubeconfig", "context", "persist_config")

# where the collection's modules live, for running them in the worker
MODULES_PACKAGE = "ansible_collections.ocp.registry.plugins.modules"

# the serialization profile a module without its own metadata is run with
PROFILE = "legacy"

# tested with ansible-core 2.19 and 2.21; the in-worker run relies on internals of those releases, imported when a
# task first runs in a worker, so a release that moves them costs the speed-up (one warning), never a task
_FALLBACK_WARNED = []


def worker_internals():
    """(encoder factory, direction) for running a module in the worker, or None with the reason when this
    ansible-core does not have them where 2.19 to 2.21 do."""
    try:
        from ansible.module_utils.common.json import Direction, get_module_encoder  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        return None, "ansible.module_utils.common.json has no module encoder here (%s)" % exc
    if not (hasattr(basic, "_ANSIBLE_ARGS") and hasattr(basic, "_ANSIBLE_PROFILE")):
        return None, "ansible.module_utils.basic reads its arguments differently here"
    return (get_module_encoder, Direction.CONTROLLER_TO_MODULE), None


def fall_back(reason, display=None):
    """Warn once per process that cluster modules run as module processes, and why."""
    if not _FALLBACK_WARNED:
        _FALLBACK_WARNED.append(reason)
        (display or Display()).warning(
            "ocp.registry: cluster modules run as module processes in this ansible-core (%s); they work as before, "
            "without the in-worker speed-up" % reason)


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


def runs_in_worker(local, become, wanted, args, environ):
    """Whether a task's module runs in its worker: a local, non-become task, not opted out, whose connection
    needs no package the controller lacks (a kubeconfig needs the kubernetes package to be read).
    A value of ocp_registry_module_in_worker that is not a boolean raises TypeError, naming the variable."""
    try:
        wanted = boolean(wanted, strict=True)
    except TypeError:
        raise TypeError("ocp_registry_module_in_worker must be true or false, not %r" % (wanted,)) from None
    if not local or become or not wanted:
        return False
    return HAS_KUBERNETES or has_inline_credentials(resolve_auth(args, environ))


def run_module_main(main, encoded_args):
    """Run a module's main() here as its own process would: options from encoded_args, output captured.

    Returns (rc, stdout, stderr) as a module process's would be; an exception the module did not handle becomes
    rc 1 and its traceback on stderr, as the interpreter would print it.
    """
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE)  # pylint: disable=protected-access
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = encoded_args, PROFILE  # pylint: disable=protected-access
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_streams = (sys.stdout, sys.stderr)
    rc = 0
    try:
        sys.stdout, sys.stderr = stdout, stderr
        main()
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # pylint: disable=broad-except
        rc = 1
        stderr.write(traceback.format_exc())
    finally:
        sys.stdout, sys.stderr = saved_streams
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved  # pylint: disable=protected-access
    return rc, stdout.getvalue(), stderr.getvalue()


class ClusterAction(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def _local(self):
        environment = self._task.environment or []
        if not isinstance(environment, list):
            environment = [environment]
        return (getattr(self._connection, "transport", None) == "local"
                and not self._task.async_val and not any(environment))

    def _execute_in_worker(self, args, task_vars):
        """The module's result, run in this process; the same result dict _execute_module would return."""
        module_name = self._task.resolved_action or self._task.action
        module = importlib.import_module("%s.%s" % (MODULES_PACKAGE, module_name.rsplit(".", 1)[-1]))
        module_args = dict(args)
        self._update_module_args(module_name, module_args, task_vars)
        (encoder, direction), _reason = worker_internals()
        encoded = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder(PROFILE, direction)).encode()
        rc, out, err = run_module_main(module.main, encoded)
        parsed = self._parse_returned_data(dict(rc=rc, stdout=out, stdout_lines=out.splitlines(), stderr=err,
                                                stderr_lines=err.splitlines()), PROFILE)
        if hasattr(parsed, "as_result_dict"):  # ansible-core 2.21: a unified task result
            parsed.remove_internal_keys()
            return parsed.as_result_dict(for_round_trip=True)
        # ansible-core 2.19 (2.21 no longer has this function, so it is imported only here)
        from ansible.vars.clean import remove_internal_keys  # pylint: disable=import-outside-toplevel
        remove_internal_keys(parsed)
        return parsed

    def run(self, tmp=None, task_vars=None):
        result = super(ClusterAction, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        wrap_async = self._task.async_val and not self._connection.has_native_async
        args = dict(self._task.args)
        local = self._local()
        try:
            in_worker = runs_in_worker(local, self._play_context.become,
                                       self._templar.template(task_vars.get("ocp_registry_module_in_worker", True)),
                                       args, os.environ)
        except TypeError as exc:
            result.update(failed=True, msg=str(exc))  # before any request
            return result
        if in_worker:
            internals, reason = worker_internals()
            if internals is None:
                fall_back(reason)
                in_worker = False
        temp_dir = None
        try:
            if HAS_KUBERNETES and local:
                temp_dir = tempfile.mkdtemp(prefix="ocp-registry-connection-")
                args = resolved_options(args, os.environ, temp_dir) or args
            if in_worker:
                outcome = self._execute_in_worker(args, task_vars)
            else:
                outcome = self._execute_module(module_name=self._task.action, module_args=args, task_vars=task_vars,
                                               wrap_async=wrap_async)
            result = merge_hash(result, outcome)
        finally:
            if temp_dir:
                shutil.rmtree(temp_dir, ignore_errors=True)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
