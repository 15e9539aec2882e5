#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Collect what make bench measured: CSV, the target table and a chart.

usage: bench.py OUTDIR RESULTS_DIR...

Each RESULTS_DIR holds the bench.txt of one bench VM: the kernel's
/sys/kernel/debug/phyr/bench output (a table and "csv," lines) followed by
pin_bench's output. This writes

  OUTDIR/bench.csv          every csv line of every VM, with a header
  OUTDIR/bench-scaling.svg  time per page and bytes per page against the
                            number of pages, phyr beside the scatterlist,
                            dma-direct and IOMMU (drawn with gnuplot)

and prints the table of targets: each row a ratio phyr/sg (or phyr/plain
write) measured in this run, the figure the same benchmark gave before
phyr's passthrough decision, IOVA mapping and pinning changed (recorded
below, from an earlier run of the same inputs), and whether the target is
met. Timings under TCG are noisy: the kernel reports the median of several
runs with their minimum and maximum, and only ratios are claimed.

Exit status: 0 with every file written, 1 when a VM's output is missing or
unreadable, 2 for bad usage.
"""
import csv
import os
import shutil
import subprocess
import sys

FIELDS = ["device", "input", "pages", "path", "step", "median_ns", "min_ns",
          "max_ns", "bytes", "entries"]

# What this benchmark printed before (same inputs), as ratios phyr/sg.
BEFORE = {
    "direct-map": "1.08x (build + map)",
    "iommu-map": "1.43x time, 1.5x bytes",
    "storage": "16 B/page",
    "hugetlb": "4.5x faster",
    "thp": "4.5x faster",
    "build": "not measured",
    "iter": "not measured",
}


def load(dirs):
    rows, pins = [], {}
    for d in dirs:
        path = os.path.join(d, "bench.txt")
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError as e:
            print(f"bench.py: {path}: {e.strerror}", file=sys.stderr)
            return None, None
        kind = None
        for line in lines:
            if line.startswith("csv,"):
                r = dict(zip(FIELDS, line.split(",")[1:]))
                if len(r) != len(FIELDS):
                    continue
                for k in ("pages", "median_ns", "min_ns", "max_ns", "bytes",
                          "entries"):
                    r[k] = int(r[k])
                kind = r["device"]
                rows.append(r)
            else:
                # pin_bench's kernel table: label bytes pages ... time_ratio
                w = line.split()
                if len(w) == 14 and w[0] in ("4k-fragmented", "thp-2m",
                                             "hugetlb-1g", "hugetlb-2m"):
                    pins.setdefault(w[0], float(w[13]))
        if kind is None:
            print(f"bench.py: {path}: no csv lines (did the benchmark run?)",
                  file=sys.stderr)
            return None, None
    return rows, pins


def get(rows, device, pages, path, step, inp=None):
    for r in rows:
        if (r["device"] == device and r["pages"] == pages and
                r["path"] == path and r["step"] == step and
                (inp is None or r["input"] == inp)):
            return r
    return None


def ratio(a, b):
    return a / b if b else float("inf")


def fmt_x(x):
    return f"{x:.3g}x"


def targets(rows, pins):
    """(case, before, now, target, met) for each row of the target table."""
    out = []
    n = 1 << 18
    frag = f"2^18 x 4 KiB fragments"

    p = get(rows, "direct", n, "phyr", "map", frag)
    s = get(rows, "direct", n, "sg", "map", frag)
    if p and s:
        speed = ratio(s["median_ns"], p["median_ns"])
        out.append(("dma-direct map of a built 2^18 list (passthrough)",
                    BEFORE["direct-map"],
                    f"map alone {speed:.0f}x faster "
                    f"(phyr {p['median_ns']} ns, sg {s['median_ns']} ns)",
                    ">= 100x faster", speed >= 100))
    pm = get(rows, "iommu", n, "phyr", "map", frag)
    pu = get(rows, "iommu", n, "phyr", "unmap", frag)
    sm = get(rows, "iommu", n, "sg", "map", frag)
    su = get(rows, "iommu", n, "sg", "unmap", frag)
    if pm and pu and sm and su:
        t = ratio(pm["median_ns"] + pu["median_ns"],
                  sm["median_ns"] + su["median_ns"])
        out.append(("IOMMU map + unmap, 2^18 fragments",
                    BEFORE["iommu-map"],
                    f"{fmt_x(t)} time, {fmt_x(ratio(pm['bytes'], sm['bytes']))}"
                    f" bytes (list + table), {pm['entries']} IOVA range(s)",
                    "<= 1.0x time", t <= 1.0))
    b = get(rows, "direct", n, "phyr", "build", frag)
    if b:
        # the bytes are whole chunks: 8 B entries plus a 24 B header per
        # 509 of them (0.6%) and the unused end of the last chunk
        bpp = b["bytes"] / n
        out.append(("fragmented list storage", BEFORE["storage"],
                    f"{bpp:.2f} B/page (chunks, headers included)",
                    "<= 8 B/page in the entries (+1% chunk headers)",
                    bpp <= 8 * 1.01))
    w = get(rows, "direct", n, "write", "build", frag)
    if b and w:
        r = ratio(b["median_ns"], w["median_ns"])
        out.append(("list build vs. plain write of the entries",
                    BEFORE["build"], fmt_x(r), "<= 3x", r <= 3))
    i = get(rows, "direct", n, "phyr", "iter", frag)
    wi = get(rows, "direct", n, "write", "iter", frag)
    if i and wi:
        r = ratio(i["median_ns"], wi["median_ns"])
        out.append(("list walk vs. walk of a 16 B array",
                    BEFORE["iter"], fmt_x(r), "<= 1.2x", r <= 1.2))
    for label, name, goal in (("hugetlb-1g", "pin 1 GiB hugetlb page", 20),
                              ("thp-2m", "pin 256 MiB THP", 4)):
        if label in pins and pins[label] > 0:
            speed = 1 / pins[label]
            key = "hugetlb" if label.startswith("hugetlb") else "thp"
            out.append((name, BEFORE[key], f"{speed:.1f}x faster",
                        f">= {goal}x faster", speed >= goal))
    return out


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)


def chart(rows, outdir):
    """Draw time and bytes per page against pages; None without gnuplot."""
    gp = shutil.which("gnuplot")
    if not gp:
        return None
    series = []
    for device in ("direct", "iommu"):
        for path in ("phyr", "sg"):
            pts = {}
            for r in rows:
                if (r["device"] == device and r["path"] == path and
                        r["input"].endswith("fragments")):
                    e = pts.setdefault(r["pages"], {})
                    e[r["step"]] = r
            if pts:
                series.append((device, path, pts))
    if not series:
        return None
    data = os.path.join(outdir, "bench-scaling.dat")
    with open(data, "w") as f:
        for device, path, pts in series:
            f.write(f"# {device} {path}\n")
            for n in sorted(pts):
                e = pts[n]
                mu = (e["map"]["median_ns"] + e["unmap"]["median_ns"]
                      if "map" in e and "unmap" in e else 0)
                build = e["build"]["median_ns"] if "build" in e else 0
                byts = e["map"]["bytes"] if "map" in e else 0
                f.write(f"{n} {mu / n:.3f} {build / n:.3f} {byts / n:.3f}\n")
            f.write("\n\n")
    svg = os.path.join(outdir, "bench-scaling.svg")
    plots_t, plots_b = [], []
    for i, (device, path, _) in enumerate(series):
        dash = 1 if path == "phyr" else 2
        title = f"{path}, {'dma-direct' if device == 'direct' else 'IOMMU'}"
        plots_t.append(f"'{data}' index {i} using 1:2 with linespoints "
                       f"dt {dash} title '{title}, map + unmap'")
        plots_b.append(f"'{data}' index {i} using 1:4 with linespoints "
                       f"dt {dash} title '{title}'")
    script = f"""
