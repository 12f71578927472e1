"""Role READMEs and argument specs held together.

Each role's README.md carries a table of its variables between two markers; this script writes it from
meta/argument_specs.yml and defaults/main.yml (--write) or fails when it is stale (--check, a `make test` step).
It also fails when the argument spec and defaults/main.yml disagree: a variable in one and not the other, or a
default in the spec that differs from the one the role uses."""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
START, END = "<!-- variables: written by tests/release/role_docs.py -->", "<!-- end of variables -->"
MARKUP = re.compile(r"\b([A-Z])\(([^)]*)\)")


def plain(text: str) -> str:
    """Ansible doc markup to Markdown: C(x), O(x), V(x) as code, M(x) and the rest as text."""
    def repl(match):
        kind, value = match.groups()
        if kind in ("C", "O", "V", "E", "P"):
            return "`%s`" % value.split("#")[0] if kind == "P" else "`%s`" % value.split(":")[-1] if kind == "O" \
                else "`%s`" % value
        return value
    return MARKUP.sub(repl, text)


def first_sentence(description) -> str:
    text = " ".join(description) if isinstance(description, list) else str(description or "")
    text = plain(text).replace("|", "\\|").strip()
    match = re.match(r"(.+?[.)])(\s|$)", text)
    return match.group(1) if match else text


def shown(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10000).strip()
    if text.endswith("\n..."):
        text = text[:-4]
    text = text.replace("\n...", "").replace("|", "\\|")
    return "`%s`" % text


def table(role: pathlib.Path) -> tuple[str, list[str]]:
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    options = spec.get("options") or {}
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    problems = []
    for name in sorted(set(defaults) - set(options)):
        problems.append("%s: %s is in defaults/main.yml but not in the argument spec" % (role.name, name))
    rows = ["| Variable | Default | What it is |", "| --- | --- | --- |"]
    for name, option in options.items():
        if name in defaults:
            default = shown(defaults[name])
            if "default" in option and option["default"] != defaults[name]:
                problems.append("%s: %s defaults to %r in the argument spec but %r in defaults/main.yml"
                                % (role.name, name, option["default"], defaults[name]))
        elif option.get("required"):
            default = "(required)"
        elif "default" in option:
            default = shown(option["default"])
            problems.append("%s: %s has a default in the argument spec but none in defaults/main.yml"
                            % (role.name, name))
        else:
            default = "(none)"
        rows.append("| `%s` | %s | %s |" % (name, default, first_sentence(option.get("description"))))
    rows.append("")
    rows.append("`ansible-doc -t role ocp.registry.%s` shows every variable with its full description and "
                "sub-options." % role.name)
    return "\n".join(rows), problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the tables instead of checking them")
    args = parser.parse_args()
    failures = []
    roles = sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
    for role in roles:
        readme = role / "README.md"
        if not readme.exists():
            failures.append("%s: no README.md" % role.name)
            continue
        text = readme.read_text()
        body, problems = table(role)
        failures.extend(problems)
        if START not in text or END not in text:
            failures.append("%s: README.md has no variables table (the markers %s ... %s)" % (role.name, START, END))
            continue
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        new = "%s%s\n%s\n%s%s" % (head, START, body, END, tail)
        if new != text:
            if args.write:
                readme.write_text(new)
                print("%s: variables table written" % role.name)
            else:
                failures.append("%s: README.md's variables table is stale; run tests/release/role_docs.py --write"
                                % role.name)
        for heading in ("## Variables", "## Example"):
            if heading not in text:
                failures.append("%s: README.md has no %r section" % (role.name, heading))
    for failure in failures:
        print("FAIL " + failure)
    if not failures:
        print("role READMEs: %d roles, each README's variables match its argument spec and defaults" % len(roles))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
