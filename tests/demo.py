#!/usr/bin/env python3
"""Lint every bundled example with streamc (what `ninja demo` runs; it builds nothing itself).

    python3 tests/demo.py            # uses $STREAMC, else ./streamc

Every directory under examples/ that holds a stream.conf or a netdata.conf is one node (a
config directory; examples/ephemeral/parent is the parent of examples/ephemeral). Each good
example must check clean under -Werror: no errors and no warnings. examples/broken must have
errors (streamc exit status 1); its diagnostics are shown as text and as a short JSON excerpt.

Then a policy: `streamc compile examples/parent`, `verify`, `explain` one child, `match`.
Then the fleets (examples/fleet, not linted node by node above): `streamc fleet` on the good
fleet (every child accepted, exit status 0) and on the broken one (exit status 1, findings).

Exit status: 0 when every good example is clean and the broken one has errors, the good fleet
is clean and the broken fleet has errors, else 1.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKEN = "examples/broken"
FLEETS = "examples/fleet"
RULE = "=" * 100


def example_dirs():
    """Config directories under examples/, relative to ROOT, sorted, broken last."""
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "examples")):
        if os.path.relpath(dirpath, ROOT) == "examples":
            dirnames[:] = [d for d in dirnames if d != os.path.basename(FLEETS)]
        dirnames.sort()
        if "stream.conf" in filenames or "netdata.conf" in filenames:
            found.append(os.path.relpath(dirpath, ROOT))
    return sorted(found, key=lambda d: (d == BROKEN, d))


def streamc(exe, *args):
    """streamc check ARGS."""
    return run(exe, "check", *args)


def run(exe, *args):
    p = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def header(title):
    print(f"\n{RULE}\n== {title}\n{RULE}", flush=True)


def main():
    exe = os.environ.get("STREAMC") or os.path.join(ROOT, "streamc")
    if not os.access(exe, os.X_OK):
        print(f"demo: no streamc binary at {exe}; build it first (ninja)", file=sys.stderr)
        return 1
    dirs = example_dirs()
    problems = []
    if BROKEN not in dirs:
        problems.append(f"{BROKEN} is missing")
    for d in dirs:
        if d == BROKEN:
            continue
        header(f"{d}: streamc check -Werror {d}")
        rc, out, err = streamc(exe, "-Werror", d)
        if rc == 0 and not out and not err:
            files = sorted(f for f in os.listdir(os.path.join(ROOT, d))
                           if os.path.isfile(os.path.join(ROOT, d, f)))
            print(f"clean: 0 errors, 0 warnings ({', '.join(files)})")
        else:
            sys.stdout.write(out + err)
            problems.append(f"{d}: expected a clean check, got exit status {rc}")
            print(f"NOT CLEAN (exit status {rc})")

    if BROKEN in dirs:
        header(f"{BROKEN}: streamc check {BROKEN}  (a deliberately broken node)")
        rc, out, err = streamc(exe, BROKEN)
        sys.stdout.write(out + err)
        if rc != 1:
            problems.append(f"{BROKEN}: expected exit status 1 (errors found), got {rc}")
        header(f"{BROKEN}: streamc check --format=json {BROKEN}  (excerpt)")
        rc, out, err = streamc(exe, "--format=json", BROKEN)
        try:
            doc = json.loads(out)
            excerpt = dict(doc, diagnostics=doc["diagnostics"][:3])
            text = json.dumps(excerpt, indent=2)
            print(text.replace("\n  ],", f"\n    ... {len(doc['diagnostics']) - 3} more\n  ],", 1))
            if rc != 1 or doc["errors"] < 1:
                problems.append(f"{BROKEN} (JSON): expected errors, got exit status {rc}, "
                                f"errors={doc['errors']}")
        except (ValueError, KeyError, TypeError) as e:
            sys.stdout.write(out[:2000] + err)
            problems.append(f"{BROKEN}: --format=json output is not the expected JSON ({e})")

    problems += policy(exe)
    problems += fleets(exe)
    problems += receiver(exe)

    header("summary")
    good = [d for d in dirs if d != BROKEN]
    if problems:
        for p in problems:
            print(f"FAIL: {p}")
        return 1
    print(f"{len(good)} good examples clean under -Werror; {BROKEN} has errors, as intended; "
          f"{FLEETS}/good streams, {FLEETS}/broken does not")
    return 0


def policy(exe):
    """Compile examples/parent into a policy, verify it, explain one child, match a pattern."""
    import tempfile
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        pol = os.path.join(tmp, "parent.policy")
        steps = [
            ("compile", ["compile", "examples/parent", "-o", pol], 0),
            ("verify", ["verify", pol], 0),
            ("explain", ["explain", pol, "--api-key", "96cf74af-440a-415f-826f-65f6ab5915dd",
                         "--machine-guid", "2e904822-9e5e-45fa-b977-394965cbdcb5",
                         "--from", "10.1.2.3", "--chart", "apps.cpu"], 0),
            ("match", ["match", "!10.1.2.3 10.* localhost", "10.1.2.3", "10.1.2.4",
                       "127.0.0.1", "localhost"], 0),
        ]
        for name, args, want in steps:
            header(f"policy: streamc {' '.join(a if ' ' not in a else repr(a) for a in args)}"
                   .replace(tmp + "/", ""))
            rc, out, err = run(exe, *args)
            sys.stdout.write((out + err).replace(tmp + "/", ""))
            if rc != want:
                problems.append(f"streamc {name}: expected exit status {want}, got {rc}")
    return problems


def fleets(exe):
    """The two fleets: good streams (exit 0), broken is refused (exit 1). Returns problems."""
    problems = []
    for name, want in (("good", 0), ("broken", 1)):
        manifest = f"{FLEETS}/{name}/fleet.conf"
        header(f"{FLEETS}/{name}: streamc fleet {manifest}"
               + ("" if want == 0 else "  (a deliberately broken fleet)"))
        p = subprocess.run([exe, "fleet", manifest], cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
        sys.stdout.write(p.stdout + p.stderr)
        if p.returncode != want:
            problems.append(f"{FLEETS}/{name}: expected exit status {want}, got {p.returncode}")
    return problems


EXAMPLE_PORT = 19998


def demo_port():
    """The examples' port when nothing holds it, else a free one the kernel picks (a busy
    19998 would otherwise send the demo's child to some other server)."""
    import socket
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", EXAMPLE_PORT))
            return EXAMPLE_PORT
        except OSError:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    print(f"(127.0.0.1:{EXAMPLE_PORT} is taken; the loopback examples run on {port} instead)")
    return port


