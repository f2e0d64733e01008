#!/usr/bin/env python3
"""Write a deterministic fleet of Netdata config directories for bench/bench_check.c.

Usage: bench/gen_fleet.py OUTDIR N [--seed S]

OUTDIR/node-00000 ... OUTDIR/node-<N-1>, each holding a stream.conf and a netdata.conf of
about 2 KB together, shaped like real installs: mostly children that stream to one or two
parents, and one parent per ~25 nodes whose stream.conf has an [API_KEY] section and a few
machine-GUID sections (some parents also proxy to a grand-parent). Files keep comment blocks
as edited stock files do. One node in 12 draws a typical mistake (misspelled key, '# inline'
comment, ':SSL' in the middle, bad number, upper-case GUID, ...); some fit only one role, so
about one node in 20 ends up with one and the checker produces diagnostics as on a real fleet. The same N and seed give byte-identical
files. OUTDIR/FLEET records the parameters and totals; an existing OUTDIR is refused unless it
holds a fleet with the same parameters (then nothing is written).
"""
import argparse
import os
import random
import sys

PARENT_EVERY = 25
TYPO_EVERY = 12
CHARTS = ['*', '*', '!*.irq apps.* system.*', '!cgroup_* *']
CHILD_BIND = ['127.0.0.1 [::1]', 'localhost', '* unix:/run/netdata/netdata.sock']

STREAM_HEAD = """\
# netdata configuration for aggregating data from remote hosts
#
# API keys authorize a pair of sending-receiving netdata servers.
# You can generate API keys, with the linux command: uuidgen

"""

NETDATA_HEAD = """\
# netdata configuration
#
# You can download the latest version of this file, using:
#  curl -o /etc/netdata/netdata.conf http://localhost:19999/netdata.conf

"""