set terminal svg size 900,420 font 'sans,11'
set output '{svg}'
set multiplot layout 1,2 title 'phyr vs. scatterlist: 4 KiB fragments (median of the runs, TCG guest)'
set logscale x 2
set format x '2^{{%L}}'
set xlabel 'pages'
set key top left font 'sans,9'
set ylabel 'ns per page'
set logscale y 10
plot {', '.join(plots_t)}
set ylabel 'bytes kept per page while mapped'
unset logscale y
set yrange [0:*]
plot {', '.join(plots_b)}
unset multiplot
"""
    subprocess.run([gp], input=script, text=True, check=True)
    # gnuplot ends some lines with a space; the chart goes into the
    # kernel's Documentation, where trailing whitespace is an error
    with open(svg) as f:
        text = "".join(line.rstrip() + "\n" for line in f)
    with open(svg, "w") as f:
        f.write(text)
    return svg


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    outdir, dirs = argv[1], argv[2:]
    rows, pins = load(dirs)
    if rows is None:
        return 1
    os.makedirs(outdir, exist_ok=True)
    write_csv(rows, os.path.join(outdir, "bench.csv"))
    svg = chart(rows, outdir)

    t = targets(rows, pins)
    w = [max(len(r[i]) for r in t + [("case", "before", "now", "target")])
         for i in range(4)]
    print()
    print("=== targets: phyr against the scatterlist path, this run ===")
    print(f"{'case':<{w[0]}}  {'before':<{w[1]}}  {'now':<{w[2]}}  "
          f"{'target':<{w[3]}}  met")
    for case, before, now, target, met in t:
        print(f"{case:<{w[0]}}  {before:<{w[1]}}  {now:<{w[2]}}  "
              f"{target:<{w[3]}}  {'yes' if met else 'NO'}")
    print(f"CSV: {os.path.join(outdir, 'bench.csv')}")
    print(f"chart: {svg}" if svg else "chart: gnuplot not found, not drawn")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
