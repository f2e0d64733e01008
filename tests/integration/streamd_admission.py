#!/usr/bin/env python3
"""streamd admission, end to end, and differentially against the real Netdata 1.37.1 parent.

Crafted STREAM handshakes go to streamd and to a real Netdata 1.37.1 parent (started with
tests/interop/netdata.sh from the SAME stream.conf and the same [web] settings), in the same
order, each on a fresh server. For every case it checks, on both servers:
  * the exact reply bytes (refusals are raw text without HTTP headers; malformed requests get
    a full HTTP 400 page; accepted requests get the prompt),
  * that the server then closes the socket (refusals),
  * the exact error-log text of stream-protocol.md §6 (and §2.2a for `allow connections
    from`), and the access-log tag line `STREAM: <tid> '[ip]:port' '<TAG>' host ... api key
    ... machine guid ...` with the client's real port,
and then that the two servers' replies are byte-identical.

Covered: every refusal of stream-protocol.md §2.2/§2.2a/§6 (no key, empty key, no hostname, no
machine GUID, invalid key, invalid machine GUID, key is a machine section, key not enabled,
unknown key, upper-case form of a good key, key not allowed from this IP (`allow from =
127.0.0.1`, which never matches because Netdata rewrites 127.0.0.1 to "localhost", and `!localhost
*`), machine GUID section of type api, the "section types stick" quirk, machine GUID not enabled,
machine GUID not allowed from this IP, the accept-rate limit (the very first request is refused),
already connected (a live stream kept busy with lines), the parent's own GUID, `[web] allow
connections from` (closed, no bytes; clients use 127.0.0.2-4, still loopback), `[web] allow
streaming from` (raw 403 body), three malformed requests (HTTP 400 pages)), plus accepted
requests: from 127.0.0.2, the parent's own GUID in upper case (another host), every `ver` of the
negotiation table (none, 0-6, 64, 192, 4160, 15352, 16376, 32768), and a reconnect after the
first stream ended. streamd only: SIGHUP reopens the log; a policy that is not one -> exit 2
with one line; SIGTERM -> exit 0.

Deliberate differences (the only ones allowed in the differential part):
  1. HTTP pages: the values of the Date and Expires headers are clock readings; they are
     replaced by a placeholder before comparing (the header names and order must match).
  2. Prompts: each server answers `ver` with Netdata's negotiation rule (stream-protocol §2.4,
     modelled below in caps_for/prompt_for) applied to ITS OWN capability set: Netdata 1.37.1
     has every bit 3..13 (16376); streamd implements no functions or binary, so its set is
     6136 (runtime/stream_caps.h STREAM_CAPS_OURS plus COMPRESSION and REPLICATION, which its
     defaults `enable compression = yes` and `enable replication = yes` add). Where the two
     sets give different prompts (e.g. ver=16376: 16320 vs 6080), each reply is checked
     against the model instead of against the other server.
  3. Netdata appends " (errno N, ...)" to some error-log lines (a stale errno); streamd's log
     line must end with the text itself.
  Any further case named in DELIBERATE below (with its reason) is only reported for streamd.

Environment: STREAMD (streamd binary), STREAMC (streamc), STREAMC_ROOT (repository).
Exit 0 = every check passed. Netdata missing or streamd not built = FAIL (nothing is skipped).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
STREAMC = os.environ.get("STREAMC", os.path.join(ROOT, "streamc"))
STREAMD = os.environ.get("STREAMD", os.path.join(ROOT, "streamd"))
NETDATA_SH = os.path.join(ROOT, "tests", "interop", "netdata.sh")

DENIED = b"You are not permitted to access this. Check the logs for more info."
FORBIDDEN = b"You are not allowed to access this resource."
BUSY = b"The server is too busy now to accept this request. Try later."
ALREADY = b"This GUID is already streaming to this server"
OWN = b"Don't hit me baby, you are trying to stream my localhost back"
PROMPT_V1 = b"Hit me baby, push them over..."
PROMPT_VN = b"Hit me baby, push them over with the version="
PROMPT_V2 = b"Hit me baby, push them over and bring the host labels..."

# keys (stream.conf API-key sections) and machine GUIDs; all distinct
K_OK = "5a1e0c3d-0000-4000-8000-00000000000a"        # enabled, allow from *
K_MACHINE = "5a1e0c3d-0000-4000-8000-000000000002"   # type = machine
K_OFF = "5a1e0c3d-0000-4000-8000-000000000003"       # enabled = no
K_UNKNOWN = "5a1e0c3d-0000-4000-8000-000000000004"   # no section at all
K_LITERAL = "5a1e0c3d-0000-4000-8000-000000000005"   # allow from = 127.0.0.1
K_NOTLOCAL = "5a1e0c3d-0000-4000-8000-000000000006"  # allow from = !localhost *
M_API = "6b2f1d4e-0000-4000-8000-000000000001"       # type = api
M_OFF = "6b2f1d4e-0000-4000-8000-000000000002"       # enabled = no
M_FAR = "6b2f1d4e-0000-4000-8000-000000000003"       # allow from = 10.* 192.168.*
PARENT_GUID = "7c3a2e5f-0000-4000-8000-0000000000aa"
RATE_GUID = "7c3a2e5f-0000-4000-8000-0000000000bb"


def child_guid(n):
    return f"8d4b3f6a-0000-4000-8000-{n:012d}"


STREAM_CONF = f"""# streamd_admission.py: one section per refusal reason
[stream]
    enabled = no

