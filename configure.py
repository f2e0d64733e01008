#!/usr/bin/env python3
"""Probe tools and libraries, optionally install what is missing, write build.ninja.

Standard library only (as ninja's own configure.py). Usage:
    ./configure.py [--deps] [--debug] [--sanitize] [--cc CC]
--deps      apt-get install every missing Debian package (no-op when all are present), then the
            real Netdata 1.37.1 via tests/interop/netdata.sh install when /usr/sbin/netdata is
            missing (the streamd interop tests need it; its service is kept disabled)
--debug     -O0 for the default variant
--sanitize  also build the ASan+UBSan variant by default (it always exists as `ninja asan`)
"""
import argparse
import os
import shutil
import subprocess
import sys

# Debian package that provides each probed thing.
PACKAGES = {
    "re2c": "re2c",
    "lemon": "lemon",
    "ninja": "ninja-build",
    "clang": "clang",
    "openssl": "libssl-dev",
    "libxxhash": "libxxhash-dev",
    "liblz4": "liblz4-dev",     # streaming compression (child -> parent LZ4 frames)
    "cmocka": "libcmocka-dev",
    "clang-rt": "libclang-rt-14-dev",
    "pkg-config": "pkg-config",
    "openssl-cli": "openssl",   # the tests make keys and certificates with the openssl command
}

# ---- sources: explicit sorted lists (what links into what) --------------------------------------

COMMON = ["common/guid.c", "common/pattern_prog.c", "common/policy_records.c", "common/policy_sign.c",
          "common/policy_view.c"]
