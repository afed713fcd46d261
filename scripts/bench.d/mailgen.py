"""Generated support mail for scripts/bench, and a fast way to put it into a Dovecot mailbox.

The mix (deterministic for a seed): new tickets in English and French (accented subjects
RFC 2047 Q- or B-encoded, 7bit / quoted-printable / base64 bodies, some multipart/alternative
with HTML, about 1 in 8 with a small CSV or PNG attachment), customer replies `Re: [SUP-n]`
to tickets opened earlier in the same backlog (with References to the original), out-of-office
auto-replies to those tickets, and staff comments (some with `#progress`). Sizes are about
1-2 KB. `big` of the mails carry an extra `big_mib` MiB binary attachment.

Ticket numbers are predicted: the gateway numbers tickets 1, 2, … in the order it processes
new mail, which is UID order, which is the order written here (`load_maildir` names the files
so that Dovecot assigns UIDs in list order; `scripts/bench` checks it).

Ideas borrowed from the shared mailenv reference (`load`); nothing here depends on it.
"""
import os
import random
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

FIRST = ["Alice", "Bob", "Chloé", "Émilie", "Frank", "Gaëlle", "Hélène", "Inès", "Jürgen",
         "Karim", "Léa", "Mathis", "Noémie", "Olivier", "Pauline", "Quentin", "Renée", "Sam"]
LAST = ["Martin", "Dupont", "Lefèvre", "Rousseau", "Miller", "Nguyễn", "Müller", "Bérard",
        "Weiß", "Garnier", "Moreau", "Fontaine"]
SUBJECTS_EN = [
    "Printer on 3rd floor not working", "Cannot log in to the portal", "Invoice #{n} is wrong",
    "VPN drops every 10 minutes", "Request: new laptop for onboarding",
    "Password reset link expired", "Refund for order {n}", "Question about my subscription",
    "Coffee machine broken", "Shared drive is read-only since this morning",
]
SUBJECTS_FR = [
    "Problème de connexion à l'extranet", "Facture n°{n} erronée",
    "Imprimante du 2ᵉ étage hors service", "Demande de remboursement — commande {n}",
    "Mot de passe oublié, accès bloqué", "Réclamation : livraison endommagée",
    "Où en est ma demande ?", "Très urgent : serveur de fichiers inaccessible",
    "Mise à jour de mes coordonnées", "Accès refusé à « Comptabilité »",
]
FR_LINES = [
    "Je rencontre un problème depuis ce matin.", "Pourriez-vous m'aider rapidement ?",
    "L'écran affiche « Erreur 503 » après la connexion.",
    "J'ai déjà essayé de redémarrer, sans succès.", "Ça fait trois jours que j'attends.",
    "Le numéro de commande est indiqué ci-dessous.", "Toute l'équipe est bloquée.",
    "Je vous joins une capture d'écran si nécessaire.",
]
EN_LINES = [
    "Since this morning I cannot access the shared drive.", "Could you please have a look?",
    "The error says: connection refused (code 111).", "I already tried rebooting twice.",
    "This is blocking our whole team.", "See the order number below.",
    "It worked fine until the update on Monday.", "Happy to provide more details if needed.",
]
AUTO = [
    ("Réponse automatique : absent du bureau",
     "Je suis absent jusqu'au lundi. Pour toute urgence, contactez le standard."),
    ("Out of Office: back next week", "I am out of the office with limited access to email."),
]


def customers(run, k=2000):
    rng = random.Random(run)
    out = []
    for j in range(k):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        out.append((name, f"c{j}-{run}@customer.test"))
    return out


def _body(rng, french, n, lines=None):
    pool = FR_LINES if french else EN_LINES
    hello, bye = ("Bonjour,", "Cordialement,") if french else ("Hello,", "Best regards,")
    body = lines if lines is not None else rng.sample(pool, rng.randint(2, 5))
    ref = "Référence client" if french else "Customer reference"
    return f"{hello}\n\n" + "\n".join(body) + f"\n\n{bye}\n\n{ref} : {n}\n"


