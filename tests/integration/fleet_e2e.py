#!/usr/bin/env python3
"""Issue 8, end to end: `streamc fleet` predicts which children of a fleet a parent accepts; a
real fleet on loopback must do exactly that.

The fleet, generated in a temporary directory (every port free, found by binding port 0):

  fe-parent   streamd, from the parent node's own config directory compiled by
              `streamc compile`. [web] bind to = 127.0.0.1:STREAM (every permission) and
              127.0.0.1:DASH=dashboard (no streaming). API keys: OK (enabled), OFF
              (enabled = no), REMOTE (allow from = 10.*). Machine sections: M_LOCAL (allow
              from = localhost), M_OFF (enabled = no), M_127 (allow from = 127.0.0.1, which a
              loopback child never matches: the parent sees 'localhost'). Every section
              writes its `type`, so Netdata's sticky section types cannot make the outcome
              depend on the order the children arrive in.
  13 children, the real Netdata 1.37.1 (tests/interop/netdata.sh start-child-conf), each run
              from its node's own stream.conf and machine GUID, all connecting from 127.0.0.1:

  child          api key   machine GUID      destination   expected
  fe-ok          OK        its own           STREAM        accepted
  fe-ok-local    OK        M_LOCAL           STREAM        accepted (machine allow from)
  fe-dup-a       OK        DUP               STREAM        accepted (first of the pair)
  fe-dup-b       OK        DUP               STREAM        REJECTED - ALREADY CONNECTED
  fe-key-off     OFF       its own           STREAM        KEY NOT ENABLED
  fe-key-remote  REMOTE    its own           STREAM        KEY NOT ALLOWED FROM THIS IP
  fe-key-guid    M_OFF     its own           STREAM        API KEY GIVEN IS NOT API KEY
  fe-guid-key    OK        = key OFF         STREAM        MACHINE GUID GIVEN IS NOT A MACHINE GUID
  fe-guid-off    OK        M_OFF             STREAM        MACHINE GUID NOT ENABLED
  fe-guid-127    OK        M_127             STREAM        MACHINE GUID NOT ALLOWED FROM THIS IP
  fe-own-guid    OK        the parent's      STREAM        DENIED - ... IDENTICAL TO PARENT
  fe-no-listen   OK        its own           CLOSED port   no listener: connection refused
  fe-dash-port   OK        its own           DASH          403: the port does not allow streaming

Steps and assertions:
1. `streamc fleet --format=json MANIFEST`: every child's verdict and reason are the designed
   ones (above); the text output's verdict lines say the same, and its exit status is 1 (a
   child is refused by every destination). A manifest with the parent and the accepted
   children only exits 0.
2. streamd starts on the compiled parent; every child starts (fe-dup-b only once fe-dup-a is
   connected, see below). Within a deadline (15 s) every child the analyser accepts is in
   streamd's /api/v1/info mirrored_hosts_status with "reachable": true and has a CONNECTED
   access line, and every child it refuses shows its refusal in streamd's log: the access-log
   tag that belongs to the analyser's reason (`STREAM: N '[localhost]:PORT' 'TAG' host ...
   api key ... machine guid ...`, the analyser's reason texts are admission outcomes, mapped
   to Netdata's tags in REASONS below), the matching "Forbidding access" / "is my own" /
   "multiple connections" error line for the same client port, and the child's own log shows
   the reply it got. The two refusals that never reach the stream checks are seen from the
   child: a closed port ("Connection refused") and a port without the streaming permission
   (streamd sends Netdata's raw 403 body, which a 1.37.1 child does not understand).
3. Then the sets: the hosts streamd shows as reachable (minus its own) are exactly the
   children the analyser accepts, streamd holds no host of a refused child, and no refused
   child ever got a CONNECTED line. streamd ends with status 0 on SIGTERM.

Duplicate machine GUID. The analyser says the node listed first holds the connection ("a node
holds its first accepting destination") and the second gets "already streaming". Which real
child wins depends only on who connects first, which no configuration decides; the test
imposes the analyser's order by starting fe-dup-b after fe-dup-a is connected (this also keeps
the pair out of the creation race a real parent answers with "BEATEN TO HOST CREATION").
It asserts that exactly one of the two is connected and that the other was rejected with
REJECTED - ALREADY CONNECTED (whose access line names the existing host); that the winner is
the analyser's choice follows from the imposed order and is checked too.

Bounded: every wait has a deadline; loopback only; every process is stopped in `finally`
(children by netdata.sh stop, streamd by SIGTERM). Environment: STREAMC, STREAMD,
STREAMC_ROOT as tests/run.py sets them. Netdata missing or binaries not built = FAIL.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from streamd_netdata_child import free_ports, get_json  # noqa: E402  (helpers only)

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
STREAMC = os.environ.get("STREAMC", os.path.join(ROOT, "streamc"))
STREAMD = os.environ.get("STREAMD", os.path.join(ROOT, "streamd"))
NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")
NETDATA = "/usr/sbin/netdata"
DEADLINE = 15          # s, for the children's outcomes to show

PARENT = "fe-parent"
G = "5eed0000-0000-4000-8000-{:012x}".format   # the fleet's GUIDs
KEY_OK, KEY_OFF, KEY_REMOTE = G(0xa01), G(0xa02), G(0xa03)
M_LOCAL, M_OFF, M_127, DUP, PARENT_GUID = G(0xb01), G(0xb02), G(0xb03), G(0xb04), G(0xbeef)

# name: (api key, machine GUID, which parent port, the analyser's designed reason or "" = ok)
CHILDREN = {
    "fe-ok": (KEY_OK, G(0xc01), "stream", ""),
    "fe-ok-local": (KEY_OK, M_LOCAL, "stream", ""),
    "fe-dup-a": (KEY_OK, DUP, "stream", ""),
    "fe-dup-b": (KEY_OK, DUP, "stream", "this machine GUID already has a live receiver"),
    "fe-key-off": (KEY_OFF, G(0xc05), "stream", "the API key is not enabled"),
    "fe-key-remote": (KEY_REMOTE, G(0xc06), "stream",
                      "the API key's allow from does not match the client IP"),
    "fe-key-guid": (M_OFF, G(0xc07), "stream", "the API key's section type is not 'api'"),
    "fe-guid-key": (KEY_OK, KEY_OFF, "stream",
                    "the machine GUID's section type is not 'machine'"),
    "fe-guid-off": (KEY_OK, M_OFF, "stream", "the machine GUID is not enabled"),
    "fe-guid-127": (KEY_OK, M_127, "stream",
                    "the machine GUID's allow from does not match the client IP"),
    "fe-own-guid": (KEY_OK, PARENT_GUID, "stream", "the machine GUID is the parent's own"),
    "fe-no-listen": (KEY_OK, G(0xc0c), "closed", "no [web] bind to entry listens on this port"),
    "fe-dash-port": (KEY_OK, G(0xc0d), "dash", "the port's bind to permissions lack 'streaming'"),
}
DUP_PAIR = ("fe-dup-a", "fe-dup-b")   # in manifest order: the analyser's holder first

# The analyser's reason (an admission outcome) -> what the parent and the child show.
# tag: Netdata's access-log tag; err: the parent's error line (format with key/guid), None
# when the refusal has no access line; child: the 1.37.1 child's log text for the reply.
DENIED = "remote server denied access, probably we don't have the right API key?"
REASONS = {
    "the API key's section type is not 'api'":
        ("ACCESS DENIED - API KEY GIVEN IS NOT API KEY",
         "API key '{key}' is a machine GUID. Forbidding access.", DENIED),
    "the API key is not enabled":
        ("ACCESS DENIED - KEY NOT ENABLED", "API key '{key}' is not allowed. Forbidding access.",
         DENIED),
    "the API key's allow from does not match the client IP":
        ("ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
         "API key '{key}' is not permitted from this IP. Forbidding access.", DENIED),
    "the machine GUID's section type is not 'machine'":
        ("ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID",
         "machine GUID '{guid}' is a api GUID. Forbidding access.", DENIED),
    "the machine GUID is not enabled":
        ("ACCESS DENIED - MACHINE GUID NOT ENABLED",
         "machine GUID '{guid}' is not allowed. Forbidding access.", DENIED),
    "the machine GUID's allow from does not match the client IP":
        ("ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP",
         "Machine GUID '{guid}' is not permitted from this IP. Forbidding access.", DENIED),
    "this machine GUID already has a live receiver":
        ("REJECTED - ALREADY CONNECTED",
         "multiple connections for same host detected - existing connection is active",
         "remote server rejected this stream, the host we are trying to stream is already "
         "streamed to it"),
    "the machine GUID is the parent's own":
        ("DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID IDENTICAL TO PARENT",
         "denied to receive metrics, machine GUID [{guid}] is my own.",
         "remote server rejected this stream, the host we are trying to stream is its localhost"),
    "no [web] bind to entry listens on this port":
        (None, None, "(errno 111, Connection refused)"),
    "the port's bind to permissions lack 'streaming'":
        (None, None, "remote node response is not understood, is it Netdata?"),
}
ACCESS_RE = re.compile(r"STREAM: \d+ '\[([^\]]*)\]:(\d+)' '([^']*)' host '([^']*)' "
                       r"api key '([^']*)' machine guid '([^']*)'")

failures = []
checks = 0
cleaning_up = False     # set once the processes are being stopped (see on_sigterm)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)
    return ok


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# ---- the fleet on disk ------------------------------------------------------------------------


def make_fleet(top, port, dash, closed):
    """Node directories and fleet.conf (every node) and accepted.conf (the parent and the
    children designed to be accepted) under TOP."""
    p = os.path.join(top, "nodes", PARENT)
    write(os.path.join(p, "netdata.conf"),
          f"[global]\n    hostname = {PARENT}\n[db]\n    mode = ram\n"
          f"[web]\n    bind to = 127.0.0.1:{port} 127.0.0.1:{dash}=dashboard\n")
    write(os.path.join(p, "netdata.public.unique.id"), PARENT_GUID)
    sections = ""
    for k, what in ((KEY_OK, "enabled = yes"), (KEY_OFF, "enabled = no"),
                    (KEY_REMOTE, "enabled = yes\n    allow from = 10.*")):
        sections += (f"\n[{k}]\n    type = api\n    {what}\n    default memory mode = ram\n"
                     "    health enabled by default = no\n")
    for m, what in ((M_LOCAL, "allow from = localhost"), (M_OFF, "enabled = no"),
                    (M_127, "allow from = 127.0.0.1")):
        sections += f"\n[{m}]\n    type = machine\n    {what}\n"
    write(os.path.join(p, "stream.conf"), "[stream]\n    enabled = no\n" + sections)
    dest_port = {"stream": port, "dash": dash, "closed": closed}
    for name, (key, guid, which, _) in CHILDREN.items():
        d = os.path.join(top, "nodes", name)
        write(os.path.join(d, "stream.conf"),
              f"[stream]\n    enabled = yes\n    destination = tcp:127.0.0.1:{dest_port[which]}\n"
              f"    api key = {key}\n    timeout seconds = 60\n    reconnect delay seconds = 5\n")
        # what the run uses from netdata.conf (netdata.sh writes the rest: paths, plugins)
        write(os.path.join(d, "netdata.conf"),
              f"[global]\n    hostname = {name}\n[db]\n    mode = ram\n    update every = 1\n"
              "    retention = 3600\n[health]\n    enabled = no\n[web]\n    mode = none\n")
        write(os.path.join(d, "netdata.public.unique.id"), guid)

    def manifest(names):
        text = (f"# generated by tests/integration/fleet_e2e.py\n[{PARENT}]\n"
                f"    config = nodes/{PARENT}\n    reachable at = 127.0.0.1 localhost\n"
                "    connects from = 127.0.0.1\n")
        for n in names:
            text += f"[{n}]\n    config = nodes/{n}\n    connects from = 127.0.0.1\n"
        return text

    write(os.path.join(top, "fleet.conf"), manifest(CHILDREN))
    write(os.path.join(top, "accepted.conf"),
          manifest([n for n, c in CHILDREN.items() if not c[3]]))


# ---- 1. the analyser ----------------------------------------------------------------------------


def analyse(top):
    """{child: (verdict, reason of its one edge)} from the JSON output, or None."""
    man = os.path.join(top, "fleet.conf")
    p = subprocess.run([STREAMC, "fleet", "--format=json", man], capture_output=True,
                       text=True, timeout=60)
    if not check(p.returncode in (0, 1), f"streamc fleet --format=json: exit {p.returncode}\n"
                                         f"{p.stdout[-2000:]}{p.stderr[-2000:]}"):
        return None
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        fail(f"streamc fleet --format=json: not JSON ({e}): {p.stdout[:500]!r}")
        return None
    verdict = {c["name"]: c["verdict"] for c in doc.get("children", [])}
    edges = {}
    for e in doc.get("edges", []):
        edges.setdefault(e["child"], []).append(e)
    got = {}
    for name, (_, _, _, reason) in CHILDREN.items():
        es = edges.get(name, [])
        if not check(len(es) == 1 and es[0].get("parent") == PARENT,
                     f"analyser: {name} should have one edge to {PARENT}, got {es}"):
            continue
        got[name] = (verdict.get(name), es[0]["reason"])
        want = ("refused", reason) if reason else ("accepted", "")
        check(got[name] == want, f"analyser: {name}: expected {want}, got {got[name]}")
    # the error findings: a refusal and "never streams" per refused child, and the two
    # shared machine GUIDs (the duplicate pair; the child holding the parent's own GUID)
    diags = doc.get("diagnostics", [])
    dups = set()
    for d in diags:
        m = re.match(r"nodes '([^']+)' and '([^']+)' have the same machine GUID",
                     d.get("message", ""))
        if d.get("code") == "fleet-duplicate-guid" and m:
            dups.add(frozenset(m.groups()))
    check(dups == {frozenset(DUP_PAIR), frozenset((PARENT, "fe-own-guid"))},
          f"analyser: fleet-duplicate-guid findings for {sorted(map(sorted, dups))}")
    errors = [d for d in diags if d.get("severity") == "error" and d.get("code") not in
              ("fleet-refused", "fleet-never-streams", "fleet-duplicate-guid")]
    check(not errors, f"analyser: unexpected error findings: {errors}")

    # the text output says the same and exits 1 (children refused by every destination)
    t = subprocess.run([STREAMC, "fleet", man], capture_output=True, text=True, timeout=60)
    refused = any(v == "refused" for v, _ in got.values())
    check(t.returncode == (1 if refused else 0),
          f"streamc fleet (text): exit {t.returncode}, expected {1 if refused else 0}")
    for name, (v, reason) in got.items():
        line = f"{name} -> {PARENT} ("
        want = "accepted" if v == "accepted" else f"refused: {reason}"
        hits = [ln for ln in t.stdout.splitlines() if ln.startswith(line)]
        check(len(hits) == 1 and hits[0].endswith("): " + want),
              f"streamc fleet (text): verdict line of {name} should end '{want}': {hits}")
    a = subprocess.run([STREAMC, "fleet", os.path.join(top, "accepted.conf")],
                       capture_output=True, text=True, timeout=60)
    check(a.returncode == 0, f"streamc fleet on the accepted children only: exit {a.returncode}"
                             f"\n{a.stdout[-1500:]}")
    return got


# ---- 2. the run -------------------------------------------------------------------------------


class Streamd:
    def __init__(self, top, port):
        self.port = port
        self.log = os.path.join(top, "streamd.log")
        policy = os.path.join(top, "parent.policy")
        p = subprocess.run([STREAMC, "compile", os.path.join(top, "nodes", PARENT), "-o",
                            policy], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"streamc compile failed:\n{p.stdout}{p.stderr}")
        os.makedirs(os.path.join(top, "data"))
        self.out = open(os.path.join(top, "streamd.out"), "w")
        self.proc = subprocess.Popen([STREAMD, "--policy", policy, "--data-dir",
                                      os.path.join(top, "data"), "--log", self.log],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 10
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"streamd exited with {self.proc.returncode} at start:\n"
                                       + read(self.out.name)[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError(f"streamd did not listen on 127.0.0.1:{port} in 10 s")
                    time.sleep(0.05)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return None
        self.out.close()
        return self.proc.returncode

    def reachable(self):
        """{hostname: reachable} of /api/v1/info's mirrored_hosts_status, without its own."""
        s, doc, _ = get_json(self.port, "/api/v1/info")
        if s != 200 or not doc:
            return {}
        return {h.get("hostname"): h.get("reachable") for h in
                doc.get("mirrored_hosts_status", []) if h.get("hostname") != PARENT}

    def access(self):
        """The access lines of its log: (client port, tag, host, key, guid)."""
        return [m.group(2, 3, 4, 5, 6) for m in ACCESS_RE.finditer(read(self.log))]


