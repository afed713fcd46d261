#!/usr/bin/env python3
"""The benchmarks of SPEC §6, each against its reference in the same run (scripts/bench).

Runs against an already started scripts/mailsys instance (TG_MAIL_* variables) with the
ticket-gateway binary and the bench_outbox example given on the command line. Prints a results
table and writes the figures as JSON (--json FILE). Python 3 standard library only.

  bench.py --bin target/release/ticket-gateway --outbox-bin target/release/examples/bench_outbox \
           --work /tmp/tg-bench-work [--smoke] [--only backlog,latency,outbound,memory]
"""
import argparse
import json
import os
import re
import signal
import smtplib
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from datetime import datetime
from email.utils import format_datetime, make_msgid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailgen  # noqa: E402

MAIL_DIR = os.environ.get("TG_MAIL_DIR", "/tmp/tg-mail")
IMAPS_PORT = int(os.environ.get("TG_MAIL_IMAPS_PORT", "12993"))
SMTP_PORT = int(os.environ.get("TG_MAIL_SMTP_PORT", "12025"))
PASSWORD = os.environ.get("TG_MAIL_PASSWORD", "secret")
CA = os.path.join(MAIL_DIR, "tls", "ca.crt")
DOVECOT_CONF = os.path.join(MAIL_DIR, "dovecot", "dovecot.conf")
POSTFIX_LOG = os.path.join(MAIL_DIR, "log", "postfix.log")
HOST = "127.0.0.1"
UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "systemd",
                    "ticket-gateway.service")


def unit_environment():
    """The daemon runs as the systemd unit runs it: with the unit's Environment= settings, if
    it has any. TG_BENCH_BARE_ENV=1 leaves them out, to measure the bare binary."""
    if os.environ.get("TG_BENCH_BARE_ENV") == "1":
        return {}
    env = {}
    with open(UNIT) as f:
        for line in f:
            m = re.match(r"\s*Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line.strip())
            if m and not m.group(1).startswith("TICKET_GATEWAY_"):
                env[m.group(1)] = m.group(2)
    return env


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------- IMAP
class Imap:
    """A minimal IMAP client over TLS: enough to time a bulk FETCH without parsing overhead."""

    LITERAL = re.compile(rb"\{(\d+)\}\r\n$")

    def __init__(self, user):
        ctx = ssl.create_default_context(cafile=CA)
        raw = socket.create_connection((HOST, IMAPS_PORT), timeout=600)
        self.sock = ctx.wrap_socket(raw, server_hostname=HOST)
        self.buf = bytearray()
        self.pos = 0
        self.n = 0
        self.readline()  # greeting
        self.command(f'LOGIN "{user}" "{PASSWORD}"')

    def _fill(self):
        block = self.sock.recv(1 << 20)
        if not block:
            raise RuntimeError("imap connection closed")
        if self.pos > (1 << 22):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += block

    def readline(self):
        while True:
            eol = self.buf.find(b"\r\n", self.pos)
            if eol >= 0:
                line = bytes(self.buf[self.pos:eol + 2])
                self.pos = eol + 2
                return line
            self._fill()

    def read(self, size, keep=True):
        while len(self.buf) - self.pos < size:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + size]) if keep else None
        self.pos += size
        return data

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def command(self, cmd, keep=True):
        """Runs one command; returns (untagged responses with their literals, counts)."""
        self.n += 1
        tag = f"B{self.n}"
        self.send(f"{tag} {cmd}")
        out, literals, nbytes = [], 0, 0
        cur = b""
        while True:
            line = self.readline()
            m = self.LITERAL.search(line)
            if m:
                size = int(m.group(1))
                data = self.read(size, keep)
                literals += 1
                nbytes += size
                cur += line + (data or b"")
                continue
            cur += line
            if cur.startswith(tag.encode() + b" "):
                if not cur.startswith(tag.encode() + b" OK"):
                    raise RuntimeError(f"{cmd.split()[0]}: {cur.decode(errors='replace').strip()}")
                return out, literals, nbytes
            if keep:
                out.append(cur)
            cur = b""

    def status(self, mailbox):
        out, _, _ = self.command(f'STATUS "{mailbox}" (MESSAGES)')
        for line in out:
            m = re.search(rb"MESSAGES (\d+)", line)
            if m:
                return int(m.group(1))
        raise RuntimeError(f"no STATUS for {mailbox}")

    def count(self, mailbox):
        try:
            return self.status(mailbox)
        except RuntimeError:
            return 0

    def close(self):
        try:
            self.command("LOGOUT")
        except Exception:
            pass
        self.sock.close()