def _finish(m, rng, subject, text, attach_small, n):
    """Sets subject and body (random transfer encoding), maybe HTML and an attachment."""
    m["Subject"] = subject
    cte = rng.choice(["quoted-printable", "base64", "8bit"])
    if cte == "8bit" and text.isascii():
        cte = "7bit"
    m.set_content(text, charset="utf-8", cte=cte)
    if rng.random() < 0.2:
        html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines() if line)
        m.add_alternative(html + "</body></html>", subtype="html", charset="utf-8",
                          cte="quoted-printable")
    if attach_small:
        if rng.random() < 0.5:
            rows = "".join(f"2024-0{k % 9 + 1}-1{k % 9};article {k};{k * 3.5:.2f}\n"
                           for k in range(rng.randint(3, 20)))
            m.add_attachment(("date;item;amount\n" + rows).encode(), maintype="text",
                             subtype="csv", filename=f"releve-{n}.csv")
        else:
            m.add_attachment(rng.randbytes(rng.randint(400, 1500)), maintype="image",
                             subtype="png", filename=f"capture d'écran {n}.png")
    raw = m.as_bytes()
    if not subject.isascii() and rng.random() < 0.5:
        # One B-encoded, folded Subject instead of the package's Q encoding.
        enc = Header(subject, "utf-8").encode(linesep="\n")
        start = raw.index(b"\nSubject: ") + 1
        end = start
        while True:
            end = raw.index(b"\n", end) + 1
            if raw[end:end + 1] not in (b" ", b"\t"):
                break
        raw = raw[:start] + b"Subject: " + enc.encode() + b"\n" + raw[end:]
    return raw


def _big(raw, i, mib):
    import email
    from email.policy import default
    msg = email.message_from_bytes(raw, policy=default)
    if msg.get_content_type() != "multipart/mixed":
        msg.make_mixed()
    data = random.Random(i).randbytes(int(mib * 1024 * 1024))
    msg.add_attachment(data, maintype="application", subtype="octet-stream",
                       filename=f"archive-{i}.bin")
    return msg.as_bytes()


def _trace(m, rng, addr, date, i, run):
    """The headers real mail carries before it reaches a mailbox (most of its size)."""
    domain = addr.split("@")[1]
    hop = format_datetime(date + timedelta(seconds=1))
    m["Return-Path"] = f"<{addr}>"
    m["Received"] = (f"from mx.{domain} (mx.{domain} [192.0.2.{i % 250 + 1}]) by "
                     f"mail.gateway.test (Postfix) with ESMTPS id {rng.getrandbits(40):010X} "
                     f"for <support@gateway.test>; {hop}")
    m["Received"] = (f"from [10.0.{i % 200}.{rng.randint(2, 250)}] (unknown [198.51.100.7]) "
                     f"by mx.{domain} (Postfix) with ESMTPSA id {rng.getrandbits(40):010X}; "
                     f"{format_datetime(date)}")
    b64 = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                  for _ in range(172))
    sig = " ".join(b64[k:k + 60] for k in range(0, len(b64), 60))
    m["DKIM-Signature"] = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=mail2024; "
                           f"t={int(date.timestamp())}; h=from:to:subject:date:message-id; "
                           f"bh={b64[:43]}=; b={sig}")
    m["User-Agent"] = rng.choice(["Mozilla Thunderbird 115.8", "Microsoft Outlook 16.0",
                                  "Apple Mail (2.3774)", "Roundcube Webmail/1.6.5"])


