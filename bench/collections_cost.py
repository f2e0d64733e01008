#!/usr/bin/env python3
"""What a dbengine that stores collections instead of interpolated slots would need on disk:
an estimate, computed exactly for one coding scheme, from a child's recorded command stream.
Standard library only. Not a test; prints figures, never fails on them.

Usage: bench/collections_cost.py WIRE [STORED.bin]
  WIRE        a child's stream as bench/record_netdata.py --wire FILE records it (the STREAM
              request, then CHART / DIMENSION / BEGIN / SET / END ... lines, uncompressed)
  STORED.bin  the same stream's slots as streamd stored them (record_netdata.py writes
              OUT.streamd.bin next to OUT): then `build/bench/bench_storage --pages` is run on it
              and its payload figure is printed next to ours (the baseline, same data)

Why (docs/performance.md, issue 7): the per-second rates streamd stores are interpolations
C_i f_i + C_(i-1) (1 - f_(i-1)) of integer counter deltas C at the slot's position f between two
collections; the scheduling jitter in f fills each float's low mantissa bits, and a per-
dimension codec pays it again in every rate dimension. A page of collections keeps what the
child sent: one BEGIN interval (us) per chart and collection, and each dimension's collected
integer; the slots are what 1.37.1's interpolation makes of them on read. This script codes
that with the page codec's own tools and prices it:

  per chart, pages of up to 1,024 collections: the intervals as zigzag(us - previous us) or
    zigzag(us - update_every * 1e6), whichever is cheaper;
  per dimension and page: the collected values as zigzag first or second differences (the
    first value as a varint), whichever is cheaper, or nothing but the first value when the
    page is constant; a collection without a SET costs one bit (a presence bitmap page);
  each stream coded with the INT mode's prefix code ('0' zero, '10'+A, '110'+B, '1110'+C,
    '1111'+64 bits), its widths A < B < C chosen per page (the cheapest, as gorilla_num.c does),
    plus 3 bytes for the widths and 7 bytes of page header (mode, first time, step, count).
Payload only (the data file's 20-byte page record header is left out of both figures, as
`bench_storage --pages` leaves it out). Samples = the collections each dimension got, which is
the slots it has at update every = 1.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = 1024
PAGE_HEADER = 7
WIDTHS = 3


def words(line):
    """A command line's words: space separated, '...' or "..." quoted (no escapes, as 1.37.1)."""
    out, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        q = line[i]
        if q in "\"'":
            j = line.find(q, i + 1)
            j = n if j < 0 else j
            out.append(line[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and line[j] not in " \t":
                j += 1
            out.append(line[i:j])
            i = j
    return out


def zigzag(v):
    return (v << 1) if v >= 0 else ((-v) << 1) - 1


def prefix_code_bits(values):
    """Bits of VALUES (non-negative) in the 4-class prefix code with the cheapest A < B < C."""
    hist = [0] * 66
    for v in values:
        hist[v.bit_length()] += 1
    upto = [0] * 66                         # upto[k]: values of 1..k bits
    for k in range(1, 66):
        upto[k] = upto[k - 1] + hist[k]
    total = upto[65]
    if not total:
        return hist[0]
    best = None
    for a in range(1, 31):
        for b in range(a + 1, 32):
            for c in range(b + 1, 33):
                bits = (upto[a] * (2 + a) + (upto[b] - upto[a]) * (3 + b)
                        + (upto[c] - upto[b]) * (4 + c) + (total - upto[c]) * 68)
                if best is None or bits < best:
                    best = bits
    return hist[0] + best


def varint_bytes(v):
    n = 1
    while v >= 128:
        v >>= 7
        n += 1
    return n


def stream_bytes(seq):
    """Bytes of one page of integers: constant, first or second differences, the cheapest."""
    first = varint_bytes(zigzag(seq[0]))
    d1 = [seq[i] - seq[i - 1] for i in range(1, len(seq))]
    if not any(d1):
        return PAGE_HEADER + first
    d2 = [d1[0]] + [d1[i] - d1[i - 1] for i in range(1, len(d1))]
    bits = min(prefix_code_bits([zigzag(x) for x in d1]), prefix_code_bits([zigzag(x) for x in d2]))
    return PAGE_HEADER + first + WIDTHS + (bits + 7) // 8


def parse(path):
    """{chart: {"intervals": [us...], "dims": {dim: [value or None per collection]}}}."""
    charts, cur, sets = {}, None, {}
    with open(path, "rb") as f:
        data = f.read()
    head = data.find(b"\r\n\r\n")
    text = data[head + 4 if head >= 0 else 0:].decode("utf-8", "replace")
    for line in text.split("\n"):
        w = words(line)
        if not w:
            continue
        kw = w[0]
        if kw == "CHART" and len(w) > 1:
            cur = charts.setdefault(w[1], {"intervals": [], "dims": {}, "order": []})
        elif kw == "DIMENSION" and cur is not None and len(w) > 1:
            if w[1] not in cur["dims"]:
                cur["dims"][w[1]] = [None] * len(cur["intervals"])
                cur["order"].append(w[1])
        elif kw == "BEGIN" and len(w) > 1:
            cur = charts.get(w[1])
            sets = {}
            if cur is not None:
                us = int(w[2]) if len(w) > 2 and w[2].lstrip("-").isdigit() else 0
                cur["pending"] = us
        elif kw == "SET" and cur is not None and len(w) >= 4 and w[2] == "=":
            try:
                sets[w[1]] = int(w[3])
            except ValueError:
                pass
        elif kw == "END" and cur is not None and "pending" in cur:
            cur["intervals"].append(cur.pop("pending"))
            for d, col in cur["dims"].items():
                col.append(sets.get(d))
    return charts


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    charts = parse(sys.argv[1])
    timing = values = presence = samples = dims = 0
    for c in charts.values():
        iv = c["intervals"]
        if not iv:
            continue
        for p in range(0, len(iv), PAGE):
            page = iv[p:p + PAGE]
            nominal = [x - 1000000 for x in page]
            d1 = [page[0]] + [page[i] - page[i - 1] for i in range(1, len(page))]
            timing += PAGE_HEADER + WIDTHS + (min(prefix_code_bits([zigzag(x) for x in nominal]),
                                                  prefix_code_bits([zigzag(x) for x in d1])) + 7) // 8
        for col in c["dims"].values():
            have = [v for v in col if v is not None]
            if not have:
                continue
            dims += 1
            samples += len(have)
            for p in range(0, len(col), PAGE):
                page = col[p:p + PAGE]
                seq = [v for v in page if v is not None]
                if len(seq) < len(page):
                    presence += (len(page) + 7) // 8
                if seq:
                    values += stream_bytes(seq)
    total = timing + values + presence
    print(f"collections_cost: {len(charts)} charts, {dims} dimensions, {samples} samples")
    print(f"collections_cost: timing {timing} B, values {values} B, presence {presence} B: "
          f"{total} B = {total / max(samples, 1):.4f} B/sample "
          f"(timing alone {timing / max(samples, 1):.4f})")
    print(f"RESULT bench=collections_cost samples={samples} bytes={total} timing={timing}")
    if len(sys.argv) > 2:
        exe = os.path.join(ROOT, "build", "bench", "bench_storage")
        r = subprocess.run([exe, "--pages", sys.argv[2], "0"], capture_output=True, text=True)
        line = next((x for x in r.stdout.splitlines() if "page payloads" in x), r.stderr.strip())
        print(f"baseline (streamd's page codec on the slots it stored from the same stream): "
              f"{line}")


if __name__ == "__main__":
    main()
