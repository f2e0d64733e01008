#!/usr/bin/env python3
"""Property test: for random small fleets, `streamc fleet` decides every child -> parent edge
exactly as `streamc explain` does against the parent's compiled policy.

    python3 tests/integration/fleet_property.py [--fleets N] [--seed S] [--keep DIR] [-v]

Each fleet (fixed seed, 200 by default) has 1-2 parents and 1-4 children. Drawn at random:
the parents' [web] settings (`default port`, `bind to` with or without a port, permissions and
`^SSL=force|optional`, a certificate or none, `allow connections from`, `allow streaming from`,
their DNS modes, a streaming rate limit), three API keys per fleet that each parent has or not,
enabled or not, with
`allow from` that includes or excludes the children's addresses, machine sections for some
children (enabled or not, their own `allow from`, sometimes the wrong `type`), each child's
key (sometimes one no parent has), its address (IPv4, 127.0.0.1 and ::1, which Netdata
matches as 'localhost', and IPv4-mapped IPv6), its destinations (one parent or both for
failover, by address or by name in either case, the port written or [stream] default port,
sometimes a port the parent does not serve), TLS (':SSL' with a CAfile) and, rarely, its
parent's own GUID.
Every child's machine GUID is otherwise unique, so no fleet-only effect (two children with one
GUID) separates the two commands.

For every child and every destination: `streamc compile` the parent, then
`streamc explain POLICY --api-key K --machine-guid G --from ADDR --hostname H --port P`
(exit 0 accepted, 1 refused); the fleet's verdict for that edge (`--format=json`) must agree,
and so must the child's overall verdict (accepted by at least one destination) and the exit
status of `streamc fleet` (1 when some child is refused by every destination, or for an error
finding other than the refusal of one pair, such as two nodes with one GUID; those fleets are
listed as notes). A ':SSL' child is asked with --tls, and refused when the parent has no
certificate (the handshake fails before the request); a rate-limited parent is asked with
--rate-elapsed (the retry after the first refusal, which the fleet reports as a note).
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
    if rng.random() < 0.5:
        return rng.choice([None, "*", "10.* 192.168.* localhost", f"{a} !* "])
    return rng.choice([
        "10.*", "10.1.*", "10.2.* localhost", "192.168.*", "localhost",
        a, f"!{a} *", f"!{a} 10.*", "!10.1.* 10.*", "!*", "fd* 10.1.0.*", "",
    ])


def web_list(rng, addrs):
    a = rng.choice(addrs)
    a = "localhost" if a in ("127.0.0.1", "::1") else a.replace("::ffff:", "")
    if rng.random() < 0.75:
        return rng.choice([None, "*", "localhost *", "localhost 10.* 192.168.*"])
    return rng.choice(["10.*", "localhost 10.*", "192.168.* localhost", f"!{a} *", f"{a} localhost",
                       "10.1.*", f"!{a} 10.* localhost"])


def gen_fleet(rng, idx):
    """One fleet: (parents, children), each a dict with its files' text and what the test
    needs to ask explain the same question."""
    nparents, nchildren = rng.randint(1, 2), rng.randint(1, 4)
    keys = [guid(rng) for _ in range(3)]
    children = []
    for i in range(nchildren):
        children.append({"name": f"child-{i}", "guid": guid(rng), "addr": child_address(rng, i),
                         "tls": False})
    addrs = [c["addr"] for c in children]
    parents = []
    for p in range(nparents):
        name = f"parent-{p}"
        # the streaming port: [web] default port (19999 or 20000) or a port in bind to
        dport = rng.choice([None, None, None, 20000])
        port = rng.choice([dport or 19999] * 3 + [20001])
        cert = rng.random() < 0.4
        lines = ["[global]", f"    hostname = {name}", "", "[web]"]
        if dport:
            lines.append(f"    default port = {dport}")
        ssl = rng.choice(["", "", "^SSL=force", "^SSL=optional"]) if cert or rng.random() < 0.2 else ""
        if port == (dport or 19999) and not ssl and rng.random() < 0.4:
            bind = None                              # the default: '*' on the default port
        else:
            p_txt = "" if port == (dport or 19999) and rng.random() < 0.3 else f":{port}"
            bind = rng.choice([f"*{p_txt}", f"*{p_txt}=streaming{ssl}|dashboard",
                               f"*{p_txt}=dashboard|streaming{ssl}"])
            if not ssl and rng.random() < 0.5:
                bind = f"*{p_txt}"
        if bind:
            lines.append(f"    bind to = {bind}")
        if cert:
            lines += ["    ssl key = /etc/netdata/ssl/key.pem",
                      "    ssl certificate = /etc/netdata/ssl/cert.pem"]
        for what in ("connections", "streaming"):
            v = web_list(rng, addrs)
            if v is not None:
                lines.append(f"    allow {what} from = {v}")
            dns = rng.choice([None, "no", "no", "yes"])
            if dns:
                lines.append(f"    allow {what} by dns = {dns}")
        rate = rng.choice([0] * 9 + [3])
        if rate:
            lines.append(f"    accept a streaming request every seconds = {rate}")
        netdata = "\n".join(lines) + "\n"
        stream = ["[stream]", "    enabled = no", ""]
        for k in keys:
            if rng.random() < 0.1:
                continue
            stream += [f"[{k}]", "    type = api"]
            en = rng.choice(["yes"] * 8 + ["no", None, "true"])
            if en is not None:
                stream.append(f"    enabled = {en}")
            af = allow_pattern(rng, addrs)
            if af is not None:
                stream.append(f"    allow from = {af}".rstrip())
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
                    stream.append(f"    allow from = {af}".rstrip())
                stream.append("")
        parents.append({"name": name, "guid": guid(rng), "port": port, "machines": machines,
                        "cert": cert, "rate": rate,
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
        c["dport"] = rng.choice([None] * 4 + [20000])    # [stream] default port
        c["tls"] = rng.random() < 0.25
        c["dests"] = []
        for p in rng.sample(parents, rng.randint(1, len(parents))):
            host = rng.choice([p["addr"], p["host"], p["host"].upper()])
            port = p["port"]
            if rng.random() < 0.08:
                port = rng.choice([19999, 20000, 20001])   # maybe one the parent does not serve
            written = None if port == (c["dport"] or 19999) and rng.random() < 0.5 else port
            c["dests"].append((p, host if written is None else f"{host}:{written}", port))
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
        dest = " ".join(x[1] for x in c["dests"]) + (":SSL" if c["tls"] else "")
        extra = f"    default port = {c['dport']}\n" if c["dport"] else ""
        if c["tls"]:
            extra += "    CAfile = /etc/netdata/ssl/fleet-ca.pem\n"
        open(os.path.join(cd, "stream.conf"), "w").write(
            f"[stream]\n    enabled = yes\n    destination = {dest}\n    api key = {c['key']}\n"
            + extra)
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
            args = ["explain", p["policy"], "--api-key", c["key"], "--machine-guid", c["guid"],
                    "--from", c["addr"], "--hostname", c["name"], "--port", str(port)]
            if c["tls"]:
                args.append("--tls")
            if p["rate"]:
                args += ["--rate-elapsed", str(p["rate"])]   # a retry after the first refusal
            r = run(*args)
            if r.returncode not in (0, 1):
                raise RuntimeError(f"explain failed ({r.returncode}): {r.stdout}{r.stderr}")
            dec = next((l for l in r.stdout.splitlines() if l.startswith("decision:")), "?")
            ok = r.returncode == 0
            if ok and c["tls"] and not p["cert"]:
                ok, dec = False, "decision: accepted by explain, but the TLS handshake fails " \
                                 "(':SSL' and the parent has no certificate)"
            out[(c["name"], p["name"])] = (ok, dec, "streamc " + " ".join(args))
    return out


def fleet_verdicts(doc):
    """{(child, parent): accepted} for the children's own edges (not the hops a proxy
    forwards) and {child: accepted}, from `streamc fleet --format=json`: "edges" holds
    {child, sender, parent (null: unresolved), verdict ok|warn|refused|unresolved, proxied},
    "children" holds {name, verdict accepted|refused}."""
    edges, kids = {}, {}
    for e in doc["edges"]:
        if not e["proxied"]:
            edges[(e["child"], e["parent"])] = e["verdict"] in ("ok", "warn")
    for n in doc["children"]:
        kids[n["name"]] = n["verdict"] == "accepted"
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
    problems, notes, nedges, nchildren, kept = [], [], 0, 0, set()
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
        except (ValueError, TypeError, KeyError) as e:
            bad.append(f"--format=json does not parse ({e}); exit {r.returncode}: {r.stdout[:500]}{r.stderr[:500]}")
            got_edges, got_kids, doc = {}, {}, {}
        any_refused = False
        for c in children:
            nchildren += 1
            child_ok = False
            for p, dest, port in c["dests"]:
                nedges += 1
                ok, dec, cmd = want[(c["name"], p["name"])]
                stats["accepted" if ok else "refused"] += 1
                child_ok |= ok
                got = got_edges.get((c["name"], p["name"]))
                if got is None:
                    bad.append(f"{c['name']} -> {p['name']} ({dest}): no edge in the fleet's JSON")
                elif got != ok:
                    bad.append(f"{c['name']} -> {p['name']} ({dest}): explain says "
                               f"{'accepted' if ok else 'refused'} ({dec.strip()}), fleet says "
                               f"{'accepted' if got else 'refused'}\n"
                               f"    reproducer: {cmd}")
            any_refused |= not child_ok
            if doc and got_kids.get(c["name"]) != child_ok:
                bad.append(f"{c['name']}: child verdict {got_kids.get(c['name'])} in the fleet's "
                           f"JSON, accepted by some destination according to explain: {child_ok}")
        # exit 1 when a child is refused by every destination; otherwise 1 only for an error
        # finding other than the refusal of one pair (fleet-refused, fleet-tls: failover may
        # still work), such as two nodes with one GUID
        errors = sorted({g.get("code") for g in doc.get("diagnostics", [])
                         if g.get("severity") == "error"} - {"fleet-refused", "fleet-tls"})
        want_rc = 1 if any_refused or errors else 0
        if r.returncode != want_rc:
            bad.append(f"exit status {r.returncode}, expected {want_rc} (a child refused by "
                       f"every destination: {any_refused}; error findings: {errors or 'none'})")
        elif not any_refused and errors:
            notes.append(f"fleet-{i:03d}: every child streams, exit status 1 for {errors} "
                         f"(--keep DIR keeps it as DIR/fleet-{i:03d})")
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
    for n in notes:
        print("note: " + n)
    print(f"fleet_property: {args.fleets} fleets, {nchildren} children, {nedges} edges "
          f"({stats['accepted']} accepted, {stats['refused']} refused by explain); "
          f"{len(problems)} fleet(s) disagree" + (f" (kept under {base})" if kept else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