# ------------------------------------------------------------------------------------ daemon
def write_config(work, name, user, staff, *, address=None, max_size="25MiB", idle=True,
                 smtp_port=None, database=None):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    store = os.path.join(d, "store")
    # On PostgreSQL the files the daemon keeps on disk (attachments) go to state_dir.
    store_lines = (f'store = "{database}"\nstate_dir = "{store}"' if database
                   else f'store = "{store}"')
    path = os.path.join(d, "gateway.toml")
    templates = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "templates")
    with open(path, "w") as f:
        f.write(f"""# written by scripts/bench
[gateway]
address = "{address or user}"
name = "Bench Support"
tag_prefix = "SUP"
{store_lines}
templates = "{os.path.realpath(templates)}"
max_message_size = "{max_size}"
max_replies_per_hour = 1000000

[imap]
host = "{HOST}"
port = {IMAPS_PORT}
tls = "implicit"
ca_file = "{CA}"
username = "{user}"
password_env = "TG_BENCH_PASSWORD"
mailbox = "INBOX"
processed_mailbox = "Processed"
quarantine_mailbox = "Quarantine"
idle = {"true" if idle else "false"}
poll_interval = "5s"

[smtp]
host = "{HOST}"
port = {smtp_port or SMTP_PORT}
# The no-AUTH port without TLS: the same path as smtp-source, the outbound reference.
tls = "none"
username = ""

[staff]
addresses = ["{staff}"]
notify = ["{staff}"]

[admin]
listen = "127.0.0.1:0"
""")
    return path, store


