#!/usr/bin/env python3
"""Write a deterministic fleet with a manifest for bench/bench_fleet.py (`streamc fleet`).

Usage: bench/gen_fleet_topology.py OUTDIR [--children N] [--proxies N] [--parents N] [--seed S]

OUTDIR/fleet.conf is the manifest (one section per node); OUTDIR/<node>/ holds each node's
stream.conf, netdata.conf and netdata.public.unique.id. Defaults: 10,000 children, 20 proxies,
10 parents, shaped like a real deployment:

  * parents parent-00.. (10.0.0.N): plain TCP on 19999, every fourth one also a TLS port
    20000 (^SSL=force, with a certificate); a production key, a proxy key and a TLS key, and a
    machine section for about one child in ten that streams to it (its own `allow from`, some
    with a memory mode or history of their own);
  * proxies proxy-00.. (10.1.0.N): receive children with their own key (`default proxy
    enabled = yes`) and forward them, with their own metrics, to two parents;
  * children child-00000.. (10.<2+i/250>.<i%250>.): 70% stream to two parents for failover
    (a tenth of those over TLS to port 20000), 30% to one proxy.

About 1% of the children carry a fleet-level mistake (a key the parent disabled, an address
outside a machine section's `allow from`, plain TCP to a TLS-only port, a GUID cloned from
another child, a destination outside the fleet) so the analyser has findings to report, as on
a real fleet. Every node's own files check clean. The same parameters give byte-identical
files; OUTDIR/FLEET records them, and an existing OUTDIR is refused unless it holds the same
fleet (then nothing is written).
"""
import argparse
import os
import random
import sys

STREAM_HEAD = """\
# netdata configuration for aggregating data from remote hosts
#
# API keys authorize a pair of sending-receiving netdata servers.
# Once their communication is authorized, they can exchange metrics for any
# number of hosts.
#
# You can generate API keys, with the linux command: uuidgen

"""

NETDATA_HEAD = """\
# netdata configuration
#
# You can download the latest version of this file, using:
#
#  wget -O /etc/netdata/netdata.conf http://localhost:19999/netdata.conf
# or
#  curl -o /etc/netdata/netdata.conf http://localhost:19999/netdata.conf

"""