def generate(n, run, support, staff, big=0, big_mib=10.0, seed=1, prefix="SUP", first_ticket=1):
    """n raw mails to `support`; returns (mails, counts).

    Every 2000th mail is a new ticket whatever `big` says, so that the mails with and without
    big attachments open the same tickets (the memory run reuses the backlog's mails).
    The plan (who writes what, to which ticket) is made in order; the mails are then rendered
    on every CPU. `first_ticket`: the number the first new ticket gets (a store that already
    holds tickets, as in the growth run)."""
    people = customers(run)
    now = datetime.now(timezone.utc)
    tickets = []  # (number, (name, addr), message-id, subject, french)
    counts = {"new": 0, "reply": 0, "auto": 0, "staff": 0, "attachment": 0, "french": 0,
              "big": 0}
    big_every = n // big if big else 0
    slot = 2000 if n >= 2000 else max(n // 2, 1)
    plan = []
    for i in range(n):
        rng = random.Random(f"{seed}.{run}.{i}")
        kind = rng.random()
        attach = rng.random() < 0.125
        is_big = bool(big_every) and i % big_every == big_every - 1
        if not tickets or kind < 0.62 or i % slot == slot - 1 or is_big:
            person = rng.choice(people)
            french = rng.random() < 0.4
            subject = rng.choice(SUBJECTS_FR if french else SUBJECTS_EN).format(n=10000 + i)
            subject = f"{subject} ({i})"
            tickets.append((first_ticket + len(tickets), person, f"<bench.{run}.{i}@customer.test>",
                            subject, french))
            what, ticket = "new", tickets[-1]
        else:
            ticket = rng.choice(tickets)
            french = ticket[4]
            what = "auto" if kind < 0.67 else "staff" if kind < 0.72 else "reply"
            attach = attach and what == "reply"
        counts[what] += 1
        counts["attachment"] += int(attach)
        counts["french"] += int(french)
        counts["big"] += int(is_big)
        plan.append((i, what, attach, ticket, is_big, run, support, staff, prefix,
                     now - timedelta(seconds=(n - i) * 7), big_mib))
    chunks = [plan[k:k + 500] for k in range(0, n, 500)]
    if len(chunks) > 1 and (os.cpu_count() or 1) > 1:
        import multiprocessing
        with multiprocessing.Pool(min(os.cpu_count(), len(chunks))) as pool:
            parts = pool.map(_render_chunk, chunks)
    else:
        parts = [_render_chunk(c) for c in chunks]
    return [raw for part in parts for raw in part], counts


def _render_chunk(entries):
    return [_render(e) for e in entries]


def _render(entry):
    i, what, attach, ticket, is_big, run, support, staff, prefix, date, big_mib = entry
    rng = random.Random(f"render.{run}.{i}")
    num, (name, addr), orig, subject, french = ticket
    m = EmailMessage()
    m["Date"] = format_datetime(date)
    m["To"] = support
    if what == "new":
        m["From"] = Address(name, addr_spec=addr)
        m["Message-ID"] = orig
        if french and rng.random() < 0.5:
            m["Content-Language"] = "fr"
        raw = _finish(m, rng, subject, _body(rng, french, 10000 + i), attach, i)
    else:
        ack = f"<ack.{run}.{i}@gateway.test>"
        m["In-Reply-To"] = ack
        m["References"] = f"{orig} {ack}"
        m["Message-ID"] = f"<bench.{run}.{i}@customer.test>"
        tag = f"[{prefix}-{num}]"
        if what == "auto":
            auto_subject, text = AUTO[0] if french else AUTO[1]
            m["From"] = Address(name, addr_spec=addr)
            m["Auto-Submitted"] = "auto-replied"
            raw = _finish(m, rng, f"{auto_subject} Re: {tag} {subject}", text + "\n", False, i)
        elif what == "staff":
            addr = staff
            m["From"] = Address("Support Staff", addr_spec=staff)
            words = rng.choice(["#progress\n\nWe are looking into it.",
                                "Thanks, forwarding to the network team.",
                                "#progress\n\nOn s'en occupe."])
            raw = _finish(m, rng, f"Re: {tag} {subject}", words + "\n", False, i)
        else:
            m["From"] = Address(name, addr_spec=addr)
            reply = rng.sample(FR_LINES if french else EN_LINES, rng.randint(1, 3))
            if french:
                said = f"Le {m['Date']}, Support a écrit :\n> Votre demande a bien été enregistrée.\n"
            else:
                said = f"On {m['Date']}, Support wrote:\n> Your request has been received.\n"
            text = _body(rng, french, 10000 + i, reply) + "\n" + said
            raw = _finish(m, rng, f"Re: {tag} {subject}", text, attach, i)
    t = EmailMessage()
    _trace(t, rng, addr, date, i, run)
    raw = t.as_bytes().rstrip(b"\n") + b"\n" + raw
    if is_big:
        raw = _big(raw, i, big_mib)
    return raw


def doveadm(conf, *args):
    return subprocess.run(["doveadm", "-c", conf, *args], check=True, capture_output=True,
                          text=True).stdout


def load_maildir(conf, user, msgs, folder="INBOX"):
    """Writes `msgs` as Maildir files (UIDs in list order once Dovecot syncs) and resyncs."""
    doveadm(conf, "mailbox", "status", "-u", user, "messages", folder)
    home = doveadm(conf, "user", "-f", "home", user).strip()
    md = os.path.join(home, "Maildir")
    if folder.upper() != "INBOX":
        md = os.path.join(md, "." + folder.replace("/", "."))
    st = os.stat(md)
    cur = os.path.join(md, "cur")
    t = int(time.time())
    pid = os.getpid()
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    total = 0
    for i, raw in enumerate(msgs):
        size = len(raw)
        vsize = size + raw.count(b"\n")
        # Dovecot orders new files by the time, then the microseconds (M) part of the name.
        name = f"{t}.M{i:06d}P{pid}Q{i}.{host},S={size},W={vsize}:2,"
        fd = os.open(os.path.join(cur, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, raw)
        os.fchown(fd, st.st_uid, st.st_gid)
        os.close(fd)
        total += size
    doveadm(conf, "force-resync", "-u", user, folder)
    return total