COMPILER_LIB = [
    "compiler/arena.c",
    "compiler/checks.c",
    "compiler/confdir.c",
    "compiler/dest.c",
    "compiler/diag.c",
    "compiler/diag_render.c",
    "compiler/dump.c",
    "compiler/emit.c",
    "compiler/explain.c",
    "compiler/fleet.c",
    "compiler/fleet_cmd.c",
    "compiler/fleet_graph.c",
    "compiler/fleet_graph_html.c",
    "compiler/fleet_out.c",
    "compiler/fleet_sim.c",
    "compiler/fleet_topo.c",
    "compiler/lex.c",
    "compiler/model.c",
    "compiler/parse.c",
    "compiler/pattern.c",
    "compiler/resolve.c",
    "compiler/schema.c",
    "compiler/source.c",
    "compiler/suggest.c",
    "compiler/types.c",
    "compiler/validate.c",
    "compiler/verify_cmd.c",
]
RUNTIME_LIB = ["runtime/admit.c", "runtime/match.c", "runtime/policy.c"]
# streamd only (linked into streamd, unit tests and fuzzers, not into streamc); main is separate
STREAMD_LIB = [
    "runtime/child_cfg.c",
    "runtime/collect_proc.c",
    "runtime/collectors.c",
    "runtime/gorilla.c",
    "runtime/gorilla_num.c",
    "runtime/gorilla_group.c",
    "runtime/http_api.c",
    "runtime/http_api_data.c",
    "runtime/http_api_prom.c",
    "runtime/http_api_streamd.c",
    "runtime/http_req.c",
    "runtime/http_resp.c",
    "runtime/ingest.c",
    "runtime/ingest_repl.c",
    "runtime/log.c",
    "runtime/net.c",
    "runtime/net_conn.c",
    "runtime/net_listen.c",
    "runtime/plugins.c",
    "runtime/plugins_spawn.c",
    "runtime/receiver.c",
    "runtime/rrd.c",
    "runtime/rrd_collect.c",
    "runtime/rrd_labels.c",
    "runtime/rrd_meta.c",
    "runtime/sbuf.c",
    "runtime/sender.c",
    "runtime/sender_conn.c",
    "runtime/sender_dest.c",
    "runtime/sender_fmt.c",
    "runtime/sender_repl.c",
    "runtime/sender_stream.c",
    "runtime/sticky.c",
    "runtime/storage.c",
    "runtime/storage_dbengine.c",
    "runtime/storage_dbengine_file.c",
    "runtime/storage_dbengine_pages.c",
    "runtime/storage_dbengine_scan.c",
    "runtime/storage_dbengine_shared.c",
    "runtime/storage_map.c",
    "runtime/storage_ram.c",
    "runtime/storage_ring.c",
    "runtime/storage_save.c",
    "runtime/stream_caps.c",
    "runtime/stream_lz4.c",
    "runtime/tls.c",
    "runtime/wire.c",
]
STREAMD_MAIN = "runtime/streamd.c"
GENERATED = ["$gen/conf_lex.c", "$gen/conf_parse.c", "$gen/schema_tables.c"]
GEN_HEADERS = ["$gen/conf_parse.h", "$gen/schema_tables.h"]
UNIT_TESTS = [
    "test_admit",
    "test_arena",
    "test_collect_proc",
    "test_dest",
    "test_diag",
    "test_diag_render",
    "test_fleet_graph",
    "test_gorilla",
    "test_gorilla_group",
    "test_guid",
    "test_http_api",
    "test_http_api_data",
    "test_http_req",
    "test_ingest",
    "test_ingest_repl",
    "test_lex",
    "test_model",
    "test_pattern",
    "test_plugins",
    "test_policy",
    "test_policy_flip",
    "test_rrd",
    "test_rrd_collect",
    "test_sbuf",
    "test_schema",
    "test_sender_dest",
    "test_sender_fmt",
    "test_sender_repl",
    "test_source",
    "test_storage",
    "test_storage_dbengine",
    "test_storage_dbengine_crash",
    "test_storage_dbengine_group",
    "test_storage_engines",
    "test_storage_map",
    "test_storage_save",
    "test_stream_caps",
    "test_stream_lz4",
    "test_stream_lz4_frames",
    "test_suggest",
    "test_types",
    "test_wire",
]
# Lemon's template (lempar.c) defines optional entry points without prototypes and has unused
# locals; these warnings are about code we do not write, so they are off for generated files only.
LEMPAR_RELAX = " -Wno-missing-prototypes -Wno-unused-parameter -Wno-unused-variable"
FUZZ = ["fuzz_blob", "fuzz_conf", "fuzz_dest", "fuzz_fleet", "fuzz_gorilla", "fuzz_http", "fuzz_lz4", "fuzz_pattern", "fuzz_sender", "fuzz_wire"]
# linked into unit tests, fuzzers and benches only: the reference matcher (Netdata's algorithm)
SUPPORT = ["tests/support/policy_build.c", "tests/support/ref_pattern.c", "tests/support/rrd_testutil.c", "tests/support/storage_testutil.c", "tests/support/testutil.c"]
BENCH = ["bench_check", "bench_lz4", "bench_match", "bench_policy", "bench_storage"]
# the modules a bench links beyond its bench/NAME.c
BENCH_MODULES = {"bench_storage": ["bench/dataset.c"]}
# bench helpers that are not benches themselves (run.py runs only bench_*): the synthetic
# children of bench/bench_streamd.py and the plugin of bench/bench_sender.py, standalone (libc
# + pthreads, no project library)
BENCH_TOOLS = ["loadgen", "loadplugin"]
# the modules a bench tool links beyond its bench/NAME.c; growbuf.c serves both tools
BENCH_TOOL_MODULES = {
    "loadgen": ["bench/growbuf.c", "bench/loadgen_proto.c", "bench/loadgen_startup.c"],
    "loadplugin": ["bench/growbuf.c"],
}


class Writer:
    """A tiny ninja syntax writer (variables, rules, builds, defaults)."""

    def __init__(self, out):
        self.out = out

    def line(self, text=""):
        self.out.write(text + "\n")

    def variable(self, key, value, indent=0):
        self.line("  " * indent + f"{key} = {value}")

    def rule(self, name, command, **kw):
        self.line(f"rule {name}")
        self.variable("command", command, 1)
        for k, v in kw.items():
            self.variable(k, v, 1)

    def build(self, outs, rule, ins=(), implicit=(), order_only=(), variables=None):
        outs = " ".join(outs) if isinstance(outs, (list, tuple)) else outs
        ins = " ".join(ins) if isinstance(ins, (list, tuple)) else ins
        text = f"build {outs}: {rule} {ins}".rstrip()
        if implicit:
            text += " | " + " ".join(implicit)
        if order_only:
            text += " || " + " ".join(order_only)
        self.line(text)
        for k, v in (variables or {}).items():
            self.variable(k, v, 1)

    def default(self, targets):
        self.line("default " + " ".join(targets))