[{K_OK}]
    type = api
    enabled = yes
    allow from = *
    default memory mode = ram
    health enabled by default = no
    default proxy enabled = no

[{K_MACHINE}]
    type = machine
    enabled = yes

[{K_OFF}]
    type = api
    enabled = no

[{K_LITERAL}]
    enabled = yes
    allow from = 127.0.0.1

[{K_NOTLOCAL}]
    enabled = yes
    allow from = !localhost *

[{M_API}]
    type = api
    enabled = yes

[{M_OFF}]
    enabled = no

[{M_FAR}]
    allow from = 10.* 192.168.*
"""

# [web] settings both servers get (Netdata: appended to the harness's netdata.conf)
WEB_MAIN = """    allow connections from = localhost 127.0.0.2 127.0.0.3
    allow connections by dns = no
    allow streaming from = localhost 127.0.0.2
    allow streaming by dns = no
"""
WEB_RATE = """    allow connections from = localhost
    allow connections by dns = no
    allow streaming from = *
    allow streaming by dns = no
    accept a streaming request every seconds = 2
"""

# Cases in which streamd may differ from Netdata on purpose: case name -> reason. Their
# streamd replies are printed, not checked. Empty: every case must match.
DELIBERATE = {}

failures = []
checks = 0


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(ok, msg):
    global checks
    checks += 1
    if not ok:
        fail(msg)
    return ok


def free_ports(n):
    """n distinct ports the kernel just gave out for port 0 (free at this moment)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def stream_request(key=None, hostname=None, machine_guid=None, ver=None, raw_query=None,
                   extra=b""):
    """The request a 1.37.1 child sends (parameters in its order), or RAW_QUERY verbatim."""
    if raw_query is None:
        p = []
        if key is not None:
            p.append(("key", key))
        if hostname is not None:
            p += [("hostname", hostname), ("registry_hostname", hostname)]
        if machine_guid is not None:
            p.append(("machine_guid", machine_guid))
        p += [("update_every", "1"), ("os", "linux"), ("timezone", "UTC"),
              ("abbrev_timezone", "UTC"), ("utc_offset", "0"), ("hops", "1"),
              ("ml_capable", "0"), ("ml_enabled", "0"), ("mc_version", "0"), ("tags", "")]
        if ver is not None:
            p.append(("ver", str(ver)))
        p.append(("NETDATA_PROTOCOL_VERSION", "1.1"))
        raw_query = "&".join(f"{k}={v}" for k, v in p)
    return (f"STREAM {raw_query} HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n"
            f"Accept: */*\r\n\r\n").encode() + extra


