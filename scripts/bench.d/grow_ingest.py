"""Grows a store through examples/bench_ingest, without IMAP or SMTP: ROUNDS rounds of N mails
of the backlog's mix (mailgen.py), each round's outgoing mail marked sent (TG_BENCH_SENT=1).
Prints one JSON line a round: the tickets so far, the load average before it, the store's bytes
on disk against the mail it was fed, and bench_ingest's line (seconds, peak RSS). A second run
on the same WORK continues where the first stopped (FIRST_ROUND: the round to start at).

    cargo build --release --example bench_ingest
    python3 scripts/bench.d/grow_ingest.py WORK ROUNDS N target/release/examples/bench_ingest [FIRST_ROUND]

WORK gets gateway.toml (IMAP and SMTP are never used), the store, and state.json. For
docs/benchmarks.md; not part of the product."""
import json, os, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailgen  # noqa: E402

work = sys.argv[1]; rounds = int(sys.argv[2]); n = int(sys.argv[3]); binary = sys.argv[4]
start_round = int(sys.argv[5]) if len(sys.argv) > 5 else 0
os.makedirs(work, exist_ok=True)
store = os.path.join(work, "store")
cfg = os.path.join(work, "gateway.toml")
templates = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "templates"))
open(cfg, "w").write(f"""
[gateway]
address = "support@gateway.test"
name = "Bench Support"
tag_prefix = "SUP"
store = "{store}"
templates = "{templates}"
max_message_size = "25MiB"
max_replies_per_hour = 1000000
[imap]
host = "127.0.0.1"
port = 1
tls = "none"
username = "x"
password_env = "TG_BENCH_PASSWORD"
mailbox = "INBOX"
processed_mailbox = "Processed"
quarantine_mailbox = "Quarantine"
[smtp]
host = "127.0.0.1"
port = 1
tls = "none"
username = ""
[staff]
addresses = ["staff@gateway.test"]
notify = ["staff@gateway.test"]
""")
def du(p):
    t = 0
    for r, _, fs in os.walk(p):
        for f in fs:
            try: t += os.lstat(os.path.join(r, f)).st_size
            except OSError: pass
    return t
first = 1
kept = 0
statef = os.path.join(work, "state.json")
if os.path.exists(statef):
    first, kept = json.load(open(statef))
env = dict(os.environ, TG_BENCH_PASSWORD="x", TG_BENCH_SENT="1")
for k in range(start_round, start_round + rounds):
    mails, counts = mailgen.generate(n, 1000 + k, "support@gateway.test", "staff@gateway.test", first_ticket=first)
    d = os.path.join(work, "mails")
    shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    for i, raw in enumerate(mails):
        open(os.path.join(d, f"{i:06d}.eml"), "wb").write(raw)
    kept += sum(len(m) for m in mails)
    first += counts["new"]
    load = os.getloadavg()[0]
    out = subprocess.run([binary, cfg, d], env=env, capture_output=True, text=True)
    if out.returncode: print(out.stderr); sys.exit(1)
    print(json.dumps({"round": k, "tickets_after": first - 1, "load": load, "store_mb": du(store)/1e6,
                      "mail_mb": kept/1e6, "ratio": du(store)/kept, "r": json.loads(out.stdout)}), flush=True)
    json.dump([first, kept], open(statef, "w"))