def have_cmd(name):
    return shutil.which(name) is not None


def have_pkg(name):
    return subprocess.call(["pkg-config", "--exists", name],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0 \
        if have_cmd("pkg-config") else False


def probe():
    """Return the list of missing Debian packages."""
    missing = []
    for cmd in ("re2c", "lemon", "ninja", "clang", "pkg-config"):
        if not have_cmd(cmd):
            missing.append(PACKAGES[cmd])
    if not have_cmd("openssl"):
        missing.append(PACKAGES["openssl-cli"])
    if not os.path.exists("/usr/share/lemon/lempar.c") and "lemon" not in missing:
        missing.append("lemon")
    for pc in ("openssl", "libxxhash", "liblz4", "cmocka"):
        if not have_pkg(pc):
            missing.append(PACKAGES[pc])
    rt = subprocess.run(["sh", "-c", "ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rt.returncode != 0:
        missing.append(PACKAGES["clang-rt"])
    return sorted(set(missing))


def install(pkgs):
    print("configure: installing " + " ".join(pkgs), file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.call(sudo + ["apt-get", "install", "-y", "-q"] + pkgs, env=env) != 0:
        subprocess.check_call(sudo + ["apt-get", "update", "-q"], env=env)
        subprocess.check_call(sudo + ["apt-get", "install", "-y", "-q"] + pkgs, env=env)


def obj(variant, src):
    base = src.replace("$gen/", "gen/")
    return f"$builddir/{variant}/obj/{os.path.splitext(base)[0]}.o"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deps", action="store_true", help="apt-get install missing packages")
    ap.add_argument("--debug", action="store_true", help="-O0 for the default variant")
    ap.add_argument("--sanitize", action="store_true", help="build the ASan+UBSan variant by default")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"), help="C compiler (default: cc)")
    args = ap.parse_args()

    missing = probe()
    if missing and args.deps:
        install(missing)
        missing = probe()
    if args.deps and not os.path.exists("/usr/sbin/netdata"):
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.check_call(["bash", os.path.join(here, "tests", "interop", "netdata.sh"),
                               "install"])
    if missing:
        # clang and its runtime are needed only for fuzz and asan; say so but keep going.
        hard = [p for p in missing if p not in ("clang", "libclang-rt-14-dev", "openssl")]
        print("configure: missing packages: " + " ".join(missing) +
              " (run ./configure.py --deps)", file=sys.stderr)
        if hard:
            sys.exit(1)

    configure_args = " ".join(a for a in sys.argv[1:] if a != "--deps")
    warn = "-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"
    inc = "-Icommon -Icompiler -Iruntime -Itests/support -I$gen"
    opt = "-O0" if args.debug else "-O2"
    with open("build.ninja", "w") as f:
        n = Writer(f)
        n.line("# generated by configure.py; do not edit (it regenerates itself)")
        n.variable("ninja_required_version", "1.10")
        n.variable("builddir", "build")
        n.variable("gen", "$builddir/gen")
        n.variable("cc", args.cc)
        n.variable("configure_args", configure_args)
        n.variable("obj_cflags", f"-std=c11 -D_GNU_SOURCE -g {opt} {warn} {inc}")
        n.variable("asan_cflags", f"-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer "
                   f"-fsanitize=address,undefined -fno-sanitize-recover=undefined {warn} {inc}")
        n.variable("fuzz_cflags", f"-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer "
                   f"-fsanitize=fuzzer-no-link,address,undefined {warn} {inc}")
        n.variable("bench_cflags", f"-std=c11 -D_GNU_SOURCE -O2 -DNDEBUG {warn} {inc}")
        n.variable("libs", "-lxxhash -lcrypto -lpthread")
        n.variable("dlibs", "-lssl -lcrypto -llz4 -lpthread -lm")
        n.line()
        n.rule("cc", "$cc -MMD -MF $out.d $cflags -c $in -o $out", depfile="$out.d", deps="gcc",
               description="CC $out")
        n.rule("link", "$cc $ldflags -o $out $in $libs", description="LINK $out")
        n.rule("ar", "rm -f $out && ar crs $out $in", description="AR $out")
        n.rule("re2c", "re2c -W -Werror --no-generation-date -o $out $in", description="RE2C $out")
        n.rule("lemon", "mkdir -p $gen && lemon -q -d$gen -T/usr/share/lemon/lempar.c $in",
               description="LEMON $out")
        n.rule("schemagen", "python3 schemas/schemagen.py $gen $in", description="SCHEMAGEN $out")
        n.rule("tests", "$env python3 tests/run.py --variant $variant", pool="console")
        n.rule("fuzzrun", "python3 tests/fuzz/run.py $in", pool="console")
        n.rule("benchrun", "python3 bench/run.py", pool="console")
        n.rule("demo", "python3 tests/demo.py", pool="console")
        n.rule("configure", "python3 configure.py $configure_args", generator="1")
        n.line()

        n.build("$gen/conf_lex.c", "re2c", "grammar/conf_lex.re")
        n.build(["$gen/conf_parse.c", "$gen/conf_parse.h"], "lemon", "grammar/conf_parse.y")
        n.build(["$gen/schema_tables.c", "$gen/schema_tables.h", "$gen/keys.md"], "schemagen",
                ["schemas/stream.schema", "schemas/netdata.schema"],
                implicit=["schemas/schemagen.py"])
        n.line()

        variants = {"normal": ("", "$obj_cflags", ""),
                    "asan": ("asan/", "$asan_cflags", "-fsanitize=address,undefined"),
                    "bench": ("bench/", "$bench_cflags", "")}
        for vname, (prefix, cflags, ldflags) in variants.items():
            v = prefix.rstrip("/") or "normal"
            objs = []
            for src in COMMON + COMPILER_LIB + RUNTIME_LIB + GENERATED:
                o = obj(v, src)
                n.build(o, "cc", src, order_only=GEN_HEADERS,
                        variables={"cflags": cflags + (LEMPAR_RELAX if src in GENERATED else "")})
                objs.append(o)
            lib = f"$builddir/{v}/libstreamc.a"
            n.build(lib, "ar", objs)
            dobjs = []
            for src in STREAMD_LIB:
                o = obj(v, src)
                n.build(o, "cc", src, order_only=GEN_HEADERS, variables={"cflags": cflags})
                dobjs.append(o)
            dlib = f"$builddir/{v}/libstreamd.a"
            n.build(dlib, "ar", dobjs)
            dexe = "streamd" if v == "normal" else f"$builddir/{v}/streamd"
            if os.path.exists(STREAMD_MAIN):
                dmain = obj(v, STREAMD_MAIN)
                n.build(dmain, "cc", STREAMD_MAIN, order_only=GEN_HEADERS, variables={"cflags": cflags})
                n.build(dexe, "link", [dmain, dlib, lib], variables={"ldflags": ldflags,
                                                                   "libs": "$libs $dlibs"})
            main_o = obj(v, "compiler/main.c")
            n.build(main_o, "cc", "compiler/main.c", order_only=GEN_HEADERS, variables={"cflags": cflags})
            exe = "streamc" if v == "normal" else f"$builddir/{v}/streamc"
            n.build(exe, "link", [main_o, lib], variables={"ldflags": ldflags})
            support = []
            for src in SUPPORT:
                so = obj(v, src)
                n.build(so, "cc", src, order_only=GEN_HEADERS, variables={"cflags": cflags})
                support.append(so)
            if v == "bench":
                for src in sorted({m for mods in BENCH_MODULES.values() for m in mods}):
                    n.build(obj(v, src), "cc", src, order_only=GEN_HEADERS, variables={"cflags": cflags})
                for b in BENCH:
                    bo = obj(v, f"bench/{b}.c")
                    n.build(bo, "cc", f"bench/{b}.c", order_only=GEN_HEADERS, variables={"cflags": cflags})
                    mods = [obj(v, m) for m in BENCH_MODULES.get(b, [])]
                    n.build(f"$builddir/bench/{b}", "link", [bo] + mods + support + [dlib, lib],
                            variables={"libs": "$libs $dlibs"})
                for src in sorted({m for mods in BENCH_TOOL_MODULES.values() for m in mods}):
                    n.build(obj(v, src), "cc", src, variables={"cflags": cflags})
                for b in BENCH_TOOLS:
                    bo = obj(v, f"bench/{b}.c")
                    n.build(bo, "cc", f"bench/{b}.c", variables={"cflags": cflags})
                    mods = [obj(v, m) for m in BENCH_TOOL_MODULES.get(b, [])]
                    n.build(f"$builddir/bench/{b}", "link", [bo] + mods, variables={"libs": "-lpthread"})
                continue
            tests = []
            for t in UNIT_TESTS:
                to = obj(v, f"tests/unit/{t}.c")
                n.build(to, "cc", f"tests/unit/{t}.c", order_only=GEN_HEADERS, variables={"cflags": cflags})
                te = f"$builddir/{v}/test/{t}"
                n.build(te, "link", [to] + support + [dlib, lib], variables={"ldflags": ldflags,
                                                         "libs": "$libs $dlibs -lcmocka"})
                tests.append(te)
            run = "run_test" if v == "normal" else "run_asan"
            env = "" if v == "normal" else \
                "ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
            n.build(run, "tests", implicit=tests + [exe] + ([dexe] if os.path.exists(STREAMD_MAIN) else []), variables={"variant": v, "env": env})
        n.line()

        fuzzers = []
        for fz in FUZZ:
            fo = obj("fuzz", f"tests/fuzz/{fz}.c")
            n.build(fo, "cc", f"tests/fuzz/{fz}.c", order_only=GEN_HEADERS,
                    variables={"cflags": "$fuzz_cflags", "cc": "clang"})
            fobjs = []
            for src in COMMON + COMPILER_LIB + RUNTIME_LIB + STREAMD_LIB + GENERATED + SUPPORT:
                o = obj("fuzz", src)
                fobjs.append(o)
            n.build(f"$builddir/fuzz/{fz}", "link", [fo] + fobjs,
                    variables={"cc": "clang", "ldflags": "-fsanitize=fuzzer,address,undefined",
                               "libs": "$libs $dlibs"})
            fuzzers.append(f"$builddir/fuzz/{fz}")
        for src in COMMON + COMPILER_LIB + RUNTIME_LIB + STREAMD_LIB + GENERATED + SUPPORT:
            n.build(obj("fuzz", src), "cc", src, order_only=GEN_HEADERS,
                    variables={"cflags": "$fuzz_cflags" + (LEMPAR_RELAX if src in GENERATED else ""),
                               "cc": "clang"})
        n.build("run_fuzz", "fuzzrun", fuzzers)
        n.build("run_bench", "benchrun", implicit=[f"$builddir/bench/{b}" for b in BENCH] +
                ["$builddir/bench/streamc"] + [f"$builddir/bench/{b}" for b in BENCH_TOOLS] +
                (["$builddir/bench/streamd"] if os.path.exists(STREAMD_MAIN) else []))
        n.build("run_demo", "demo", implicit=["streamc", "streamd"])
        n.line()
        n.rule("copy", "cp $in $out", description="COPY $out")
        n.build("docs/keys.md", "copy", "$gen/keys.md")
        n.build("docs", "phony", "docs/keys.md")
        n.build("test", "phony", "run_test")
        n.build("asan", "phony", "run_asan")
        n.build("fuzz", "phony", "run_fuzz")
        n.build("bench", "phony", "run_bench")
        n.build("demo", "phony", "run_demo")
        n.build("build.ninja", "configure", implicit=["configure.py"])
        defaults = ["streamc"] + (["streamd"] if os.path.exists(STREAMD_MAIN) else []) + (["$builddir/asan/streamc"] if args.sanitize else [])
        n.default(defaults)
    print("configure: wrote build.ninja" + (" (missing: " + " ".join(missing) + ")" if missing else ""))


if __name__ == "__main__":
    main()