def example_dir(name, port, tmp):
    """examples/NAME as it is, or a copy in TMP with the examples' port replaced by PORT."""
    src = os.path.join("examples", name)
    if port == EXAMPLE_PORT:
        return src
    dst = os.path.join(tmp, name)
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(os.path.join(ROOT, src)):
        with open(os.path.join(ROOT, src, f)) as i, open(os.path.join(dst, f), "w") as o:
            o.write(i.read().replace(f":{EXAMPLE_PORT}", f":{port}"))
    return dst


def receiver(exe):
    """streamd on examples/loopback-parent: a synthetic child streams three collections of one
    chart (the byte format of a 1.37.1 child), the API shows them; a wrong key is refused."""
    import socket
    import tempfile
    import time
    import urllib.request
    problems = []
    streamd = os.environ.get("STREAMD") or os.path.join(ROOT, "streamd")
    port = demo_port()
    key, guid = "5a1e0c3d-1111-4000-8000-0000000000aa", "5a1e0c3d-2222-4000-8000-0000000000bb"
    with tempfile.TemporaryDirectory() as tmp:
        pol, log = os.path.join(tmp, "parent.policy"), os.path.join(tmp, "streamd.log")
        header("streamd: streamc compile examples/loopback-parent; streamd --policy parent.policy")
        rc, out, err = run(exe, "compile", example_dir("loopback-parent", port, tmp), "-o", pol)
        if rc != 0 or not os.access(streamd, os.X_OK):
            return [f"streamd demo: compile exit {rc} {err.strip()}, or no streamd at {streamd}"]
        d = subprocess.Popen([streamd, "--policy", pol, "--log", log])
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                return [f"streamd demo: nothing listens on 127.0.0.1:{port} (taken?)"]
            hs = (f"STREAM key={key}&hostname=demo-child&machine_guid={guid}&update_every=1"
                  f"&ver=64 HTTP/1.1\r\nUser-Agent: demo/1\r\nAccept: */*\r\n\r\n")
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(hs.encode())
            reply = s.recv(100).decode()
            print(f"child -> parent: STREAM key={key}&hostname=demo-child&...")
            print(f"parent -> child: {reply}")
            s.sendall(b'CHART "demo.temperature" "" "Board temperature" "Celsius" "sensors" '
                      b'"demo.temperature" "line" 1000 1 "" "demo" "sensors"\n'
                      b'DIMENSION "cpu" "cpu" "absolute" 1 1000 ""\n')
            for i, v in enumerate((48250, 48500, 49000, 49250)):
                s.sendall(b'BEGIN "demo.temperature" %d\nSET "cpu" = %d\nEND\n'
                          % (0 if i == 0 else 1000000, v))
                time.sleep(1)
            url = f"http://127.0.0.1:{port}/host/demo-child/api/v1/data?chart=demo.temperature&after=-5"
            print(f"\nGET {url}")
            body = urllib.request.urlopen(url, timeout=5).read().decode()
            print(body)
            info = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{port}/host/demo-child/api/v1/info", timeout=5).read())
            print("per-child settings:", json.dumps({k: info["streamd"][k] for k in
                                                      ("memory_mode", "history", "health")}))
            s.close()
            bad = socket.create_connection(("127.0.0.1", port), timeout=5)
            bad.sendall(hs.replace(key, "00000000-0000-4000-8000-000000000000").encode())
            print(f"\na child with an unknown key gets: {bad.recv(200).decode()}")
            bad.close()
            time.sleep(0.2)
            if "49" not in body or not reply.startswith("Hit me baby"):
                problems.append("streamd demo: the streamed values are not in the API")
            problems += streamd_child(exe, streamd, tmp, port)
        finally:
            d.terminate()
            d.wait(timeout=10)
        print("\nstreamd's log:")
        sys.stdout.write(open(log).read())
    return problems


