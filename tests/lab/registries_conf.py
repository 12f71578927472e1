"""containers-registries.conf(5) v2 as OpenShift renders it from the cluster's configuration.

The same rules serve two lab components, as they do on a real cluster: openshift-apiserver builds this
configuration in memory for every ImageStreamImport (mirrors, insecure and blocked registries), and the machine
config operator writes it to /etc/containers/registries.conf on the nodes. The rules follow
openshift/runtime-utils `pkg/registries` (scopes, merged mirror sets in a stable topological order, flags
propagated to nested scopes) and containers/image `sysregistriesv2` (longest prefix, pull sources).
"""

from __future__ import annotations

import collections
import json

DIGEST_ONLY = "digest-only"
TAG_ONLY = "tag-only"
BASE_SEARCH = ["registry.access.redhat.com", "docker.io"]


def scope_nested(sub: str, sup: str) -> bool:
    """Whether scope `sub` lies inside scope `sup` (a namespace of it, or a host under a *.domain wildcard)."""
    if sub == sup:
        return True
    if len(sub) > len(sup) and sub.startswith(sup) and sub[len(sup)] == "/":
        return True
    if sup.startswith("*."):
        if ":" in sub:
            host = sub.split(":", 1)[0]
            return host.endswith(sup[1:]) and "/" not in host
        return sub.split("/", 1)[0].endswith(sup[1:])
    return False


def valid_scope(scope: str) -> bool:
    if not scope:
        return False
    if "*" not in scope:
        return True
    return scope.startswith("*.") and not any(c in scope[2:] for c in "/@:*")


def topo_order(edges: list[tuple[str, str]]) -> list[str]:
    """runtime-utils' topoGraph.Sorted, from its description: Kahn's algorithm over a FIFO of nodes with no
    unprocessed predecessor, seeded in name order; each processed node's newly free successors join the FIFO in name
    order; when the FIFO runs dry with nodes left (a cycle), the first unused node in name order is taken."""
    successors: dict[str, set[str]] = collections.defaultdict(set)
    waiting: dict[str, int] = collections.Counter()
    for a, b in set(edges):
        successors[a].add(b)
        successors.setdefault(b, set())
        waiting[b] += 1
    everything = sorted(successors)
    fifo = collections.deque(n for n in everything if waiting[n] == 0)
    done: list[str] = []
    taken: set[str] = set()
    fallback = iter(everything)
    while len(taken) < len(everything):
        if fifo:
            node = fifo.popleft()
        else:
            node = next(n for n in fallback if n not in taken)
        taken.add(node)
        done.append(node)
        freed = []
        for nxt in successors[node]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0 and nxt not in taken:
                freed.append(nxt)
        fifo.extend(sorted(freed))
    return done


def _sorted_mirrors(source: str, chains: list[list[str]]) -> list[str]:
    """One order for all mirror lists of a source that respects each list's order; the source is tried last anyway,
    so it is dropped when it ends the order."""
    edges = [pair for mirrors in chains for pair in zip(mirrors, mirrors[1:])]
    edges += [(mirrors[-1], source) for mirrors in chains if source not in mirrors]
    order = topo_order(edges)
    return order[:-1] if order and order[-1] == source else order


def merged_mirror_sets(entries: list[dict]) -> list[dict]:
    """entries: {source, mirrors, mirrorSourcePolicy}; one merged set per source, sorted by source."""
    chains: dict[str, list] = {}
    never: set = set()
    for entry in entries:
        source, mirrors = entry.get("source", ""), list(entry.get("mirrors") or [])
        if not any(m != source for m in mirrors):
            continue  # no real mirror: not a mirror set, and its policy is ignored
        if entry.get("mirrorSourcePolicy") == "NeverContactSource":
            never.add(source)
        chains.setdefault(source, []).append(mirrors)
    return [{"source": s, "mirrors": _sorted_mirrors(s, chains[s]), "never_contact": s in never}
            for s in sorted(chains)]


def digest_mirror_entries(idms: list[dict], icsp: list[dict]) -> list[dict]:
    out = [m for obj in idms for m in (obj.get("spec") or {}).get("imageDigestMirrors") or []]
    out += [{"source": m.get("source"), "mirrors": m.get("mirrors") or []}
            for obj in icsp for m in (obj.get("spec") or {}).get("repositoryDigestMirrors") or []]
    return out


def tag_mirror_entries(itms: list[dict]) -> list[dict]:
    return [m for obj in itms for m in (obj.get("spec") or {}).get("imageTagMirrors") or []]