def start_children(top, names, started):
    """netdata.sh start-child-conf for NAMES in parallel. Every instance directory goes into
    STARTED {name: dir} before its start, so the caller stops it whatever happens; an
    interrupted call (SIGTERM) still waits for the starts under way (each bounded by
    ND_TIMEOUT), so no child is launched after the caller has stopped the others."""
    procs = {}
    try:
        for n in names:
            idir = os.path.join(top, "run", n)
            os.makedirs(os.path.join(idir, "etc"))
            shutil.copy(os.path.join(top, "nodes", n, "stream.conf"), os.path.join(idir, "etc"))
            started[n] = idir
            procs[n] = subprocess.Popen(
                ["bash", NETDATA_SH, "start-child-conf", idir, n, CHILDREN[n][1]],
                env=dict(os.environ, ND_TIMEOUT=str(DEADLINE)), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n, p in procs.items():
            try:
                _, err = p.communicate(timeout=DEADLINE + 30)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            check(p.returncode == 0, f"netdata.sh start-child-conf {n}: exit {p.returncode}\n"
                                     f"{err[-1500:]}")
    finally:
        for p in procs.values():
            if p.poll() is None:
                try:
                    p.wait(timeout=DEADLINE + 30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def stop_children(dirs):
    procs = [subprocess.Popen(["bash", NETDATA_SH, "stop", d], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for d in dirs]
    for d, p in zip(dirs, procs):
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        if p.returncode != 0:
            print(f"warning: netdata.sh stop {d}: exit {p.returncode}: {err[-500:]}", flush=True)


def wait_until(what, fn, deadline):
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            fail(f"timed out waiting for {what}")
            return v
        time.sleep(0.2)


def refusal_seen(sd, child_log, name, reason):
    """The evidence of REASON for child NAME, or None: (description, client port or None)."""
    key, guid, _, _ = CHILDREN[name]
    if reason not in REASONS:
        return None     # an analyser reason this test has no mapping for: reported as missing
    tag, err, child_text = REASONS[reason]
    if child_text not in read(child_log):
        return None
    if tag is None:
        return ("child log", None)
    log = read(sd.log)
    for port, t, host, k, g in sd.access():
        if t != tag or k != key or g != guid:
            continue
        # "already connected" names the existing host, every other line the request's
        if tag != REASONS["this machine GUID already has a live receiver"][0] and host != name:
            continue
        e = err.format(key=key, guid=guid)
        if re.search(r"\[receive from \[?localhost\]?:" + port + r"\]: " + re.escape(e), log):
            return (f"access '{t}' host '{host}' port {port}", port)
    return None


def run(top, got, port):
    sd = Streamd(top, port)
    started = {}
    try:
        accepted = {n for n, (v, _) in got.items() if v == "accepted"}
        first = [n for n in CHILDREN if n != DUP_PAIR[1]]
        t0 = time.time()
        start_children(top, first, started)
        print(f"{len(first)} children started in {time.time() - t0:.1f}s", flush=True)
        deadline = time.time() + DEADLINE
        wait_until(f"{DUP_PAIR[0]} connected before {DUP_PAIR[1]} starts",
                   lambda: sd.reachable().get(DUP_PAIR[0]) is True, deadline)
        start_children(top, [DUP_PAIR[1]], started)

        def pending():
            """What has not shown yet: accepted children not reachable or without a CONNECTED
            line, refused children without their refusal."""
            r = sd.reachable()
            acc = sd.access()
            left = []
            for n in CHILDREN:
                if n not in started or n not in got:
                    continue
                if got[n][0] == "accepted":
                    if r.get(n) is not True or not any(a[1] == "CONNECTED" and a[2] == n
                                                       for a in acc):
                        left.append(n)
                elif not refusal_seen(sd, os.path.join(started[n], "log", "error.log"), n,
                                      got[n][1]):
                    left.append(n)
            return left

        deadline = time.time() + DEADLINE
        while pending() and time.time() < deadline:
            time.sleep(0.2)
        left = pending()
        check(not left, f"within {DEADLINE} s these children did not do what the analyser "
                        f"predicted: {left}")
        for n in left:
            v, reason = got[n]
            clog = os.path.join(started[n], "log", "error.log")
            want = "accepted" if v == "accepted" else f"refused ({reason})"
            if v != "accepted" and reason not in REASONS:
                want += " [no mapping to a streamd log line in this test]"
            mine = [a for a in sd.access() if a[2] == n or a[4] == CHILDREN[n][1]]
            theirs = [ln for ln in read(clog).splitlines() if "STREAM" in ln and "[send" in ln]
            fail(f"{n}: analyser says {want}; streamd: reachable={sd.reachable().get(n)}, "
                 f"access lines {mine}; child log: {theirs[-3:]}")
        print(f"outcomes settled {time.time() - t0:.1f}s after the first start", flush=True)

        # 3. the sets
        r = sd.reachable()
        connected = {h for h, ok in r.items() if ok is True}
        check(connected == accepted,
              f"connected hosts {sorted(connected)} != the analyser's accepted {sorted(accepted)}")
        check(set(r) == accepted, f"streamd knows hosts {sorted(r)} (besides its own), expected "
                                  f"only the accepted {sorted(accepted)}")
        acc = sd.access()
        ever = {a[2] for a in acc if a[1] == "CONNECTED"}
        check(not (ever - accepted), f"refused children got CONNECTED: {sorted(ever - accepted)}")
        # the duplicate pair: exactly one holds the GUID, the other was rejected; the winner is
        # the analyser's choice because the test starts the second one later
        dup = [n for n in DUP_PAIR if r.get(n) is True]
        check(len(dup) == 1, f"exactly one of {DUP_PAIR} should be connected, got {dup}")
        rejected = [a for a in acc if a[1] == "REJECTED - ALREADY CONNECTED" and a[4] == DUP]
        check(len(rejected) >= 1, f"no REJECTED - ALREADY CONNECTED line for GUID {DUP}")
        check(dup == [DUP_PAIR[0]], f"the analyser expects {DUP_PAIR[0]} to hold the GUID, "
                                    f"streamd has {dup}")
        for n in sorted(got):
            v, reason = got[n]
            ev = ("reachable" if r.get(n) is True else "NOT reachable") if v == "accepted" else \
                (refusal_seen(sd, os.path.join(started.get(n, "/nonexistent"), "log",
                                               "error.log"), n, reason) or ("missing",))[0]
            print(f"  {n:14} analyser: {v:8} {reason or '':58.58} streamd: {ev}", flush=True)
        check(sd.proc.poll() is None, "streamd died during the run")
    finally:
        global cleaning_up
        cleaning_up = True      # a SIGTERM from here on is recorded, not raised (on_sigterm)
        stop_children(list(started.values()))
        rc = sd.stop()
        check(rc == 0, f"SIGTERM should end streamd with status 0, got {rc}")
        if failures:
            print(f"--- {sd.log} (last 60 lines)")
            print("".join(read(sd.log).splitlines(True)[-60:]))


def on_sigterm(*_):
    """A SIGTERM (a runner's timeout) fails the test. The first one unwinds through the
    `finally` blocks that stop every process; one during that cleanup only records the failure,
    so it cannot cut the cleanup short (which is bounded)."""
    global cleaning_up
    fail("terminated by SIGTERM")
    if not cleaning_up:
        cleaning_up = True
        sys.exit(1)


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    if not os.path.exists(NETDATA):
        print(f"FAIL: {NETDATA} is missing: run ./configure.py --deps")
        return 1
    for what, path in (("STREAMC", STREAMC), ("STREAMD", STREAMD)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            print(f"FAIL: {what}='{path}' is not executable (build it with ninja)")
            return 1
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="fleet_e2e.") as top:
        try:
            port, dash, closed = free_ports(3)
            make_fleet(top, port, dash, closed)
            got = analyse(top)
            if got is not None and len(got) == len(CHILDREN):
                run(top, got, port)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            fail(f"{type(e).__name__}: {e}")
    print(f"fleet_e2e: 1 parent (streamd) + {len(CHILDREN)} Netdata children, {checks} checks, "
          f"{len(failures)} failed, {time.time() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