def streamd_child(exe, streamd, tmp, port):
    """streamd as a child: examples/loopback-child streams this machine's /proc charts into the
    parent of receiver(); the parent's API shows them."""
    import time
    import urllib.request
    header("streamd as a child: streamc compile examples/loopback-child; streamd --policy child.policy")
    pol, log = os.path.join(tmp, "child.policy"), os.path.join(tmp, "child.log")
    rc, out, err = run(exe, "compile", example_dir("loopback-child", port, tmp), "-o", pol)
    if rc != 0:
        return [f"streamd child demo: compile exit {rc} {err.strip()}"]
    c = subprocess.Popen([streamd, "--policy", pol, "--log", log])
    url = (f"http://127.0.0.1:{port}/host/demo-streamd-child/api/v1/data?chart=system.cpu"
           f"&after=-3&points=3")
    body = ""
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                body = urllib.request.urlopen(url, timeout=2).read().decode()
                if '"data"' in body and "null,null" not in body.replace(" ", ""):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        print(f"GET {url}")
        print(body)
        info = json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/v1/info", timeout=5).read())
        print("the parent's mirrored_hosts:", info.get("mirrored_hosts"))
    finally:
        c.terminate()
        c.wait(timeout=10)
    print("\nthe child's log:")
    sys.stdout.write(open(log).read())
    if "demo-streamd-child" not in info.get("mirrored_hosts", []) or '"data"' not in body:
        return ["streamd child demo: the parent does not show the child's system.cpu"]
    return []


if __name__ == "__main__":
    sys.exit(main())