class Conn:
    """One client connection from SRC (a 127.x address) to 127.0.0.1:PORT."""

    def __init__(self, port, src="127.0.0.1"):
        self.s = socket.socket()
        self.s.bind((src, 0))
        self.s.settimeout(5)
        self.s.connect(("127.0.0.1", port))
        self.port = self.s.getsockname()[1]
        self.closed = False
        self.error = None

    def send(self, data):
        self.s.sendall(data)

    def read_all(self, timeout=5.0):
        """Everything until EOF (sets .closed) or TIMEOUT seconds."""
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.s.settimeout(max(0.05, deadline - time.time()))
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                break
            except OSError as e:           # a reset also means "closed"
                self.error, self.closed = str(e), True
                break
            if not b:
                self.closed = True
                break
            out += b
        return out

    def read_prompt(self, timeout=5.0):
        """An accepted request's prompt: read until a whole prompt is there (then 0.1 s more
        for anything extra), or 0.5 s after a partial one."""
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            whole = out in (PROMPT_V1, PROMPT_V2) or re.fullmatch(
                re.escape(PROMPT_VN) + rb"\d+", out)
            self.s.settimeout(max(0.05, deadline - time.time()) if not out else
                              0.1 if whole else 0.5)
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                break
            except OSError as e:
                self.error, self.closed = str(e), True
                break
            if not b:
                self.closed = True
                break
            out += b
        return out

    def still_open(self):
        """Nothing at all within 0.2 s: no EOF, no reset and no bytes (a parent sends nothing
        unprompted on a V1 stream)."""
        self.s.settimeout(0.2)
        try:
            self.error = f"got {self.s.recv(65536)!r}"
        except socket.timeout:
            return True
        except OSError as e:
            self.error = str(e)
        return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---- the servers under test ---------------------------------------------------------------


class Server:
    """A running parent; .name, .port, .kind ('netdata' or 'streamd')."""

    def error_line_re(self, text_re):
        raise NotImplementedError

    def log_text(self):
        raise NotImplementedError

    missed = False

    def has_log(self, text_re):
        """A log line carrying TEXT_RE in this server's format. Polled for up to 3 s the first
        time one is missing, then 0.3 s (so a server that never logs stays fast)."""
        rx = re.compile(self.error_line_re(text_re), re.M)
        deadline = time.time() + (0.3 if self.missed else 3.0)
        while True:
            if rx.search(self.log_text()):
                return True
            if time.time() > deadline:
                self.missed = True
                return False
            time.sleep(0.05)


class NetdataParent(Server):
    kind = "netdata"

    def __init__(self, dirname, port, hostname, guid, web):
        self.dir, self.port, self.name = dirname, port, f"netdata:{hostname}"
        os.makedirs(os.path.join(dirname, "etc"), exist_ok=True)
        with open(os.path.join(dirname, "etc", "stream.conf"), "w") as f:
            f.write(STREAM_CONF)
        with open(os.path.join(dirname, "etc", "netdata.extra.conf"), "w") as f:
            f.write("[web]\n" + web)
        env = dict(os.environ, ND_HOSTNAME=hostname, ND_GUID=guid, ND_TIMEOUT="20")
        p = subprocess.run(["bash", NETDATA_SH, "start-parent", dirname, str(port)], env=env,
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"netdata.sh start-parent failed:\n{p.stderr[-2000:]}")

    def error_line_re(self, text_re):
        # "DATE TIME: netdata LEVEL : THREAD : text" (+ a stale " (errno N, ...)"), or the
        # access log's "DATE TIME: STREAM: ..." lines
        return (r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: (?:netdata [A-Z]+ *: .* : )?" + text_re +
                r"(?: \(errno \d+, [^)]*\))?$")

    def log_text(self):
        t = ""
        for f in ("error.log", "access.log"):
            try:
                t += open(os.path.join(self.dir, "log", f), errors="replace").read()
            except OSError:
                pass
        return t

    def stop(self):
        subprocess.run(["bash", NETDATA_SH, "stop", self.dir], capture_output=True, timeout=60)
        return None


