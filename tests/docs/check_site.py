"""Opens pages of the built documentation site in headless Chromium and checks what a reader sees: a module page with
every option of the module, its examples and its return values; a role page with every variable of its argument spec;
a guide with its title and code; the index linking all of them. Run after tests/docs/build.sh."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "build/docsite/build/html"
PAGES = HTML / "collections/ocp/registry"


def dom(page: pathlib.Path) -> str:
    """The DOM after Chromium rendered the page (its scripts ran)."""
    out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    if "</html>" not in out:
        raise SystemExit("FAIL Chromium rendered nothing for %s" % page)
    return out


def module_doc(name: str) -> tuple[dict, str, dict]:
    source = (ROOT / ("plugins/modules/%s.py" % name)).read_text()

    def block(var):
        match = re.search(r'^%s = r?(\'\'\'|""")(.*?)\1' % var, source, re.S | re.M)
        return match.group(2)
    return yaml.safe_load(block("DOCUMENTATION")), block("EXAMPLES"), yaml.safe_load(block("RETURN")) or {}


def main() -> int:
    problems = []
    checked = []
    # a module page: every top-level option (its own and its doc fragments'), the examples, the return values
    name = "pull_secret"
    doc, examples, returns = module_doc(name)
    page = dom(PAGES / ("%s_module.html" % name))
    for option in doc["options"]:
        if 'id="parameter-%s"' % option not in page:
            problems.append("%s: option %s is not on its page" % (name, option))
    fragment_options = ("kubeconfig", "context", "host", "api_key", "validate_certs", "registries")
    for option in fragment_options:
        if 'id="parameter-%s"' % option not in page:
            problems.append("%s: the doc fragment's option %s is not on its page" % (name, option))
    if '<section id="examples"' not in page:
        problems.append("%s: no Examples section" % name)
    first_task = next(line.strip() for line in examples.splitlines() if line.strip().startswith("- name:"))
    if first_task[len("- name:"):].strip() not in re.sub(r"<[^>]+>", "", page):
        problems.append("%s: its first example (%s) is not rendered" % (name, first_task))
    for key in returns:
        if 'id="return-%s"' % key not in page:
            problems.append("%s: return value %s is not on its page" % (name, key))
    checked.append("module %s (%d options, %d return values, examples)" % (name, len(doc["options"]), len(returns)))
    # a role page: every variable of the entry point
    role = "image_policy"
    spec = yaml.safe_load((ROOT / ("roles/%s/meta/argument_specs.yml" % role)).read_text())["argument_specs"]["main"]
    page = dom(PAGES / ("%s_role.html" % role))
    for var in spec["options"]:
        if 'id="parameter-main--%s"' % var not in page:
            problems.append("role %s: variable %s is not on its page" % (role, var))
    checked.append("role %s (%d variables)" % (role, len(spec["options"])))
    # a guide: its title and its YAML examples, highlighted
    guide = "mirrors"
    rst = (ROOT / ("docs/docsite/rst/%s.rst" % guide)).read_text().splitlines()
    title = next(rst[i - 1] for i, line in enumerate(rst) if re.match(r"^=+$", line) and i > 0)
    page = dom(PAGES / "docsite" / ("%s.html" % guide))
    if "<h1>%s" % title.replace("&", "&amp;") not in page:
        problems.append("guide %s: title %r not rendered" % (guide, title))
    if page.count("highlight-yaml") < 1:
        problems.append("guide %s: no highlighted YAML" % guide)
    checked.append("guide %s" % guide)
    # the collection's index links every module, role, filter and guide
    index = dom(PAGES / "index.html")
    for kind, names in (("module", [p.stem for p in (ROOT / "plugins/modules").glob("*.py")]),
                        ("role", [p.name for p in (ROOT / "roles").iterdir()]),
                        ("filter", [p.stem for p in (ROOT / "plugins/filter").glob("*.yml")])):
        for item in names:
            if 'href="%s_%s.html#' % (item, kind) not in index:
                problems.append("index: no link to the %s %s" % (kind, item))
    for item in yaml.safe_load((ROOT / "docs/docsite/extra-docs.yml").read_text())["sections"]:
        for doc_name in item["toctree"]:
            if 'href="docsite/%s.html' % doc_name not in index:
                problems.append("index: no link to the guide %s" % doc_name)
    checked.append("the index")
    for problem in problems:
        print("FAIL " + problem)
    print("documentation site in Chromium: " + "; ".join(checked) + (" rendered" if not problems else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
