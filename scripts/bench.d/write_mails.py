"""Writes the backlog's mail mix (mailgen.py) to DIR, one file a mail, for
examples/bench_ingest (profiling without IMAP; docs/benchmarks.md). BIG: how many of the new
tickets carry a 10 MiB attachment (the memory benchmark's mix: 5). Not part of the product.

    python3 scripts/bench.d/write_mails.py DIR N [BIG]
"""
import os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailgen  # noqa: E402

out = sys.argv[1]; n = int(sys.argv[2]); big = int(sys.argv[3]) if len(sys.argv) > 3 else 0
mails, counts = mailgen.generate(n, 1000, "support@gateway.test", "staff@gateway.test", big=big)
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
for i, raw in enumerate(mails):
    with open(os.path.join(out, f"{i:06d}.eml"), "wb") as f:
        f.write(raw)
print(counts, sum(len(m) for m in mails), "bytes")