def guid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def plan(nchildren, nproxies, nparents, rng):
    keys = {"prod": guid(rng), "proxy": guid(rng), "tls": guid(rng), "child": guid(rng),
            "off": guid(rng)}
    parents = [{"name": f"parent-{i:02d}", "addr": f"10.0.0.{i + 1}", "guid": guid(rng),
                "host": f"parent-{i:02d}.bench.example.net", "tls": i % 4 == 0, "children": [],
                "role": "parent"} for i in range(nparents)]
    proxies = [{"name": f"proxy-{i:02d}", "addr": f"10.1.0.{i + 1}", "guid": guid(rng),
                "host": f"proxy-{i:02d}.bench.example.net", "children": [], "role": "proxy",
                "dests": [parents[(2 * i) % nparents], parents[(2 * i + 1) % nparents]]}
               for i in range(nproxies)]
    for x in proxies:
        for p in x["dests"]:
            p["children"].append(x)
    tls_parents = [p for p in parents if p["tls"]]
    children = []
    for i in range(nchildren):
        c = {"name": f"child-{i:05d}", "addr": f"10.{2 + i // 250}.{i % 250}.{rng.randint(1, 250)}",
             "guid": guid(rng), "role": "child", "mistake": None, "tls": False, "key": keys["prod"],
             "mode": rng.choice(["dbengine", "dbengine", "ram"])}
        if nproxies and rng.random() < 0.3:
            x = proxies[rng.randrange(nproxies)]
            c["dests"], c["key"] = [x], keys["child"]
            x["children"].append(c)
        else:
            a = rng.randrange(nparents)
            if tls_parents and rng.random() < 0.1:
                c["dests"], c["tls"], c["key"] = [rng.choice(tls_parents)], True, keys["tls"]
            else:
                c["dests"] = [parents[a], parents[(a + 1) % nparents]] if nparents > 1 else [parents[a]]
            for p in c["dests"]:
                p["children"].append(c)
        c["machine"] = rng.random() < 0.1 and c["dests"][0]["role"] == "parent"
        children.append(c)
    # about 1% of the children carry a fleet-level mistake
    for c in rng.sample(children, max(1, nchildren // 100)):
        c["mistake"] = rng.choice(["key-off", "outside-allow", "plain-to-tls", "clone",
                                   "outside-fleet"])
        if c["mistake"] == "key-off":
            c["key"] = keys["off"]
        elif c["mistake"] == "outside-allow":
            c["machine"] = True
        elif c["mistake"] == "plain-to-tls" and not c["tls"]:
            c["mistake"] = None
        elif c["mistake"] == "clone":
            c["guid"] = children[(children.index(c) + 1) % nchildren]["guid"]
    return keys, parents, proxies, children


def netdata_conf(n, rng):
    role = n["role"]
    out = [NETDATA_HEAD, "[global]\n", f"    hostname = {n['name']}\n",
           "    run as user = netdata\n", "    OOM score = 0\n\n", "[db]\n"]
    if role == "child":
        out.append(f"    mode = {n['mode']}\n")
        if n["mode"] == "ram":
            out.append("    retention = 4096\n")
    elif role == "proxy":
        out += ["    mode = ram\n", "    retention = 4096\n"]
    else:
        out += ["    mode = dbengine\n", "    storage tiers = 3\n",
                "    dbengine multihost disk space MB = 65536\n",
                "    dbengine page cache size MB = 512\n"]
    out += ["    update every = 1\n\n", "[web]\n"]
    if role == "child":
        out += ["    # no dashboard: the parents show this node\n", "    mode = none\n\n"]
    elif role == "proxy":
        out += ["    bind to = *\n", "    allow connections from = localhost 10.*\n",
                "    allow connections by dns = no\n",
                "    allow streaming from = localhost 10.*\n", "    allow streaming by dns = no\n\n"]
    else:
        if n["tls"]:
            out += ["    bind to = *:19999 *:20000=streaming^SSL=force\n",
                    "    ssl key = /etc/netdata/ssl/key.pem\n",
                    "    ssl certificate = /etc/netdata/ssl/cert.pem\n"]
        else:
            out.append("    bind to = *\n")
        out += ["    allow connections from = localhost 10.*\n", "    allow connections by dns = no\n",
                "    allow streaming from = localhost 10.*\n", "    allow streaming by dns = no\n\n"]
    out += ["[plugins]\n", f"    apps = {rng.choice(['yes', 'no'])}\n", "    cgroups = yes\n\n",
            "[health]\n", f"    enabled = {'yes' if role == 'parent' else 'no'}\n"]
    return "".join(out)


def child_key_section(key, allow, mode, history, proxy):
    out = [f"[{key}]\n", "    type = api\n", "    enabled = yes\n", f"    allow from = {allow}\n",
           f"    default memory mode = {mode}\n"]
    if history:
        out.append(f"    default history = {history}\n")
    out.append(f"    health enabled by default = {'no' if proxy else 'yes'}\n")
    if proxy:
        out.append("    default proxy enabled = yes\n")
    return "".join(out) + "\n"


def stream_conf(n, keys, rng):
    role = n["role"]
    out = [STREAM_HEAD, "[stream]\n"]
    if role in ("child", "proxy"):
        dest = []
        for d in n["dests"]:
            port = 20000 if n.get("tls") or n.get("mistake") == "plain-to-tls" else 19999
            dest.append(f"{d['host']}:{port}")
        if n.get("mistake") == "outside-fleet":
            dest.insert(0, "retired-parent.bench.example.net:19999")
        dest = " ".join(dest) + (":SSL" if n.get("tls") and n.get("mistake") != "plain-to-tls" else "")
        key = keys["proxy"] if role == "proxy" else n["key"]
        out += ["    enabled = yes\n", f"    destination = {dest}\n", f"    api key = {key}\n",
                "    timeout seconds = 60\n", "    default port = 19999\n",
                f"    send charts matching = {rng.choice(['*', '*', '!apps.* *'])}\n"]
        if n.get("tls"):
            out.append("    CAfile = /etc/netdata/ssl/fleet-ca.pem\n")
        out.append("\n")
    else:
        out += ["    enabled = no\n\n"]
    if role == "proxy":
        out.append(child_key_section(keys["child"], "localhost 10.*", "ram", 4096, True))
    elif role == "parent":
        out.append(child_key_section(keys["prod"], "localhost 10.*", "dbengine", None, False))
        out.append(child_key_section(keys["proxy"], "10.1.*", "dbengine", None, False))
        if n["tls"]:
            out.append(child_key_section(keys["tls"], "10.*", "dbengine", None, False))
        out += [f"[{keys['off']}]\n", "    type = api\n", "    enabled = no\n\n"]
        seen = set()
        for c in n["children"]:
            if not c.get("machine") or c["guid"] in seen:
                continue
            seen.add(c["guid"])
            allow = c["addr"] if c.get("mistake") != "outside-allow" else "10.255.255.255"
            out += [f"[{c['guid']}]\n", f"    # {c['name']}\n", "    type = machine\n",
                    f"    allow from = {allow}\n"]
            if c["mode"] == "ram":
                out += ["    memory mode = ram\n", "    history = 4096\n"]
            out.append("\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--children", type=int, default=10000)
    ap.add_argument("--proxies", type=int, default=20)
    ap.add_argument("--parents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    if a.parents < 1 or a.children < 1 or a.proxies < 0:
        sys.exit("gen_fleet_topology: need at least one parent and one child")
    params = (f"children={a.children} proxies={a.proxies} parents={a.parents} seed={a.seed} "
              f"format=1\n")
    stamp = os.path.join(a.outdir, "FLEET")
    if os.path.exists(a.outdir):
        if os.path.exists(stamp) and open(stamp).read().startswith(params):
            return 0
        sys.exit(f"gen_fleet_topology: {a.outdir} exists and holds another fleet; remove it")
    rng = random.Random(a.seed)
    keys, parents, proxies, children = plan(a.children, a.proxies, a.parents, rng)
    tmp = a.outdir + ".tmp"
    if os.path.exists(tmp):
        import shutil
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    man = ["# generated by bench/gen_fleet_topology.py\n"]
    nbytes = 0
    mistakes = 0
    for n in parents + proxies + children:
        d = os.path.join(tmp, n["name"])
        os.mkdir(d)
        nd, st = netdata_conf(n, rng), stream_conf(n, keys, rng)
        for name, text in (("netdata.conf", nd), ("stream.conf", st),
                           ("netdata.public.unique.id", n["guid"])):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            nbytes += len(text)
        man.append(f"\n[{n['name']}]\n    config = {n['name']}\n    connects from = {n['addr']}\n")
        if n["role"] != "child":
            man.append(f"    reachable at = {n['host']} {n['addr']}\n")
        mistakes += n.get("mistake") is not None
    with open(os.path.join(tmp, "fleet.conf"), "w") as f:
        f.write("".join(man))
    nodes = len(parents) + len(proxies) + len(children)
    with open(os.path.join(tmp, "FLEET"), "w") as f:
        f.write(params + f"nodes={nodes} bytes={nbytes} mistakes={mistakes}\n")
    os.rename(tmp, a.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
