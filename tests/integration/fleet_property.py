#!/usr/bin/env python3
"""Property test: for random small fleets, `streamc fleet` decides every child -> parent edge
exactly as `streamc explain` does against the parent's compiled policy.

    python3 tests/integration/fleet_property.py [--fleets N] [--seed S] [--keep DIR] [-v]

Each fleet (fixed seed, 200 by default) has 1-2 parents and 1-4 children. Drawn at random:
the parents' [web] lists (`bind to` port, `allow connections from`, `allow streaming from`,
their DNS modes), three API keys per fleet that each parent has or not, enabled or not, with
`allow from` that includes or excludes the children's addresses, machine sections for some
children (enabled or not, their own `allow from`, sometimes the wrong `type`), each child's
key (sometimes one no parent has), its address (IPv4, 127.0.0.1 and ::1, which Netdata
matches as 'localhost', and IPv4-mapped IPv6), its destinations (one parent or both for
failover, by name or address, default or explicit port) and, rarely, its parent's own GUID.
Every child's machine GUID is otherwise unique, so no fleet-only effect (two children with one
GUID) separates the two commands.

For every child and every destination: `streamc compile` the parent, then
`streamc explain POLICY --api-key K --machine-guid G --from ADDR --hostname H --port P`
(exit 0 accepted, 1 refused); the fleet's verdict for that edge (`--format=json`) must agree,
and so must the child's overall verdict (accepted by at least one destination) and the exit
status of `streamc fleet` (1 exactly when some child is refused by every destination).
Each disagreement is printed with a reproducer (the fleet is kept under --keep or /tmp).
Exit 0 when everything agrees, 1 otherwise.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STREAMC = os.environ.get("STREAMC") or os.path.join(ROOT, "streamc")


def guid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ---- generation --------------------------------------------------------------------------

def child_address(rng, i):
    r = rng.random()
    if r < 0.45:
        return f"10.1.0.{10 + i}"
    if r < 0.65:
        return f"10.2.0.{10 + i}"
    if r < 0.75:
        return f"192.168.1.{10 + i}"
    if r < 0.85:
        return "127.0.0.1"
    if r < 0.92:
        return "::1"
    return f"::ffff:10.1.0.{10 + i}"


def allow_pattern(rng, addrs):
    """An `allow from` value (None: the key is absent) that may include or exclude ADDRS."""
    a = rng.choice(addrs)
    a = "localhost" if a in ("127.0.0.1", "::1") else a.replace("::ffff:", "")
    return rng.choice([
        None, None, "*", "10.*", "10.1.*", "10.2.* localhost", "192.168.*", "localhost",
        a, f"!{a} *", f"!{a} 10.*", "!10.1.* 10.*", "!*", "fd* 10.1.0.*",
    ])


def web_list(rng, addrs):
    a = rng.choice(addrs)
    a = "localhost" if a in ("127.0.0.1", "::1") else a.replace("::ffff:", "")
    if rng.random() < 0.75:
        return rng.choice([None, "*", "localhost *", "localhost 10.* 192.168.*"])
    return rng.choice(["10.*", "localhost 10.*", "192.168.* localhost", f"!{a} *", f"{a} localhost",
                       "10.1.*", f"!{a} 10.* localhost"])


def gen_fleet(rng, idx):
    """One fleet: a dict of nodes, each with its files and manifest lines."""
    nparents, nchildren = rng.randint(1, 2), rng.randint(1, 4)
    keys = [guid(rng) for _ in range(3)]
    children = []
    for i in range(nchildren):
        children.append({"name": f"child-{i}", "guid": guid(rng), "addr": child_address(rng, i)})
    addrs = [c["addr"] for c in children]
    parents = []
    for p in range(nparents):
        name = f"parent-{p}"
        port = rng.choice([None, None, None, 19999, 20000])  # None: [web] default port (19999)
        lines = ["[global]", f"    hostname = {name}", "", "[web]"]
        bind = rng.choice(["*", f"*:{port or 19999}", f"*:{port or 19999}=dashboard|streaming",
                           f"*:{port or 19999}=streaming|dashboard"])
        if port is None and rng.random() < 0.4:
            bind = None
        if bind:
            lines.append(f"    bind to = {bind}")
        for what in ("connections", "streaming"):
            v = web_list(rng, addrs)
            if v is not None:
                lines.append(f"    allow {what} from = {v}")
            dns = rng.choice([None, "no", "no", "yes"])
            if dns:
                lines.append(f"    allow {what} by dns = {dns}")
        netdata = "\n".join(lines) + "\n"
        stream = ["[stream]", "    enabled = no", ""]
        for k in keys:
            if rng.random() < 0.1:
                continue
            stream += [f"[{k}]", "    type = api"]
            en = rng.choice(["yes", "yes", "yes", "yes", "yes", "no", None, "true"])
            if en is not None:
                stream.append(f"    enabled = {en}")
            af = allow_pattern(rng, addrs)
            if af is not None:
                stream.append(f"    allow from = {af}")
            stream.append("")
        machines = set()
        for c in children:
            if rng.random() < 0.4:
                machines.add(c["guid"])
                stream += [f"[{c['guid']}]", "    type = machine"]
                en = rng.choice(["yes", "no", "no", None])
                if en is not None:
                    stream.append(f"    enabled = {en}")
                af = allow_pattern(rng, addrs)
                if af is not None:
                    stream.append(f"    allow from = {af}")
                stream.append("")
        parents.append({"name": name, "guid": guid(rng), "port": port, "machines": machines,
                        "netdata": netdata, "stream": "\n".join(stream) + "\n",
                        "addr": f"10.9.{idx % 250}.{p + 1}",
                        "host": f"{name}.f{idx}.example.net"})
    # a section with the wrong type: an API key used as a machine section, or the reverse
    if rng.random() < 0.15:
        p, c = rng.choice(parents), rng.choice(children)
        if c["guid"] not in p["machines"]:
            p["stream"] += f"[{c['guid']}]\n    type = api\n    enabled = yes\n"
    for c in children:
        r = rng.random()
        c["key"] = rng.choice(keys) if r < 0.85 else (guid(rng) if r < 0.95 else rng.choice(keys).upper())
        if rng.random() < 0.03:
            c["guid"] = rng.choice(parents)["guid"]      # the parent's own GUID
        c["dests"] = []
        for p in rng.sample(parents, rng.randint(1, len(parents))):
            host = rng.choice([p["addr"], p["host"]])
            listen = p["port"] or 19999
            port = rng.choice([None, listen, listen] if listen == 19999 else [listen, listen, listen])
            if rng.random() < 0.08:
                port = 20000 if listen == 19999 else 19999        # a port the parent does not listen on
            c["dests"].append((p, host if port is None else f"{host}:{port}", port or 19999))
    return parents, children


def write_fleet(d, parents, children):
    man = ["# generated by tests/integration/fleet_property.py", ""]
    for p in parents:
        pd = os.path.join(d, p["name"])
        os.makedirs(pd)
        open(os.path.join(pd, "netdata.conf"), "w").write(p["netdata"])
        open(os.path.join(pd, "stream.conf"), "w").write(p["stream"])
        open(os.path.join(pd, "netdata.public.unique.id"), "w").write(p["guid"])
        man += [f"[{p['name']}]", f"    config = {p['name']}",
                f"    reachable at = {p['host']} {p['addr']}", f"    connects from = {p['addr']}", ""]
    for c in children:
        cd = os.path.join(d, c["name"])
        os.makedirs(cd)
        open(os.path.join(cd, "netdata.conf"), "w").write(
            f"[global]\n    hostname = {c['name']}\n\n[db]\n    mode = dbengine\n\n[web]\n    mode = none\n")
        dest = " ".join(x[1] for x in c["dests"])
        open(os.path.join(cd, "stream.conf"), "w").write(
            f"[stream]\n    enabled = yes\n    destination = {dest}\n    api key = {c['key']}\n")
        open(os.path.join(cd, "netdata.public.unique.id"), "w").write(c["guid"])
        man += [f"[{c['name']}]", f"    config = {c['name']}", f"    connects from = {c['addr']}", ""]
    open(os.path.join(d, "fleet.conf"), "w").write("\n".join(man))


# ---- the two sides -----------------------------------------------------------------------

def run(*args, cwd=None):
    return subprocess.run([STREAMC, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def explain_verdicts(d, parents, children):
    """{(child, parent): (accepted, first line of the decision)} from streamc explain."""
    out = {}
    for p in parents:
        pol = os.path.join(d, p["name"] + ".policy")
        r = run("compile", "-o", pol, os.path.join(d, p["name"]))
        if r.returncode != 0:
            raise RuntimeError(f"compile {p['name']} failed:\n{r.stdout}{r.stderr}")
        p["policy"] = pol
    for c in children:
        for p, _dest, port in c["dests"]:
            r = run("explain", p["policy"], "--api-key", c["key"], "--machine-guid", c["guid"],
                    "--from", c["addr"], "--hostname", c["name"], "--port", str(port))
            if r.returncode not in (0, 1):
                raise RuntimeError(f"explain failed ({r.returncode}): {r.stdout}{r.stderr}")
            dec = next((l for l in r.stdout.splitlines() if l.startswith("decision:")), "?")
            out[(c["name"], p["name"])] = (r.returncode == 0, dec)
    return out


def fleet_verdicts(doc):
    """{(child, parent): accepted} and {child: accepted} from `streamc fleet --format=json`.

    Reads the edge list: each edge names its sender ('child'/'from'), its receiver
    ('parent'/'to', null when unresolved) and a verdict ('ok'/'warn' accepted,
    'refused'/'unresolved' not)."""
    edges, kids = {}, {}
    for e in doc.get("edges", []):
        src = e.get("child", e.get("from"))
        dst = e.get("parent", e.get("to"))
        if isinstance(src, dict):
            src = src.get("name")
        if isinstance(dst, dict):
            dst = dst.get("name")
        if e.get("proxied"):
            continue
        v = str(e.get("verdict", "")).lower()
        edges[(src, dst)] = v in ("ok", "warn", "accepted", "warning")
    for n in doc.get("children", doc.get("nodes", [])):
        if isinstance(n, dict) and "verdict" in n:
            kids[n.get("name")] = str(n["verdict"]).lower() in ("ok", "warn", "accepted", "warning")
    return edges, kids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fleets", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20240808)
    ap.add_argument("--keep", help="write the fleets here and keep them")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    if not os.access(STREAMC, os.X_OK):
        print(f"FAIL: no streamc binary at {STREAMC}")
        return 1
    if "fleet" not in run("help").stdout:
        print("FAIL: this streamc has no 'fleet' command")
        return 1
    rng = random.Random(args.seed)
    base = args.keep or tempfile.mkdtemp(prefix="fleet_property.")
    os.makedirs(base, exist_ok=True)
    problems, nedges, nchildren, kept = [], 0, 0, set()
    stats = {"accepted": 0, "refused": 0}
    for i in range(args.fleets):
        parents, children = gen_fleet(rng, i)
        d = os.path.join(base, f"fleet-{i:03d}")
        shutil.rmtree(d, ignore_errors=True)
        write_fleet(d, parents, children)
        want = explain_verdicts(d, parents, children)
        r = run("fleet", "--format=json", os.path.join(d, "fleet.conf"))
        bad = []
        try:
            doc = json.loads(r.stdout)
            got_edges, got_kids = fleet_verdicts(doc)
        except (ValueError, TypeError, AttributeError) as e:
            bad.append(f"--format=json does not parse ({e}); exit {r.returncode}: {r.stdout[:500]}{r.stderr[:500]}")
            got_edges, got_kids = {}, {}
        any_refused = False
        for c in children:
            nchildren += 1
            child_ok = False
            for p, dest, port in c["dests"]:
                nedges += 1
                ok, dec = want[(c["name"], p["name"])]
                stats["accepted" if ok else "refused"] += 1
                child_ok |= ok
                got = got_edges.get((c["name"], p["name"]))
                if got is None:
                    bad.append(f"{c['name']} -> {p['name']} ({dest}): no edge in the fleet's JSON")
                elif got != ok:
                    bad.append(f"{c['name']} -> {p['name']} ({dest}): explain says "
                               f"{'accepted' if ok else 'refused'} ({dec.strip()}), fleet says "
                               f"{'accepted' if got else 'refused'}\n"
                               f"    reproducer: streamc explain {p['policy']} --api-key {c['key']} "
                               f"--machine-guid {c['guid']} --from {c['addr']} --hostname {c['name']} "
                               f"--port {port}")
            any_refused |= not child_ok
            if got_kids and got_kids.get(c["name"]) is not None and got_kids[c["name"]] != child_ok:
                bad.append(f"{c['name']}: child verdict {got_kids[c['name']]}, explain over its "
                           f"destinations {child_ok}")
        if r.returncode != (1 if any_refused else 0):
            bad.append(f"exit status {r.returncode}, expected {1 if any_refused else 0} "
                       f"(a child refused by every destination: {any_refused})")
        if bad:
            kept.add(d)
            problems.append((d, bad))
            print(f"FAIL fleet-{i:03d} ({d}):")
            for b in bad:
                print("  " + b)
            print(f"    fleet: {STREAMC} fleet --format=json {os.path.join(d, 'fleet.conf')}")
        elif args.v:
            print(f"ok   fleet-{i:03d}: {len(parents)} parents, {len(children)} children")
    if not args.keep:
        for i in range(args.fleets):
            d = os.path.join(base, f"fleet-{i:03d}")
            if d not in kept:
                shutil.rmtree(d, ignore_errors=True)
        if not kept:
            shutil.rmtree(base, ignore_errors=True)
    print(f"fleet_property: {args.fleets} fleets, {nchildren} children, {nedges} edges "
          f"({stats['accepted']} accepted, {stats['refused']} refused by explain); "
          f"{len(problems)} fleet(s) disagree" + (f" (kept under {base})" if kept else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