def new_registry(scope: str) -> dict:
    if scope.startswith("*."):
        return {"prefix": scope, "location": "", "insecure": False, "blocked": False, "mirrors": []}
    return {"prefix": "", "location": scope, "insecure": False, "blocked": False, "mirrors": []}


def registry_scope(reg: dict) -> str:
    return reg["prefix"] or reg["location"]


def edit_registries(insecure: list[str], blocked: list[str], digest_entries: list[dict],
                    tag_entries: list[dict]) -> list[dict]:
    """The [[registry]] entries for these insecure and blocked scopes and mirror sets."""
    registries: list[dict] = []

    def entry(scope):
        for reg in registries:
            if registry_scope(reg) == scope:
                return reg
        reg = new_registry(scope)
        registries.append(reg)
        return reg

    digest_sets = merged_mirror_sets(digest_entries)
    tag_sets = merged_mirror_sets(tag_entries)
    for sets, pull_from in ((digest_sets, DIGEST_ONLY), (tag_sets, TAG_ONLY)):
        for item in sets:
            reg = entry(item["source"])
            if item["never_contact"]:
                reg["blocked"] = True
            reg["mirrors"].extend({"location": m, "insecure": False, "pull-from-mirror": pull_from}
                                  for m in item["mirrors"])
    for scope in blocked:
        entry(scope)
    for scope in insecure:
        entry(scope)["insecure"] = True
        for reg in registries:
            if scope_nested(registry_scope(reg), scope):
                reg["insecure"] = True
            for mirror in reg["mirrors"]:
                if scope_nested(mirror["location"], scope):
                    mirror["insecure"] = True
    for scope in blocked:
        entry(scope)["blocked"] = True
        for reg in registries:
            if scope_nested(registry_scope(reg), scope):
                reg["blocked"] = True
    for item in digest_sets + tag_sets:
        mirrored = entry(item["source"])
        top = registry_scope(mirrored)
        for reg in registries:
            scope = registry_scope(reg)
            if scope != top and scope_nested(scope, top) and not reg["mirrors"]:
                suffix = scope[len(top):]
                reg["mirrors"] = [dict(m, location=m["location"] + suffix) for m in mirrored["mirrors"]]
    return registries


def _toml_string(value: str) -> str:
    return json.dumps(value)


def render(registries: list[dict], search: list[str] | None = None) -> str:
    """The TOML the machine config operator writes (its encoder leaves out empty and false fields)."""
    lines = []
    if search is not None:
        lines.append("unqualified-search-registries = [%s]" % ", ".join(_toml_string(s) for s in search))
    lines.append('short-name-mode = ""')
    for reg in registries:
        lines += ["", "[[registry]]", "  prefix = %s" % _toml_string(reg["prefix"])]
        if reg["location"]:
            lines.append("  location = %s" % _toml_string(reg["location"]))
        if reg["insecure"]:
            lines.append("  insecure = true")
        if reg["blocked"]:
            lines.append("  blocked = true")
        for mirror in reg["mirrors"]:
            lines += ["", "  [[registry.mirror]]", "    location = %s" % _toml_string(mirror["location"])]
            if mirror["insecure"]:
                lines.append("    insecure = true")
            if mirror.get("pull-from-mirror"):
                lines.append("    pull-from-mirror = %s" % _toml_string(mirror["pull-from-mirror"]))
    return "\n".join(lines) + "\n"


def find_registry(registries: list[dict], name: str) -> dict | None:
    """The entry whose prefix is the longest match for a repository name (host[:port]/path)."""
    best = None
    for reg in registries:
        prefix = reg["prefix"] or reg["location"]
        if not prefix or prefix.startswith("*."):
            continue
        if (name == prefix or name.startswith(prefix + "/")) and (best is None or len(prefix) > len(best["_p"])):
            best = dict(reg, _p=prefix)
    return best


def pull_sources(registries: list[dict], name: str, by_digest: bool) -> list[dict]:
    """Where a reference is pulled from, in order: [{name, mirror: bool}] (the rewritten repository name)."""
    reg = find_registry(registries, name)
    if reg is None:
        return [{"name": name, "mirror": False}]
    prefix = reg["_p"]
    out = []
    for mirror in reg["mirrors"]:
        mode = mirror.get("pull-from-mirror")
        if (mode == DIGEST_ONLY and not by_digest) or (mode == TAG_ONLY and by_digest):
            continue
        out.append({"name": mirror["location"] + name[len(prefix):], "mirror": True})
    if not reg["blocked"]:
        out.append({"name": (reg["location"] or prefix) + name[len(prefix):], "mirror": False})
    return out