def guid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def plan(n, rng):
    """Roles: parents every PARENT_EVERY nodes; each child streams to its group's parent."""
    nodes = []
    for i in range(n):
        nodes.append({"i": i, "guid": guid(rng), "parent": i % PARENT_EVERY == 0,
                      "host": f"node{i:05d}.dc{i % 7}.example.net"})
    parents = [nd for nd in nodes if nd["parent"]]
    for nd in parents:
        nd["key"] = guid(rng)
        nd["children"] = []
    for nd in nodes:
        if nd["parent"]:
            continue
        p = parents[nd["i"] // PARENT_EVERY]
        nd["dests"] = [p]
        if rng.random() < 0.3 and len(parents) > 1:   # a standby parent
            nd["dests"].append(parents[(nd["i"] // PARENT_EVERY + 1) % len(parents)])
        for q in nd["dests"]:
            q["children"].append(nd)
    return nodes


def child_stream(nd, rng):
    tls = rng.random() < 0.25
    port = 19999 if not tls else 20000
    # 1.37.1 reads the first ':SSL' as "TLS for all", so a careful admin writes it once, last
    dests = " ".join(f"{p['host']}:{port}" for p in nd["dests"]) + (":SSL" if tls else "")
    lines = [STREAM_HEAD, "[stream]\n",
             "    # Enable this on child nodes, to have them send metrics.\n",
             "    enabled = yes\n\n",
             "    # Where is the receiving netdata?\n",
             f"    destination = {dests}\n\n",
             "    # The API_KEY to use (as the sender)\n",
             f"    api key = {nd['dests'][0]['key']}\n\n",
             f"    enable compression = {rng.choice(['yes', 'yes', 'no'])}\n\n",
             "    # The timeout to connect and send metrics\n",
             f"    timeout seconds = {rng.choice([60, 60, 120, 300])}\n\n",
             "    # If the destination line above does not specify a port, use this\n",
             "    default port = 19999\n\n",
             "    # filtering of charts to be sent\n",
             f"    send charts matching = {rng.choice(CHARTS)}\n\n",
             "    buffer size bytes = 10485760\n\n",
             "    # If the connection fails, retry after that many seconds.\n",
             "    reconnect delay seconds = 5\n\n",
             "    initial clock resync iterations = 60\n"]
    if tls:
        lines.append("    CAfile = /etc/netdata/ssl/fleet-ca.pem\n")
    return lines


def parent_stream(nd, rng):
    lines = [STREAM_HEAD, "[stream]\n"]
    if nd["i"] % (PARENT_EVERY * 4) == PARENT_EVERY:  # a few parents proxy to a grand-parent
        lines += ["    enabled = yes\n",
                  "    destination = tcp:central.example.net:19999\n",
                  f"    api key = {nd['key']}\n"]
    else:
        lines += ["    enabled = no\n", "    destination =\n", "    api key =\n"]
    lines += ["    timeout seconds = 60\n", "    default port = 19999\n",
              "    send charts matching = *\n",
              "\n###############################################################################\n",
              "# This is for a parent (the receiving side)\n\n",
              f"[{nd['key']}]\n",
              "    # Default settings for this API key\n",
              "    type = api\n",
              "    enabled = yes\n",
              f"    allow from = !10.{nd['i'] % 250}.0.1 10.* 192.168.*\n",
              "    default history = 3600\n",
              "    default memory mode = dbengine\n",
              "    health enabled by default = auto\n",
              "    default postpone alarms on connect seconds = 60\n",
              "    enable compression = yes\n",
              "    enable replication = yes\n",
              "    seconds to replicate = 86400\n",
              "    seconds per replication step = 600\n"]
    for ch in nd["children"][:rng.randint(2, 4)]:
        lines += [f"\n[{ch['guid']}]\n",
                  f"    # {ch['host']}\n",
                  "    type = machine\n",
                  "    enabled = yes\n",
                  f"    memory mode = {rng.choice(['dbengine', 'dbengine', 'ram'])}\n",
                  f"    health enabled = {rng.choice(['auto', 'yes'])}\n",
                  "    postpone alarms on connect seconds = 60\n"]
    return lines


def netdata_conf(nd, rng):
    parent = nd["parent"]
    lines = [NETDATA_HEAD, "[global]\n",
             f"    hostname = {nd['host']}\n",
             "    run as user = netdata\n",
             f"    process scheduling policy = {rng.choice(['batch', 'keep', 'idle'])}\n",
             "    OOM score = 0\n\n",
             "[db]\n",
             f"    mode = {'dbengine' if parent else rng.choice(['dbengine', 'ram', 'alloc'])}\n",
             f"    update every = {rng.choice([1, 1, 1, 2, 5])}\n",
             "    dbengine multihost disk space MB = "
             f"{rng.choice([256, 1024, 4096]) * (8 if parent else 1)}\n",
             f"    dbengine page cache size MB = {rng.choice([32, 64, 128])}\n",
             "    storage tiers = 3\n",
             f"    retention = {rng.choice([3600, 7200])}\n\n",
             "[web]\n",
             "    # ssl key = /etc/netdata/ssl/key.pem\n",
             "    # ssl certificate = /etc/netdata/ssl/cert.pem\n",
             f"    bind to = {'*' if parent else rng.choice(CHILD_BIND)}\n",
             "    allow connections from = localhost 10.* 192.168.*\n",
             "    allow dashboard from = localhost 10.*\n",
             "    enable gzip compression = yes\n",
             "    gzip compression level = 3\n\n",
             "[plugins]\n",
             f"    apps = {rng.choice(['yes', 'no'])}\n",
             "    cgroups = yes\n",
             "    python.d = no\n\n",
             "[health]\n",
             f"    enabled = {'yes' if parent or rng.random() < 0.5 else 'no'}\n",
             "    in memory max health log entries = 1000\n\n",
             "[registry]\n",
             "    enabled = no\n",
             "[host labels]\n",
             f"    role = {'parent' if parent else 'child'}\n",
             f"    dc = dc{nd['i'] % 7}\n"]
    return lines


# A mistake seen on real fleets: (file, function lines -> lines).
def typo_key(lines):
    return [l.replace("destination =", "destinaton =", 1) for l in lines]


def typo_inline(lines):
    return [l.replace("enabled = yes\n", "enabled = yes # turned on by ansible\n", 1)
            for l in lines]


def typo_number(lines):
    return [l.replace("timeout seconds = 60\n", "timeout seconds = 60s\n", 1) for l in lines]


def typo_ssl_middle(lines):
    return [l.replace(":19999 ", ":19999:SSL ", 1).replace(":20000 ", ":20000:SSL ", 1)
            if l.lstrip().startswith("destination") else l for l in lines]


def typo_header(lines):
    return [l.replace("[stream]\n", "[stream] # child settings\n", 1) for l in lines]


def typo_upper_guid(lines):
    return [l.upper() if l.startswith("[") and len(l) == 39 else l for l in lines]


def typo_semicolon(lines):
    return [l.replace("    default port = 19999\n", "    ; default port = 19999\n", 1)
            for l in lines]


def typo_pattern_order(lines):
    return [l.replace("= !cgroup_* *\n", "= * !cgroup_*\n", 1) for l in lines]


def typo_netdata_oldname(lines):
    return [l.replace("[global]\n", "[global]\n    memory mode = save\n", 1) for l in lines]


def typo_netdata_mode(lines):
    return [l.replace("    mode = dbengine\n", "    mode = db-engine\n", 1) for l in lines]


def typo_netdata_bind(lines):
    return [l.replace("bind to = *\n", "bind to = *=dashboard|streaming^SSL=force\n", 1)
            for l in lines]


TYPOS = [("stream", typo_key), ("stream", typo_inline), ("stream", typo_number),
         ("stream", typo_ssl_middle), ("stream", typo_header), ("stream", typo_upper_guid),
         ("stream", typo_semicolon), ("stream", typo_pattern_order),
         ("netdata", typo_netdata_oldname),
         ("netdata", typo_netdata_mode), ("netdata", typo_netdata_bind)]


def write(path, lines):
    data = "".join(lines).encode()
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1371)
    args = ap.parse_args()
    stamp = f"nodes={args.n} seed={args.seed} generator=2\n"
    marker = os.path.join(args.outdir, "FLEET")
    if os.path.exists(args.outdir):
        if os.path.exists(marker) and open(marker).readline() == stamp:
            print(f"gen_fleet: {args.outdir} already holds this fleet")
            return 0
        if os.listdir(args.outdir):
            print(f"gen_fleet: {args.outdir} exists and is not this fleet; remove it first",
                  file=sys.stderr)
            return 1
    rng = random.Random(args.seed)
    nodes = plan(args.n, rng)
    total = nfiles = ntypo = 0
    for nd in nodes:
        d = os.path.join(args.outdir, f"node-{nd['i']:05d}")
        os.makedirs(d, exist_ok=True)
        s = parent_stream(nd, rng) if nd["parent"] else child_stream(nd, rng)
        c = netdata_conf(nd, rng)
        if rng.randrange(TYPO_EVERY) == 0:
            which, fn = rng.choice(TYPOS)
            before = (s, c)
            if which == "stream":
                s = fn(s)
            else:
                c = fn(c)
            ntypo += (s, c) != before   # some mistakes do not apply to every role
        total += write(os.path.join(d, "stream.conf"), s)
        total += write(os.path.join(d, "netdata.conf"), c)
        nfiles += 2
    with open(marker, "w") as f:
        f.write(stamp)
        f.write(f"files={nfiles} bytes={total} with_mistakes={ntypo}\n")
    print(f"gen_fleet: {args.n} nodes, {nfiles} files, {total} bytes "
          f"({total / max(args.n, 1):.0f} B/node), {ntypo} with a mistake, in {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
