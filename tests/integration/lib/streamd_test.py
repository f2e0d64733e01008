"""Shared pieces of the streamd integration tests (tests/integration/streamd_*.py): checks that
count failures, free loopback ports, compiling a policy from config text, and a streamd
process with bounded waits. Imported, never run (tests/run.py runs only files directly in
tests/integration/)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.environ.get("STREAMC_ROOT", os.getcwd())
STREAMC = os.environ.get("STREAMC", os.path.join(ROOT, "streamc"))
STREAMD = os.environ.get("STREAMD", os.path.join(ROOT, "streamd"))


class Checks:
    """check(cond, what, detail) prints ok/FAIL and counts; done(name) -> exit status."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what, detail=""):
        print(("ok   " if cond else "FAIL ") + what + ("" if cond else f"\n     {detail}"),
              flush=True)
        if not cond:
            self.failures.append(what)
        return cond

    def done(self, name):
        print(f"{name}: {len(self.failures)} failed")
        return 1 if self.failures else 0


def need_binaries(netdata=False):
    """None when streamc and streamd are built (and, with NETDATA, the real Netdata is
    installed), else the reason (the test then fails)."""
    for exe in (STREAMC, STREAMD):
        if not os.access(exe, os.X_OK):
            return f"{exe} is not built (run ninja)"
    if netdata and not os.access("/usr/sbin/netdata", os.X_OK):
        return "the real Netdata is not installed (tests/interop/netdata.sh install)"
    return None


def free_port(family=socket.AF_INET, addr="127.0.0.1"):
    s = socket.socket(family)
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def compile_policy(tmp, name, netdata_conf, stream_conf, guid=None):
    """Write TMP/NAME/{netdata,stream}.conf (and the machine GUID file when GUID is given),
    compile TMP/NAME.policy; (path, streamc result)."""
    conf = os.path.join(tmp, name)
    os.mkdir(conf)
    if guid:
        with open(os.path.join(conf, "netdata.public.unique.id"), "w") as f:
            f.write(guid + "\n")
    for fname, text in (("netdata.conf", netdata_conf), ("stream.conf", stream_conf)):
        with open(os.path.join(conf, fname), "w") as f:
            f.write(text)
    pol = os.path.join(tmp, name + ".policy")
    c = subprocess.run([STREAMC, "compile", conf, "-o", pol], capture_output=True, text=True)
    return pol, c


def poll(fn, timeout, step=0.1):
    """FN's first true value within TIMEOUT seconds (checked every STEP s), else None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None


def remove_tmp(tmp):
    """Remove a test's temporary directory, unless KEEP_TMP=1 (then say where it is)."""
    if os.environ.get("KEEP_TMP"):
        print("kept " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def stream_request(key, host, guid, ver=64):
    return (f"STREAM key={key}&hostname={host}&machine_guid={guid}&update_every=1&ver={ver}"
            f" HTTP/1.1\r\nUser-Agent: streamd-test/1\r\nAccept: */*\r\n\r\n").encode()


class Streamd:
    """One streamd process on 127.0.0.1:PORT with its log in LOG."""

    def __init__(self, policy, port, log, data_dir=None, extra=()):
        self.policy, self.port, self.log, self.data_dir = policy, port, log, data_dir
        self.extra = list(extra)
        self.proc = None

    def start(self, timeout=15):
        args = [STREAMD, "--policy", self.policy, "--log", self.log] + self.extra
        if self.data_dir:
            args += ["--data-dir", self.data_dir]
        self.proc = subprocess.Popen(args)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGTERM):
        """Exit status (0 clean, -N signal), or "timeout" (then killed)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "timeout"

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def get(self, path):
        """(HTTP status, body bytes)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, path):
        st, body = self.get(path)
        return json.loads(body) if st == 200 else None

    def connect(self, key, host, guid, ver=64):
        """A stream: (socket, the parent's reply)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(stream_request(key, host, guid, ver))
        return s, s.recv(100)

    def logtext(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def wait_log(self, text, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.logtext():
                return True
            time.sleep(0.05)
        return False

    def rss_kb(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return -1
