# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell of every module: run the work, exit with its result (the diff only in diff mode), and the one error
boundary: an OcpRegistryError ends the task as a failure that says what was written before it, with changed true
when anything was. Host modules use it as it is; ClusterModule adds the API connection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError


def secret_values(spec, params):
    """The values of every no_log option in params, nested ones included, whatever shape the rest of params has.
    ansible-core collects them while it validates, and stops at the first malformed sub-option value: the failure
    it then reports would show the others (a token in module_args) unmasked."""
    found = set()
    if not isinstance(spec, dict) or not isinstance(params, dict):
        return found
    for name, option in spec.items():
        if not isinstance(option, dict):
            continue
        keys = [name] + list(option.get("aliases") or [])
        values = [params[k] for k in keys if k in params and params[k] is not None]
        for value in values:
            if option.get("no_log"):
                if isinstance(value, (list, tuple, set)):
                    found.update(str(v) for v in value if v not in (None, ""))
                elif isinstance(value, dict):
                    found.update(str(v) for v in value.values() if v not in (None, ""))
                elif value != "":
                    found.add(str(value))
            sub = option.get("options")
            if sub:
                for item in value if isinstance(value, list) else [value]:
                    found.update(secret_values(sub, item))
    return found


class HostModule(AnsibleModule):
    """A module that works on the host's files. written() lists the files it wrote so far (note_written)."""

    def _mask_secrets(self):
        self.no_log_values.update(secret_values(getattr(self, "argument_spec", None), getattr(self, "params", None)))

    def fail_json(self, msg, **kwargs):
        self._mask_secrets()
        super(HostModule, self).fail_json(msg, **kwargs)

    def exit_json(self, **kwargs):
        self._mask_secrets()
        super(HostModule, self).exit_json(**kwargs)

    def __init__(self, argument_spec, **kwargs):
        super(HostModule, self).__init__(argument_spec=argument_spec, **kwargs)
        self._written = []

    def note_written(self, what):
        self._written.append(what)

    def written(self):
        return list(self._written)

    def run(self, work):
        """work() returns the result to exit with; an OcpRegistryError ends the task as a failure (fail_from)."""
        try:
            result = work()
        except OcpRegistryError as exc:
            self.fail_from(exc)
        self.exit_with(result)

    def exit_with(self, result):
        diff = result.pop("diff", None)
        if self._diff and diff:
            result["diff"] = diff
        self.exit_json(**result)

    def _failure(self, exc, result):
        """msg, changed and written of a failure: changed is true when anything was written before it."""
        own = self.written()
        written = own + [w for w in getattr(exc, "written", None) or [] if w not in own]
        message = str(exc)
        if written:
            message = message.replace("; nothing was written", "").replace(" (nothing was written)", "")
            if "written before" not in message:
                message += "; written before this failure: %s" % ", ".join(written)
            result["changed"] = True
            result["written"] = written
        else:
            result.setdefault("changed", False)
        return message

    def fail_from(self, exc, **result):
        """The one place an error of the collection becomes a failed task: its message says what to do, never a
        secret, and the result says what was written before it."""
        message = self._failure(exc, result)
        self.fail_json(msg=message, **result)