class Streamd(Server):
    kind = "streamd"

    def __init__(self, dirname, port, hostname, guid, web):
        self.dir, self.port, self.name = dirname, port, f"streamd:{hostname}"
        conf = os.path.join(dirname, "conf")
        os.makedirs(conf, exist_ok=True)
        os.makedirs(os.path.join(dirname, "data"), exist_ok=True)
        with open(os.path.join(conf, "stream.conf"), "w") as f:
            f.write(STREAM_CONF)
        with open(os.path.join(conf, "netdata.conf"), "w") as f:
            f.write(f"[global]\n    hostname = {hostname}\n[db]\n    mode = ram\n"
                    f"[web]\n    bind to = 127.0.0.1:{port}\n" + web)
        with open(os.path.join(conf, "netdata.public.unique.id"), "w") as f:
            f.write(guid)
        self.policy = os.path.join(dirname, "parent.policy")
        self.log = os.path.join(dirname, "streamd.log")
        p = subprocess.run([STREAMC, "compile", conf, "-o", self.policy], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"streamc compile failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        self.out = open(os.path.join(dirname, "streamd.out"), "w")
        self.proc = subprocess.Popen([STREAMD, "--policy", self.policy, "--data-dir",
                                      os.path.join(dirname, "data"), "--log", self.log],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamd exited with {self.proc.returncode} while starting:\n"
                                   + open(self.out.name).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"streamd did not listen on 127.0.0.1:{port} within 10 s")
                time.sleep(0.05)

    def error_line_re(self, text_re):
        return r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: streamd: [A-Z]+: " + text_re + "$"

    def log_text(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return None
        return self.proc.returncode


def text_re(template, port):
    """A log template -> regex: {port} is the client's port, {n} any number."""
    out = ""
    for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
        if i % 2 == 0:
            out += re.escape(piece)
        elif piece == "port":
            out += str(port)
        elif piece == "n":
            out += r"\d+"
        else:
            raise ValueError(piece)
    return out


def access_line(ip, tag, host, key, guid):
    return (f"STREAM: {{n}} '[{ip}]:{{port}}' '{tag}' host '{host or '-'}' api key "
            f"'{key or '-'}' machine guid '{guid or '-'}'")


def refusal(name, reply, logs=(), src="127.0.0.1", **req):
    """A one-connection case: REPLY exactly, then closed; LOGS: templates for the log."""
    return {"name": name, "send": stream_request(**req), "src": src, "reply": reply,
            "logs": list(logs)}


def denied(name, why, tag, key=None, hostname=None, machine_guid=None, **kw):
    ip = "localhost"
    logs = [f"STREAM [receive from [{ip}]:{{port}}]: {why}",
            access_line(ip, tag, hostname, key, machine_guid)]
    return refusal(name, DENIED, logs, key=key, hostname=hostname, machine_guid=machine_guid,
                   **kw)


def main_cases():
    """Cases for the main parent, in the order they run (the order matters for the sticky
    section types)."""
    g = child_guid
    return [
        denied("no key", "request without an API key. Forbidding access.",
               "ACCESS DENIED - NO KEY", hostname="adm-a", machine_guid=g(1)),
        denied("empty key (an empty value counts as absent)",
               "request without an API key. Forbidding access.", "ACCESS DENIED - NO KEY",
               key="", hostname="adm-a", machine_guid=g(1)),
        denied("no hostname", "request without a hostname. Forbidding access.",
               "ACCESS DENIED - NO HOSTNAME", key=K_OK, machine_guid=g(1)),
        denied("no machine GUID", "request without a machine GUID. Forbidding access.",
               "ACCESS DENIED - NO MACHINE GUID", key=K_OK, hostname="adm-a"),
        denied("invalid key",
               "API key 'not-a-uuid' is not valid GUID (use the command uuidgen to generate "
               "one). Forbidding access.", "ACCESS DENIED - INVALID KEY",
               key="not-a-uuid", hostname="adm-a", machine_guid=g(1)),
        denied("invalid machine GUID", "machine GUID '1234' is not GUID. Forbidding access.",
               "ACCESS DENIED - INVALID MACHINE GUID", key=K_OK, hostname="adm-a",
               machine_guid="1234"),
        denied("key is a machine section",
               f"API key '{K_MACHINE}' is a machine GUID. Forbidding access.",
               "ACCESS DENIED - API KEY GIVEN IS NOT API KEY", key=K_MACHINE, hostname="adm-a",
               machine_guid=g(1)),
        denied("key not enabled", f"API key '{K_OFF}' is not allowed. Forbidding access.",
               "ACCESS DENIED - KEY NOT ENABLED", key=K_OFF, hostname="adm-a",
               machine_guid=g(1)),
        denied("unknown key", f"API key '{K_UNKNOWN}' is not allowed. Forbidding access.",
               "ACCESS DENIED - KEY NOT ENABLED", key=K_UNKNOWN, hostname="adm-a",
               machine_guid=g(1)),
        denied("upper-case form of a good key (sections are case-sensitive)",
               f"API key '{K_OK.upper()}' is not allowed. Forbidding access.",
               "ACCESS DENIED - KEY NOT ENABLED", key=K_OK.upper(), hostname="adm-a",
               machine_guid=g(1)),
        denied("key not from this IP (allow from = 127.0.0.1; 127.0.0.1 is seen as localhost)",
               f"API key '{K_LITERAL}' is not permitted from this IP. Forbidding access.",
               "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP", key=K_LITERAL,
               hostname="adm-a", machine_guid=g(1)),
        denied("key not from this IP (allow from = !localhost *)",
               f"API key '{K_NOTLOCAL}' is not permitted from this IP. Forbidding access.",
               "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP", key=K_NOTLOCAL,
               hostname="adm-a", machine_guid=g(1)),
        denied("machine GUID section of type api",
               f"machine GUID '{M_API}' is a api GUID. Forbidding access.",
               "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID", key=K_OK,
               hostname="adm-a", machine_guid=M_API),
        denied("quirk: a GUID once used as an API key is an api section from then on",
               f"machine GUID '{K_UNKNOWN}' is a api GUID. Forbidding access.",
               "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID", key=K_OK,
               hostname="adm-a", machine_guid=K_UNKNOWN),
        denied("machine GUID not enabled",
               f"machine GUID '{M_OFF}' is not allowed. Forbidding access.",
               "ACCESS DENIED - MACHINE GUID NOT ENABLED", key=K_OK, hostname="adm-a",
               machine_guid=M_OFF),
        denied("machine GUID not from this IP",
               f"Machine GUID '{M_FAR}' is not permitted from this IP. Forbidding access.",
               "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP", key=K_OK,
               hostname="adm-a", machine_guid=M_FAR),
        refusal("[web] allow connections from (127.0.0.4): closed, no bytes", b"",
                ["Permission denied for client '127.0.0.4', port '{port}'"], src="127.0.0.4",
                key=K_OK, hostname="adm-b", machine_guid=g(2)),
        refusal("[web] allow streaming from (127.0.0.3): raw 403 body", FORBIDDEN,
                src="127.0.0.3", key=K_OK, hostname="adm-b", machine_guid=g(2)),
        {"name": "malformed: %01 in the query", "src": "127.0.0.1", "http": True, "logs": [],
         "send": stream_request(raw_query=f"key={K_OK}&hostname=adm%01&machine_guid={g(2)}"),
         "reply": "400 URL not valid. I don't understand you...\r\n"},
        {"name": "malformed: a byte after the request", "src": "127.0.0.1", "http": True,
         "logs": [], "send": stream_request(key=K_OK, hostname="adm-b", machine_guid=g(2),
                                            extra=b"x"),
         "reply": "400 I don't understand you...\r\n"},
        {"name": "malformed: unknown method", "src": "127.0.0.1", "http": True, "logs": [],
         "send": b"PUT /stream HTTP/1.1\r\nUser-Agent: netdata/v1.37.1\r\n\r\n",
         "reply": "400 I don't understand you...\r\n"},
    ]


def http_400_ok(reply, body):
    """Netdata's 400 page: status line, Content-Length and BODY (headers compared by diff)."""
    status, _, text = body.partition(" ")
    head, sep, got_body = reply.partition(b"\r\n\r\n")
    return (sep and reply.startswith(f"HTTP/1.1 {status} Bad Request\r\n".encode()) and
            got_body == text.encode() and
            f"\r\nContent-Length: {len(text)}".encode() in head)


def run_case(srv, case, results):
    if srv.kind == "streamd" and case["name"] in DELIBERATE:
        c = Conn(srv.port, case["src"])
        c.send(case["send"])
        got = c.read_all(2.0)
        c.close()
        print(f"{srv.name}: {case['name']}: deliberate difference "
              f"({DELIBERATE[case['name']]}): got {got!r}")
        return
    try:
        c = Conn(srv.port, case["src"])
    except OSError as e:      # refused at connect: no bytes, closed
        results[case["name"]] = (b"", True, None)
        check(case["reply"] == b"", f"{srv.name}: {case['name']}: connect failed: {e}")
        return
    try:
        c.send(case["send"])
    except OSError:
        pass                  # the server may already have closed (allow connections from)
    got = c.read_all(5.0)
    c.close()
    results[case["name"]] = (got, c.closed, c.port)
    if case.get("http"):
        check(http_400_ok(got, case["reply"]),
              f"{srv.name}: {case['name']}: expected an HTTP {case['reply']!r} page, got {got!r}")
    else:
        check(got == case["reply"],
              f"{srv.name}: {case['name']}: reply: expected {case['reply']!r}, got {got!r}")
    check(c.closed, f"{srv.name}: {case['name']}: the server did not close the socket within "
                    f"5 s (got {got!r})")
    for t in case["logs"]:
        check(srv.has_log(text_re(t, c.port)),
              f"{srv.name}: {case['name']}: no log line with the text "
              f"{t.replace('{port}', str(c.port)).replace('{n}', '<n>')!r}")


# Capability negotiation (stream-protocol §2.4), written out here as the model both servers
# must follow, each with its own capability set.
V1, V2, VN, VCAPS, HLABELS, CLAIM, CLABELS, COMPRESSION = 8, 16, 32, 64, 128, 256, 512, 1024
NETDATA_CAPS = 16376    # a 1.37.1 build with LZ4: every bit 3..13
REPLICATION = 4096
STREAMD_CAPS = (V1 | V2 | VN | VCAPS | HLABELS | CLAIM | CLABELS | COMPRESSION
                | REPLICATION)  # no functions or binary (deliberate difference 2)
VERSIONS = [None, 0, 1, 2, 3, 4, 5, 6, 64, 192, 4160, 15352, 16376, 32768]


def caps_for(ver, own):
    """The capability set a parent with OWN agrees to for the `ver` parameter VER."""
    v = 0 if ver is None else ver
    caps = {0: V1, 1: V1, 2: V2 | HLABELS, 3: VN | HLABELS | CLAIM,
            4: VN | HLABELS | CLAIM | CLABELS,
            5: VN | HLABELS | CLAIM | CLABELS | COMPRESSION}.get(v, v)
    if caps & VCAPS:
        caps &= ~(V1 | V2 | VN)
    elif caps & VN:
        caps &= ~(V1 | V2)
    elif caps & V2:
        caps &= ~V1
    return caps & own


def prompt_for(ver, own):
    caps = caps_for(ver, own)
    if caps & VCAPS:
        return PROMPT_VN + str(caps).encode()
    if caps & VN:
        return PROMPT_VN + (b"5" if caps & COMPRESSION else b"4" if caps & CLABELS else b"3")
    if caps & V2:
        return PROMPT_V2
    return PROMPT_V1


def own_caps(srv):
    return STREAMD_CAPS if srv.kind == "streamd" else NETDATA_CAPS


def accepted(srv, results, name, src="127.0.0.1", ver=None, guid=None, host="adm-ok",
             keep=False, key=K_OK):
    c = Conn(srv.port, src)
    c.send(stream_request(key=key, hostname=host, machine_guid=guid, ver=ver))
    got = c.read_prompt()
    results[name] = (got, c.closed, c.port, ver)
    want = prompt_for(ver, own_caps(srv))
    check(got == want, f"{srv.name}: {name}: prompt: expected {want!r}, got {got!r}")
    check(not c.closed, f"{srv.name}: {name}: closed right after the prompt ({c.error})")
    if keep:
        return c
    c.close()
    return None


CHART = (b'CHART "adm.live" "" "admission keep-alive" "n" "adm" "adm.live" "line" 1000 1 "" '
         b'"adm" "adm"\nDIMENSION "x" "" "absolute" 1 1 ""\n')


def collect(c, v):
    c.send(b'BEGIN "adm.live" 0\nSET "x" = %d\nEND\n' % v)


def run_main(srv):
    """Every case of the main parent; the replies by case name."""
    res = {}
    cases = main_cases()
    for case in cases:
        run_case(srv, case, res)

    accepted(srv, res, "accepted from 127.0.0.2 (allow from = !localhost * lets it in)",
             "127.0.0.2", guid=child_guid(10), key=K_NOTLOCAL)
    accepted(srv, res, "the parent's own GUID in upper case is another host",
             guid=PARENT_GUID.upper(), ver=64)
    for i, ver in enumerate(VERSIONS):
        accepted(srv, res, f"accepted, ver={ver}", ver=ver, guid=child_guid(100 + i))

    # already connected: a live stream that keeps sending lines, then the same GUID again
    live = accepted(srv, res, "live stream (V1)", guid=child_guid(20), host="adm-live",
                    keep=True)
    if live:
        live.send(CHART)
        collect(live, 1)
        time.sleep(0.3)
        collect(live, 2)
        run_case(srv, {"name": "already connected", "src": "127.0.0.1",
                       "send": stream_request(key=K_OK, hostname="adm-live2",
                                              machine_guid=child_guid(20)),
                       "reply": ALREADY,
                       "logs": ["STREAM adm-live [receive from [localhost]:{port}]: multiple "
                                "connections for same host detected - existing connection is "
                                "active (within last {n} sec), rejecting new connection.",
                                access_line("localhost", "REJECTED - ALREADY CONNECTED",
                                            "adm-live", K_OK, child_guid(20))]}, res)
        collect(live, 3)
        check(live.still_open(), f"{srv.name}: the live stream did not stay quietly open "
                                 f"after the refused second connection ({live.error})")
        live.close()
        # reconnect once the first receiver has seen EOF (deadline 10 s)
        deadline = time.time() + 10
        while True:
            c = Conn(srv.port)
            c.send(stream_request(key=K_OK, hostname="adm-live", machine_guid=child_guid(20)))
            got = c.read_prompt()
            c.close()
            if got != ALREADY or time.time() > deadline:
                break
            time.sleep(0.2)
        res["reconnect after the live stream closed"] = (got, False, None)
        check(got == PROMPT_V1, f"{srv.name}: reconnect after the live stream closed: expected "
                                f"{PROMPT_V1!r} within 10 s, got {got!r}")

    run_case(srv, {"name": "the parent's own GUID", "src": "127.0.0.1",
                   "send": stream_request(key=K_OK, hostname="adm-me", machine_guid=PARENT_GUID),
                   "reply": OWN,
                   "logs": ["STREAM adm-me [receive from localhost:{port}]: denied to receive "
                            "metrics, machine GUID [" + PARENT_GUID + "] is my own. Did you copy "
                            "the parent/proxy machine GUID to a child, or is this an "
                            "inter-agent loop?",
                            access_line("localhost", "DENIED - ATTEMPT TO RECEIVE METRICS FROM "
                                        "MACHINE_GUID IDENTICAL TO PARENT", "adm-me", K_OK,
                                        PARENT_GUID)]}, res)
    return res


def sighup_reopens_log(srv):
    """streamd only: after the log file is moved away, SIGHUP makes streamd write a new one."""
    moved = srv.log + ".1"
    os.rename(srv.log, moved)
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    srv.missed = False
    run_case(srv, denied("after SIGHUP: logged to the reopened log file",
                         "request without an API key. Forbidding access.",
                         "ACCESS DENIED - NO KEY", hostname="adm-hup", machine_guid=child_guid(40)),
             {})
    check(os.path.exists(moved) and "adm-hup" not in open(moved, errors="replace").read(),
          f"{srv.name}: after SIGHUP streamd still wrote to the moved log file")


def policy_refused(tmp):
    """streamd only: a policy that is not one -> exit 2 with a one-line reason."""
    bad = os.path.join(tmp, "not-a.policy")
    with open(bad, "wb") as f:
        f.write(b"this is not a streamc policy\n" * 8)
    try:
        p = subprocess.run([STREAMD, "--policy", bad, "--log", os.path.join(tmp, "bad.log")],
                           capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail("streamd --policy <garbage>: still running after 10 s (expected exit 2)")
        return
    lines = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
    check(p.returncode == 2 and len(lines) == 1,
          f"streamd --policy <garbage>: expected exit 2 and one line, got exit {p.returncode} "
          f"and {lines}")


def run_rate(srv):
    """[web] accept a streaming request every seconds = 2, on a fresh parent."""
    res = {}
    busy = "STREAM [receive from [localhost]:{port}]: too busy to accept new streaming " \
           "request. Will be allowed in %s secs."
    t1 = time.time()
    run_case(srv, {"name": "rate: the very first request is refused", "src": "127.0.0.1",
                   "send": stream_request(key=K_OK, hostname="adm-r", machine_guid=child_guid(30)),
                   "reply": BUSY, "logs": [busy % "2"]}, res)
    run_case(srv, denied("rate: key checks come before the rate limit",
                         f"API key '{K_UNKNOWN}' is not allowed. Forbidding access.",
                         "ACCESS DENIED - KEY NOT ENABLED", key=K_UNKNOWN, hostname="adm-r",
                         machine_guid=child_guid(31)), res)
    # Netdata counts whole seconds: allowed once int(now) - int(t1) >= 2
    time.sleep(max(0.0, int(t1) + 2.15 - time.time()))
    accepted(srv, res, "rate: accepted 2 s later", guid=child_guid(32), host="adm-r2")
    run_case(srv, {"name": "rate: refused right after an accepted one", "src": "127.0.0.1",
                   "send": stream_request(key=K_OK, hostname="adm-r3", machine_guid=child_guid(33)),
                   "reply": BUSY, "logs": [busy % "{n}"]}, res)
    return res


def normalize(reply):
    """Clock readings out of HTTP headers (deliberate difference 1)."""
    return re.sub(rb"\r\n(Date|Expires): [^\r]*", rb"\r\n\1: <clock>", reply)


def differential(nd, sd):
    for name, (got, *_) in nd.items():
        if name in DELIBERATE:
            continue
        if name not in sd:
            fail(f"differential: {name}: not run against streamd")
            continue
        other = sd[name][0]
        if len(nd[name]) > 3:   # an accepted request: VER
            ver = nd[name][3]
            if prompt_for(ver, NETDATA_CAPS) != prompt_for(ver, STREAMD_CAPS):
                continue        # deliberate difference 2 (each checked against the model)
        check(normalize(got) == normalize(other),
              f"differential: {name}: netdata replied {got!r}, streamd replied {other!r}")


def run_against(kind, tmp):
    cls = NetdataParent if kind == "netdata" else Streamd
    out = {}
    for label, host, guid, web, fn in (
            ("main", "adm-parent", PARENT_GUID, WEB_MAIN, run_main),
            ("rate", "adm-rate", RATE_GUID, WEB_RATE, run_rate)):
        # a port picked now, not at the start: the cases before make client connections
        # whose ephemeral ports could take one picked earlier
        port = free_ports(1)[0]
        try:
            srv = cls(os.path.join(tmp, f"{kind}-{label}"), port, host, guid, web)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            fail(f"{kind} {label} parent did not start: {e}")
            continue
        try:
            out.update(fn(srv))
            if kind == "streamd" and label == "main":
                sighup_reopens_log(srv)
        finally:
            rc = srv.stop()
            if kind == "streamd":
                check(rc == 0, f"{srv.name}: SIGTERM should end streamd with status 0, got {rc}"
                               + (f"\n{open(srv.out.name).read()[-1500:]}" if rc else ""))
                if failures:
                    print(f"--- {srv.log} (last 30 lines)")
                    print("".join(open(srv.log, errors="replace").readlines()[-30:])
                          if os.path.exists(srv.log) else "(no log file)")
    return out


def main():
    # a SIGTERM (a runner's timeout) still runs the finally blocks that stop the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated by SIGTERM"))
    if not os.path.exists("/usr/sbin/netdata"):
        print("FAIL: /usr/sbin/netdata is missing: run ./configure.py --deps")
        return 1
    for need in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        try:
            s = socket.socket()
            s.bind((need, 0))
            s.close()
        except OSError as e:
            print(f"FAIL: cannot bind a client socket to {need} (loopback 127/8): {e}")
            return 1
    with tempfile.TemporaryDirectory(prefix="streamd_admission.") as tmp:
        t0 = time.time()
        nd = run_against("netdata", tmp)
        print(f"netdata 1.37.1: {len(nd)} cases in {time.time() - t0:.1f}s", flush=True)
        if not (os.path.isfile(STREAMD) and os.access(STREAMD, os.X_OK)):
            fail(f"STREAMD='{STREAMD}' is not an executable streamd (build it with ninja)")
        elif not os.access(STREAMC, os.X_OK):
            fail(f"STREAMC='{STREAMC}' is not executable (build it with ninja)")
        else:
            t0 = time.time()
            sd = run_against("streamd", tmp)
            policy_refused(tmp)
            print(f"streamd: {len(sd)} cases in {time.time() - t0:.1f}s", flush=True)
            differential(nd, sd)
    print(f"streamd_admission: {checks} checks, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