class Daemon:
    """ticket-gateway run, with its JSON log read as it comes (to see batches finish)."""

    def __init__(self, binary, config, env_extra=None):
        self.logfile = open(os.path.join(os.path.dirname(config), "daemon.log"), "wb")
        env = dict(os.environ, TG_BENCH_PASSWORD=PASSWORD)
        self.environment = unit_environment()
        env.update(self.environment)
        env.setdefault("TICKET_GATEWAY_LOG", "info")
        env.update(env_extra or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--config", config, "--log-format", "json", "run"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.done = 0
        self.lines = 0
        self.first_batch = None
        self.running = None
        self.errors = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            self.lines += 1
            self.logfile.write(raw)
            # Only these lines matter here; not decoding the others keeps this reader from
            # taking CPU the daemon and the mail system need (one line per mail).
            if not any(w in raw for w in (b'"batch done"', b'"ticket-gateway running"', b'ERROR')):
                continue
            try:
                ev = json.loads(raw)
            except ValueError:
                self.errors.append(raw.decode(errors="replace").strip())
                continue
            msg = ev.get("message", "")
            level = ev.get("level", "")
            with self.cond:
                if msg == "batch done":
                    self.done += int(ev.get("processed", 0)) + int(ev.get("quarantined", 0))
                    if self.first_batch is None:
                        self.first_batch = time.monotonic()
                elif msg == "ticket-gateway running":
                    self.running = time.monotonic()
                if level in ("ERROR",) and len(self.errors) < 20:
                    self.errors.append(raw.decode(errors="replace").strip())
                self.cond.notify_all()

    def wait_done(self, n, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.done < n:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(min(left, 0.5))
        return time.monotonic()

    def wait_running(self, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.running is None:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"daemon did not start: {self.errors[-5:]}")
                self.cond.wait(0.2)

    def peak_rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def cpu(self):
        """CPU seconds (user + system) by thread name, read from /proc."""
        out = {}
        tick = os.sysconf("SC_CLK_TCK")
        try:
            tasks = os.listdir(f"/proc/{self.proc.pid}/task")
        except OSError:
            return out
        for t in tasks:
            try:
                with open(f"/proc/{self.proc.pid}/task/{t}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            name = re.sub(r"[-_]?\d+$", "", name)
            fields = stat[stat.rindex(")") + 2:].split()
            out[name] = out.get(name, 0) + (int(fields[11]) + int(fields[12])) / tick
        try:
            # The whole process, threads that have ended included (the per-batch workers).
            with open(f"/proc/{self.proc.pid}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            out["process (all threads)"] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
        return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        self.logfile.close()
        return self.proc.returncode


def cli_json(binary, config, *args):
    env = dict(os.environ, TG_BENCH_PASSWORD=PASSWORD)
    out = subprocess.run([binary, "--config", config, *args, "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


# ---------------------------------------------------------------------------------- backlog
def check_uid_order(user, run, n):
    """The generator predicts ticket numbers from UID order: check UIDs follow the list."""
    im = Imap(user)
    try:
        im.command("SELECT INBOX")
        probe = sorted({1, 2, n // 2, n})
        out, _, _ = im.command(
            f"UID FETCH {','.join(map(str, probe))} (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for line in out:
            uid = int(re.search(rb"UID (\d+)", line).group(1))
            mid = re.search(rb"<bench\.[^.]+\.(\d+)@", line)
            if not mid or int(mid.group(1)) != uid - 1:
                raise RuntimeError(f"UID {uid} is not mail {uid - 1} of the list: {line[:200]!r}")
    finally:
        im.close()


def reference_fetch_move(user, n):
    """One bulk UID FETCH 1:* BODY.PEEK[] and one bulk UID MOVE: the IMAP work alone."""
    im = Imap(user)
    try:
        im.command('CREATE "Processed"')
        im.command("SELECT INBOX")
        t0 = time.monotonic()
        _, got, nbytes = im.command("UID FETCH 1:* (BODY.PEEK[])", keep=False)
        t1 = time.monotonic()
        im.command('UID MOVE 1:* "Processed"')
        t2 = time.monotonic()
        if got != n:
            raise RuntimeError(f"reference fetched {got} mails, expected {n}")
        left = im.status("INBOX")
        if left:
            raise RuntimeError(f"reference left {left} mails in INBOX")
        return {"fetch_s": t1 - t0, "move_s": t2 - t1, "seconds": t2 - t0, "bytes": nbytes}
    finally:
        im.close()


def quiesce(what, timeout=180):
    """Waits until Postfix's queue of this instance is empty (mail a previous benchmark queued
    is still being delivered otherwise, on the same cores), then records the machine's load."""
    conf = os.path.join(MAIL_DIR, "postfix", "etc")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["postqueue", "-c", conf, "-p"], capture_output=True,
                             text=True).stdout
        if "Mail queue is empty" in out or not out.strip():
            break
        time.sleep(0.5)
    else:
        log(f"{what}: Postfix queue still not empty after {timeout} s")
    time.sleep(1)
    load = os.getloadavg()[0]
    log(f"{what}: load average {load:.2f}")
    return round(load, 2)


class Blackhole:
    """A port that accepts TCP connections and never answers: an SMTP server that hangs.
    The outbox's sends wait on it without using CPU, so the backlog runs alone."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def pg_schema_url(base, name):
    """A new, empty schema on the bench's PostgreSQL, and the URL whose tables live in it."""
    schema = re.sub(r"[^a-z0-9_]", "_", name.lower())
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", base, "-c",
                    f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"],
                   check=True, capture_output=True)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def pg_server_cpu(pg_dir):
    """CPU seconds (user + system) of a cluster's server processes now: the postmaster and
    its children (the daemon's connections among them), or None without a cluster."""
    if not pg_dir:
        return None
    try:
        with open(os.path.join(pg_dir, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        return None
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == postmaster or int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def backlog(a, mails, counts, run, name, staff, smtp_port=None, database=None, pg_dir=None):
    n = len(mails)
    user, ref_user = f"{name}-{run}@gateway.test", f"{name}-ref-{run}@gateway.test"
    log(f"{name}: loading {n} mails ({sum(map(len, mails)) / 1e6:.1f} MB) into {user} and {ref_user}")
    mailgen.load_maildir(DOVECOT_CONF, user, mails)
    mailgen.load_maildir(DOVECOT_CONF, ref_user, mails)
    check_uid_order(user, run, n)
    load = quiesce(name)
    log(f"{name}: reference (bulk UID FETCH + UID MOVE)")
    ref = reference_fetch_move(ref_user, n)
    # The generated mail is addressed to support@gateway.test: that is the gateway's address
    # (its From, and what it leaves out of the participants); the IMAP login differs per run.
    config, _ = write_config(a.work, name, user, staff, address="support@gateway.test",
                             smtp_port=smtp_port, database=database)
    log(f"{name}: daemon")
    server_before = pg_server_cpu(pg_dir)
    d = Daemon(a.bin, config)
    try:
        end = d.wait_done(n, a.timeout)
        rss = d.peak_rss_kib()
        cpu = d.cpu()
        server_after = pg_server_cpu(pg_dir)
    finally:
        rc = d.stop()
    if end is None:
        raise RuntimeError(f"{name}: daemon processed {d.done}/{n} in {a.timeout} s "
                           f"(exit {rc}): {d.errors[-5:]}")
    im = Imap(user)
    try:
        inbox, processed, quarantined = (im.count("INBOX"), im.count("Processed"),
                                         im.count("Quarantine"))
    finally:
        im.close()
    if inbox or processed + quarantined != n:
        raise RuntimeError(f"{name}: INBOX {inbox}, Processed {processed}, Quarantine "
                           f"{quarantined}: expected 0 and {n}")
    tickets = cli_json(a.bin, config, "tickets")
    outbox = cli_json(a.bin, config, "outbox", "--all")
    acks = sum(1 for e in outbox if e.get("kind") == "acknowledgement")
    if len(tickets) != counts["new"]:
        raise RuntimeError(f"{name}: {len(tickets)} tickets, expected {counts['new']}")
    if acks != counts["new"]:
        raise RuntimeError(f"{name}: {acks} acknowledgements queued, expected {counts['new']}")
    return {
        "mails": n, "bytes": sum(map(len, mails)), "mix": counts,
        "seconds": end - d.started,
        "first_batch_s": (d.first_batch or end) - d.started,
        "startup_s": (d.running or d.started) - d.started,
        "peak_rss_kib": rss, "processed": processed, "quarantined": quarantined,
        "tickets": len(tickets), "acknowledgements": acks, "outbox": len(outbox),
        "log_lines": d.lines, "cpu_s": cpu, "load_before": load, "reference": ref,
        "environment": d.environment,
        # The database server's CPU over the run (its connections live as long as the daemon).
        "server_cpu_s": None if server_before is None or server_after is None
        else round(server_after - server_before, 2),
    }


# ---------------------------------------------------------------------------------- latency
def maildir_of(user):
    """The customer's Maildir on disk (made now if new): where LMTP delivery lands."""
    mailgen.doveadm(DOVECOT_CONF, "mailbox", "status", "-u", user, "messages", "INBOX")
    home = mailgen.doveadm(DOVECOT_CONF, "user", "-f", "home", user).strip()
    return os.path.join(home, "Maildir")


def latency(a, run, count, staff):
    """Mail handed to Postfix -> acknowledgement in the customer's mailbox, one at a time.

    The arrival is seen by watching the customer's Maildir (new/ and cur/) every 2 ms, not
    by an IMAP IDLE of our own: Dovecot delays IDLE notifications by about half a second
    (mailbox-watch's NOTIFY_DELAY_MSECS), which would add to every sample. The daemon itself
    does use IDLE, as in production."""
    user = f"lat-{run}@gateway.test"
    customer = f"lat-{run}@customer.test"
    config, _ = write_config(a.work, "latency", user, staff)
    Imap(user).close()  # the support mailbox exists before the daemon logs in
    md = maildir_of(customer)

    def names():
        out = set()
        for sub in ("new", "cur"):
            try:
                out.update(os.path.join(sub, f) for f in os.listdir(os.path.join(md, sub)))
            except FileNotFoundError:
                pass
        return out

    load = quiesce("latency")
    d = Daemon(a.bin, config)
    smtp = smtplib.SMTP(HOST, SMTP_PORT, timeout=30)
    samples = []
    try:
        d.wait_running()
        seen = names()
        warmup = 3
        for k in range(count + warmup):
            m = EmailMessage()
            m["From"] = f"Latency Probe <{customer}>"
            m["To"] = user
            m["Subject"] = f"Latency probe {k}: printer offline"
            m["Date"] = format_datetime(datetime.now().astimezone())
            mid = make_msgid(f"lat{k}", "customer.test")
            m["Message-ID"] = mid
            m.set_content("Hello,\n\nthe printer on the 3rd floor is offline again.\n\nThanks,\n")
            raw = m.as_bytes()
            t0 = time.monotonic()
            smtp.sendmail(customer, [user], raw)
            new = set()
            while not new and time.monotonic() - t0 < 60:
                time.sleep(0.002)
                new = names() - seen
            t1 = time.monotonic()
            if not new:
                raise RuntimeError(f"latency: no acknowledgement for probe {k} within 60 s "
                                   f"(daemon errors: {d.errors[-3:]})")
            seen |= new
            path = os.path.join(md, sorted(new)[0])
            try:
                with open(path, "rb") as f:
                    head = f.read(8192)
            except FileNotFoundError:  # moved new/ -> cur/ meanwhile: find it again
                head = b""
            if head and mid.encode() not in head:
                raise RuntimeError(f"latency: the new mail does not answer probe {k}")
            if k >= warmup:
                samples.append(t1 - t0)
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            pass
        d.stop()
    samples.sort()

    def pct(p):
        return samples[min(len(samples) - 1, max(0, -(-p * len(samples) // 100) - 1))]

    return {"count": len(samples), "p50_s": statistics.median(samples), "p90_s": pct(90),
            "p99_s": pct(99), "max_s": samples[-1], "min_s": samples[0],
            "mean_s": statistics.fmean(samples), "load_before": load}


# --------------------------------------------------------------------------------- outbound
class PostfixAccepted:
    """Counts mails Postfix has accepted into its queue from one envelope sender, by tailing
    its log (qmgr's `from=<...>` line: the message is fully received and queued)."""

    def __init__(self, sender):
        self.pat = re.compile(rb"postfix/qmgr\[\d+\]: \w+: from=<" + re.escape(sender.encode())
                              + rb">")
        self.f = open(POSTFIX_LOG, "rb")
        self.f.seek(0, os.SEEK_END)
        self.rest = b""
        self.count = 0

    def poll(self):
        data = self.f.read()
        if data:
            data = self.rest + data
            cut = data.rfind(b"\n") + 1
            self.rest = data[cut:]
            self.count += len(self.pat.findall(data[:cut]))
        return self.count

    def wait(self, want, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll() >= want:
                return time.monotonic()
            time.sleep(0.02)
        return None


class Delivery:
    """Watches n mails from `sender` to `recipient`: when Postfix has accepted them all (its
    log), and when they are all in the recipient's INBOX (IMAP STATUS every 100 ms).
    Made before the sending starts, so no log line is missed."""

    def __init__(self, sender, recipient):
        self.acc = PostfixAccepted(sender)
        self.im = Imap(recipient)

    def wait(self, n, timeout, alive=lambda: True):
        acc_t = box_t = None
        deadline = time.monotonic() + timeout
        last_box = 0.0
        try:
            while time.monotonic() < deadline and alive():
                now = time.monotonic()
                if acc_t is None and self.acc.poll() >= n:
                    acc_t = now
                if now - last_box >= 0.1:
                    last_box = now
                    if self.im.count("INBOX") >= n:
                        box_t = time.monotonic()
                        if acc_t is None and self.acc.poll() >= n:
                            acc_t = box_t
                        break
                time.sleep(0.02)
        finally:
            self.im.close()
        if acc_t is None or box_t is None:
            raise RuntimeError(f"outbound: {self.acc.count}/{n} accepted by Postfix; not all "
                               f"delivered after {timeout} s")
        return acc_t, box_t


def outbound(a, run, count, staff):
    user = f"out-{run}@gateway.test"
    to, ref_to = f"out-{run}@customer.test", f"out-ref-{run}@customer.test"
    ref_from = f"out-ref-{run}@gateway.test"
    config, _ = write_config(a.work, "outbound", user, staff)
    for u in (user, to, ref_to):
        Imap(u).close()  # the mailboxes exist before anything is timed
    log(f"outbound: composing {count} status mails into the outbox")
    fill = subprocess.run([a.outbox_bin, config, str(count), to], capture_output=True,
                          text=True, env=dict(os.environ, TG_BENCH_PASSWORD=PASSWORD))
    if fill.returncode != 0:
        raise RuntimeError(f"bench_outbox failed: {fill.stderr.strip()}")
    filled = json.loads(fill.stdout)
    size = filled["avg_size"]
    # The reference first: Postfix's own load generator, 10 sessions, same count and size.
    cmd = ["smtp-source", "-d", "-s", "10", "-m", str(count), "-l", str(size), "-f", ref_from,
           "-t", ref_to, f"{HOST}:{SMTP_PORT}"]
    load = quiesce("outbound")
    log(f"outbound: reference: {' '.join(cmd)}")
    watch = Delivery(ref_from, ref_to)
    t0 = time.monotonic()
    src = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    src_exit = [None]

    def exited():
        if src_exit[0] is None and src.poll() is not None:
            src_exit[0] = time.monotonic()
        return True
    ref_acc, ref_box = watch.wait(count, a.timeout, exited)
    if src.wait() != 0:
        raise RuntimeError(f"smtp-source failed ({src.returncode})")
    exited()
    load2 = quiesce("outbound daemon")
    log("outbound: daemon")
    watch = Delivery(user, to)
    d = Daemon(a.bin, config)
    try:
        acc, box = watch.wait(count, a.timeout, lambda: d.proc.poll() is None)
        cpu = d.cpu()
    finally:
        d.stop()
    left = cli_json(a.bin, config, "outbox")
    if left:
        raise RuntimeError(f"outbound: {len(left)} mails still pending after delivery")
    return {"count": count, "size": size, "min_size": filled["min_size"],
            "max_size": filled["max_size"],
            "accepted_s": acc - d.started, "delivered_s": box - d.started,
            "startup_s": (d.running or d.started) - d.started, "load_before": [load, load2],
            "cpu_s": cpu,
            "reference": {"command": " ".join(cmd).replace(run, "RUN"),
                          "accepted_s": ref_acc - t0, "delivered_s": ref_box - t0,
                          "smtp_source_exit_s": (src_exit[0] or ref_box) - t0}}


# ------------------------------------------------------------------------------------ main
# ---------------------------------------------------------------------------------- growth
class RssSampler:
    """The daemon's resident memory (VmRSS), sampled every `every` seconds in a thread."""

    def __init__(self, pid, every=0.5):
        self.pid, self.every, self.samples = pid, every, []
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_ev.wait(self.every):
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.samples.append(int(line.split()[1]))
            except OSError:
                return

    def stop(self):
        self.stop_ev.set()
        self.thread.join(5)
        return self.samples


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def load_live(user, msgs):
    """Puts `msgs` into the INBOX of a mailbox the daemon is watching: written aside first,
    then renamed into cur/ at once and resynced, so the daemon sees the round as one backlog.
    Returns when the renames started (the drain's clock)."""
    mailgen.doveadm(DOVECOT_CONF, "mailbox", "status", "-u", user, "messages", "INBOX")
    home = mailgen.doveadm(DOVECOT_CONF, "user", "-f", "home", user).strip()
    md = os.path.join(home, "Maildir")
    st = os.stat(md)
    stage = os.path.join(md, "tmp")
    t, pid = int(time.time()), os.getpid()
    names = []
    for i, raw in enumerate(msgs):
        size, vsize = len(raw), len(raw) + raw.count(b"\n")
        name = f"{t}.M{i:06d}P{pid}Q{i}.bench,S={size},W={vsize}:2,"
        fd = os.open(os.path.join(stage, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, raw)
        os.fchown(fd, st.st_uid, st.st_gid)
        os.close(fd)
        names.append(name)
    start = time.monotonic()
    for name in names:
        os.rename(os.path.join(stage, name), os.path.join(md, "cur", name))
    mailgen.doveadm(DOVECOT_CONF, "force-resync", "-u", user, "INBOX")
    return start


def admin_get(store, path, timeout=10):
    """GET on the daemon's admin endpoint (address from <store>/admin.json); seconds taken."""
    with open(os.path.join(store, "admin.json")) as f:
        addr = json.load(f)["listen"]
    host, port = addr.rsplit(":", 1)
    t0 = time.monotonic()
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as c:
        c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        while c.recv(65536):
            pass
    return time.monotonic() - t0


def growth(a, run, staff):
    """One daemon grows its store in rounds of `round_n` mails (the backlog's mix) until it
    holds `target` tickets, then takes `rate` mails a second over SMTP for `soak_s` seconds.
    Measured: each round's drain (first against last), resident memory throughout, the store's
    size against the mail it was given, `/metrics` and `tickets --state open` at the end."""
    target = a.growth_tickets or (60 if a.smoke else 100_000)
    round_n = a.growth_round or (40 if a.smoke else 10_000)
    soak_s = a.soak_s if a.soak_s is not None else (4 if a.smoke else 600)
    rate = a.soak_rate or (5 if a.smoke else 20)
    user = f"growth-{run}@gateway.test"
    config, store = write_config(a.work, "growth", user, staff, address="support@gateway.test")
    mailgen.doveadm(DOVECOT_CONF, "mailbox", "create", "-u", user, "Processed")
    load = quiesce("growth")
    d = Daemon(a.bin, config)
    rss = RssSampler(d.proc.pid)
    rounds, tickets, fed, mail_bytes, k = [], 0, 0, 0, 0
    try:
        d.wait_running()
        while tickets < target:
            mails, counts = mailgen.generate(round_n, f"{run}g{k}", "support@gateway.test",
                                             staff, first_ticket=tickets + 1)
            start = load_live(user, mails)
            fed += len(mails)
            end = d.wait_done(fed, a.timeout)
            if end is None:
                raise RuntimeError(f"growth: round {k} not drained: {d.done}/{fed} "
                                   f"{d.errors[-5:]}")
            rounds.append({"tickets_before": tickets, "mails": len(mails),
                           "drain_s": round(end - start, 3),
                           "rss_kib": rss.samples[-1] if rss.samples else None})
            log(f"growth: round {k}: {len(mails)} mails at {tickets} tickets drained in "
                f"{end - start:.2f} s")
            tickets += counts["new"]
            mail_bytes += sum(map(len, mails))
            k += 1
        quiesce("growth soak")
        log(f"growth: soak, {rate} mails/s for {soak_s} s at {tickets} tickets")
        soak_rss_from = len(rss.samples)
        sent, scrapes = 0, []
        people = mailgen.customers(f"{run}soak", 200)
        t0 = time.monotonic()
        with smtplib.SMTP(HOST, SMTP_PORT, timeout=30) as smtp:
            while time.monotonic() - t0 < soak_s:
                due = int((time.monotonic() - t0) * rate) + 1
                while sent < due:
                    name, addr = people[sent % len(people)]
                    m = EmailMessage()
                    m["From"] = f"{name} <{addr}>"
                    m["To"] = "support@gateway.test"
                    m["Subject"] = f"Soak question {sent}"
                    m["Message-ID"] = f"<soak.{run}.{sent}@customer.test>"
                    m["Date"] = format_datetime(datetime.now().astimezone())
                    m.set_content(f"Hello, question number {sent} during the soak.\n")
                    raw = m.as_bytes()
                    smtp.sendmail(addr, [user], raw)
                    mail_bytes += len(raw)
                    sent += 1
                if sent % (rate * 5) == 0 and len(scrapes) < sent // (rate * 5):
                    scrapes.append(admin_get(store, "/metrics"))
                time.sleep(0.02)
        fed += sent
        end = d.wait_done(fed, a.timeout)
        if end is None:
            raise RuntimeError(f"growth: soak not drained: {d.done}/{fed}")
        tickets += sent
        soak_rss = rss.samples[soak_rss_from:]
        metrics_s = [admin_get(store, "/metrics") for _ in range(3)]
        listing = []
        for _ in range(3):
            t = time.monotonic()
            out = cli_json(a.bin, config, "tickets", "--state", "open")
            listing.append(time.monotonic() - t)
        open_n = len(out)
        peak = d.peak_rss_kib()
        cpu = d.cpu()
    finally:
        samples = rss.stop()
        rc = d.stop()
    store_bytes = dir_bytes(store)
    first, last = rounds[0], rounds[-1]
    return {
        "target": target, "round_mails": round_n, "rounds": rounds, "tickets": tickets,
        "first_drain_s": first["drain_s"], "last_drain_s": last["drain_s"],
        "last_round_tickets": last["tickets_before"],
        "soak_s": soak_s, "soak_rate": rate, "soak_mails": sent,
        "rss_max_kib": max(samples) if samples else None,
        "soak_rss_kib": [min(soak_rss), max(soak_rss)] if soak_rss else None,
        "peak_rss_kib": peak, "store_bytes": store_bytes, "mail_bytes": mail_bytes,
        "metrics_s": sorted(scrapes + metrics_s)[len(scrapes + metrics_s) // 2],
        "open_listing_s": sorted(listing)[1], "open_tickets": open_n,
        "cpu_s": cpu, "load_before": load, "exit": rc, "environment": d.environment,
    }


def fmt_s(x):
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def table(res):
    rows = []
    if "backlog" in res:
        b = res["backlog"]
        r = b["reference"]["seconds"]
        rows.append(("backlog", f"{b['mails']} mails: {fmt_s(b['seconds'])} "
                     f"({b['mails'] / b['seconds']:.0f}/s)",
                     f"FETCH+MOVE {fmt_s(r)} (fetch {fmt_s(b['reference']['fetch_s'])}, "
                     f"move {fmt_s(b['reference']['move_s'])})",
                     f"{b['seconds'] / r:.1f}x", "<= 2x", b["seconds"] / r <= 2))
    if "backlog_pg" in res:
        b = res["backlog_pg"]
        r = b["reference"]["seconds"]
        server = b.get("server_cpu_s")
        rows.append(("backlog, PostgreSQL", f"{b['mails']} mails: {fmt_s(b['seconds'])} "
                     f"({b['mails'] / b['seconds']:.0f}/s"
                     + (f", server {server:.1f} CPU-s)" if server is not None else ")"),
                     f"FETCH+MOVE {fmt_s(r)} (fetch {fmt_s(b['reference']['fetch_s'])}, "
                     f"move {fmt_s(b['reference']['move_s'])})",
                     f"{b['seconds'] / r:.1f}x", "<= 4x", b["seconds"] / r <= 4))
    if "backlog_alone" in res:
        b = res["backlog_alone"]
        r = b["reference"]["seconds"]
        rows.append(("backlog, outbox held", f"{b['mails']} mails: {fmt_s(b['seconds'])} "
                     f"({b['mails'] / b['seconds']:.0f}/s)",
                     f"FETCH+MOVE {fmt_s(r)}", f"{b['seconds'] / r:.1f}x", "(diagnostic)", None))
    if "latency" in res:
        x = res["latency"]
        rows.append(("latency", f"p50 {fmt_s(x['p50_s'])}, p99 {fmt_s(x['p99_s'])} "
                     f"(n={x['count']})", "-", "-", "p50 < 1 s", x["p50_s"] < 1))
    if "outbound" in res:
        o = res["outbound"]
        ref = o["reference"]
        ratio = ref["delivered_s"] / o["delivered_s"]
        rows.append(("outbound", f"{o['count']} x {o['size']} B: accepted {fmt_s(o['accepted_s'])}"
                     f", in mailbox {fmt_s(o['delivered_s'])} "
                     f"({o['count'] / o['delivered_s']:.0f}/s)",
                     f"smtp-source: accepted {fmt_s(ref['accepted_s'])}, in mailbox "
                     f"{fmt_s(ref['delivered_s'])} ({o['count'] / ref['delivered_s']:.0f}/s)",
                     f"{ratio * 100:.0f}% (accepted {ref['accepted_s'] / o['accepted_s'] * 100:.0f}%)",
                     ">= 50%", ratio >= 0.5))
    if "memory" in res:
        m = res["memory"]
        mib = (m["peak_rss_kib"] or 0) / 1024
        rows.append(("memory", f"peak RSS {mib:.1f} MiB ({m['mails']} mails, "
                     f"{m['mix']['big']} x {m['big_mib']:g} MiB; {fmt_s(m['seconds'])})",
                     (f"backlog run: {res['backlog']['peak_rss_kib'] / 1024:.1f} MiB"
                      if (res.get("backlog") or {}).get("peak_rss_kib") else "-"),
                     "-", "< 100 MiB", mib < 100))
        r = m["reference"]["seconds"]
        rows.append(("backlog, 5 x 10 MiB mix", f"{m['mails']} mails: {fmt_s(m['seconds'])}",
                     f"FETCH+MOVE {fmt_s(r)} (fetch {fmt_s(m['reference']['fetch_s'])}, "
                     f"move {fmt_s(m['reference']['move_s'])})",
                     f"{m['seconds'] / r:.1f}x", "<= 2x", m["seconds"] / r <= 2))
    if "growth" in res:
        g = res["growth"]
        rows.append(("growth: drain", f"{g['round_mails']} mails at {g['last_round_tickets']:,} "
                     f"tickets: {fmt_s(g['last_drain_s'])}",
                     f"at 0 tickets: {fmt_s(g['first_drain_s'])}",
                     f"{g['last_drain_s'] / g['first_drain_s']:.2f}x", "<= 1.2x",
                     g["last_drain_s"] / g["first_drain_s"] <= 1.2))
        peak = (g["peak_rss_kib"] or 0) / 1024
        soak = g["soak_rss_kib"] or [0, 0]
        rows.append(("growth: memory", f"peak RSS {peak:.1f} MiB; {soak[0] / 1024:.0f}-"
                     f"{soak[1] / 1024:.0f} MiB during the soak ({g['soak_rate']}/s, "
                     f"{g['soak_s']} s)", "-", "-", "< 100 MiB", peak < 100))
        ratio = g["store_bytes"] / g["mail_bytes"]
        rows.append(("growth: store size", f"{g['store_bytes'] / 1e6:.0f} MB at "
                     f"{g['tickets']:,} tickets", f"mail kept {g['mail_bytes'] / 1e6:.0f} MB",
                     f"{ratio:.1f}x", "<= 3x", ratio <= 3))
        rows.append(("growth: tickets --state open", f"{fmt_s(g['open_listing_s'])} "
                     f"({g['open_tickets']:,} tickets)", "-", "-", "< 100 ms",
                     g["open_listing_s"] < 0.1))
        rows.append(("growth: /metrics", f"{fmt_s(g['metrics_s'])}", "-", "-", "(diagnostic)",
                     None))
    if "criterion" in res:
        for name, v in res["criterion"].items():
            rows.append((f"criterion {name}", f"{v:,.0f} mails/s (1 core)", "-", "-", "-", None))
    head = ("benchmark", "measured", "reference", "ratio", "target", "met")
    cells = [head] + [(a, b, c, d, e, "-" if f is None else ("yes" if f else "NO"))
                      for a, b, c, d, e, f in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("| " + " | ".join(s.ljust(w) for s, w in zip(r, widths)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--outbox-bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only",
                    default="backlog,backlog-alone,backlog-pg,latency,outbound,memory,growth")
    ap.add_argument("--pg-dir", default=None,
                    help="the cluster of --pg-url (its server's CPU is measured)")
    ap.add_argument("--pg-url", default=None,
                    help="PostgreSQL for backlog-pg (scripts/bench starts one)")
    ap.add_argument("--mails", type=int, default=None)
    ap.add_argument("--latency-mails", type=int, default=None)
    ap.add_argument("--outbound-mails", type=int, default=None)
    ap.add_argument("--big", type=int, default=None)
    ap.add_argument("--big-mib", type=float, default=None)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--growth-tickets", type=int, default=None)
    ap.add_argument("--growth-round", type=int, default=None)
    ap.add_argument("--soak-s", type=float, default=None)
    ap.add_argument("--soak-rate", type=int, default=None)
    ap.add_argument("--criterion", default=None, help="JSON file with criterion results")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    only = set(a.only.split(","))
    n = a.mails or (30 if a.smoke else 10000)
    lat_n = a.latency_mails or (5 if a.smoke else 200)
    out_n = a.outbound_mails or (30 if a.smoke else 10000)
    big = a.big if a.big is not None else (1 if a.smoke else 5)
    big_mib = a.big_mib or (1.0 if a.smoke else 10.0)
    run = f"r{int(time.time()) % 100000}"
    staff = f"staff-{run}@gateway.test"
    os.makedirs(a.work, exist_ok=True)
    res = {"run": run, "cores": os.cpu_count(), "smoke": a.smoke}
    if only & {"backlog", "backlog-alone", "backlog-pg", "memory"}:
        log(f"generating {n} mails")
        t = time.monotonic()
        mails, counts = mailgen.generate(n, run, "support@gateway.test", staff)
        log(f"generated in {time.monotonic() - t:.1f} s: {counts}")
    if "backlog" in only:
        res["backlog"] = backlog(a, mails, counts, run, "backlog", staff)
    if "backlog-pg" in only:
        if not a.pg_url:
            raise SystemExit("bench.py: backlog-pg needs --pg-url (scripts/bench starts one)")
        url = pg_schema_url(a.pg_url, f"backlog_{run}")
        res["backlog_pg"] = backlog(a, mails, counts, run, "backlog-pg", staff, database=url,
                                    pg_dir=a.pg_dir)
    if "backlog-alone" in only:
        hole = Blackhole()
        try:
            res["backlog_alone"] = backlog(a, mails, counts, run, "alone", staff, hole.port)
        finally:
            hole.close()
    if "latency" in only:
        log(f"latency: {lat_n} mails one by one")
        res["latency"] = latency(a, run, lat_n, staff)
    if "outbound" in only:
        res["outbound"] = outbound(a, run, out_n, staff)
    if "memory" in only:
        slot = 2000 if n >= 2000 else max(n // 2, 1)
        every = max(n // big, 1) if big else 0
        heavy = list(mails)
        nbig = 0
        for i in range(n):
            # Only slots the generator made new tickets, so the ticket numbers stay right.
            if big and i % slot == slot - 1 and nbig < big:
                heavy[i] = mailgen._big(mails[i], i, big_mib)
                nbig += 1
        del every
        c2 = dict(counts, big=nbig)
        m = backlog(a, heavy, c2, run, "memory", staff)
        m["big_mib"] = big_mib
        res["memory"] = m
    if "growth" in only:
        res["growth"] = growth(a, run, staff)
    if a.criterion and os.path.exists(a.criterion):
        with open(a.criterion) as f:
            res["criterion"] = json.load(f)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    print()
    print(f"ticket-gateway benchmarks ({'smoke' if a.smoke else 'full'} run, {os.cpu_count()} cores)")
    if a.smoke:
        print("smoke run: debug build and a few dozen mails; it proves the command works, "
              "the figures mean nothing")
    print(table(res))


if __name__ == "__main__":
    main()
