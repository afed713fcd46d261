#!/usr/bin/env python3
"""A small OAuth2 authorisation server for ticket-gateway's tests (Python standard library only).

It plays the identity provider of Gmail or Microsoft 365 on loopback:

  POST /token        RFC 6749 token endpoint: grant_type=refresh_token and client_credentials;
                     client authentication by form fields (client_secret_post) or HTTP Basic.
                     Errors are RFC 6749 JSON ({"error": ..., "error_description": ...}).
  POST /introspect   RFC 7662 introspection (form token=...), what Dovecot's oauth2 passdb calls;
  GET  /introspect?token=...  and  GET /tokeninfo?access_token=...  the same; a Bearer
                     Authorization header is understood too.
                     {"active": true, "email": USER, ...} for a live token, else {"active": false}.

Loopback-only administration for tests (JSON in, JSON out):

  POST /admin/clients         {"client_id", "client_secret" (omit: public client),
                               "user" (the account of its client-credentials tokens)}
  POST /admin/refresh-tokens  {"client_id", "user", "scope"} -> {"refresh_token"}
  POST /admin/access-tokens   {"user", "scope", "lifetime"} -> {"access_token"} (test tools)
  POST /admin/revoke          {"refresh_token": T} | {"user": U} | {"access_tokens": "all"}
                               a refresh token also loses the access tokens made from it
  POST /admin/settings        {"lifetime": SECONDS, "rotate": BOOL} access-token lifetime of later
                              grants; rotation: a refresh grant answers a new refresh token
  GET  /admin/stats           grants, refusals and introspections counted so far
  GET  /health                "ok"

State (clients, refresh tokens, settings) is kept in STATE_DIR/state.json, so a restart keeps
what tests registered; access tokens live in memory only.
"""

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()


class State:
    def __init__(self, path, lifetime):
        self.path = path
        self.clients = {}  # id -> {"secret": str|None, "user": str|None}
        self.refresh = {}  # token -> {"client_id", "user", "scope", "revoked": bool}
        self.lifetime = lifetime
        # Rotation (as Microsoft's endpoint does): each refresh-token grant answers a new
        # refresh token and revokes the one presented.
        self.rotate = False
        self.access = {}  # token -> {"user", "client_id", "scope", "exp", "refresh"}
        self.stats = {
            "grants": {"refresh_token": 0, "client_credentials": 0},
            "refusals": {},
            "introspections": {"active": 0, "inactive": 0},
        }
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                saved = json.load(f)
            self.clients = saved.get("clients", {})
            self.refresh = saved.get("refresh", {})
            self.lifetime = saved.get("lifetime", lifetime)
            self.rotate = saved.get("rotate", False)

    def save(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"clients": self.clients, "refresh": self.refresh, "lifetime": self.lifetime,
                       "rotate": self.rotate}, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def issue(self, user, client_id, scope, refresh=None, lifetime=None):
        lifetime = self.lifetime if lifetime is None else lifetime
        token = "at-" + secrets.token_urlsafe(24)
        self.access[token] = {
            "user": user,
            "client_id": client_id,
            "scope": scope,
            "exp": time.time() + lifetime,
            "refresh": refresh,
        }
        # Forget long-expired tokens so memory stays small in long runs.
        now = time.time()
        for t in [t for t, a in self.access.items() if a["exp"] < now - 3600]:
            del self.access[t]
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime), "scope": scope}

    def refuse(self, error):
        self.stats["refusals"][error] = self.stats["refusals"].get(error, 0) + 1


class OAuthError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class Handler(BaseHTTPRequestHandler):
    server_version = "tg-oauth2/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # ---------------------------------------------------------------- plumbing
    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise OAuthError(413, "invalid_request", "request too large")
        return self.rfile.read(n) if n else b""

    def form(self):
        raw = self.body().decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def json_body(self):
        raw = self.body()
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise OAuthError(400, "invalid_request", "body is not JSON")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/health":
                return self.reply(200, b"ok\n")
            if url.path == "/token" and method == "POST":
                return self.token(self.form())
            if url.path in ("/introspect", "/tokeninfo"):
                fields = self.form() if method == "POST" else {}
                return self.introspect(fields, query)
            if url.path.startswith("/admin/"):
                if not self.client_address[0].startswith("127.") and self.client_address[0] != "::1":
                    raise OAuthError(403, "access_denied", "admin is loopback only")
                return self.admin(url.path[len("/admin/"):], method)
            raise OAuthError(404, "not_found", f"no such endpoint {method} {url.path}")
        except OAuthError as e:
            with LOCK:
                self.server.state.refuse(e.error)
            headers = [("WWW-Authenticate", 'Basic realm="tg-oauth2"')] if e.status == 401 else []
            self.reply(e.status, {"error": e.error, "error_description": e.description}, headers)

    # ---------------------------------------------------------------- token endpoint
    def client(self, form):
        """The authenticated client id: HTTP Basic or form fields (RFC 6749 §2.3.1)."""
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                raise OAuthError(401, "invalid_client", "malformed Basic authorization")
        if not cid:
            raise OAuthError(401, "invalid_client", "client_id is missing")
        c = self.server.state.clients.get(cid)
        if c is None:
            raise OAuthError(401, "invalid_client", f"unknown client {cid}")
        if c.get("secret") is not None and not secrets.compare_digest(secret or "", c["secret"]):
            raise OAuthError(401, "invalid_client", "client authentication failed: wrong client secret")
        return cid, c

    def token(self, form):
        grant = form.get("grant_type", "")
        st = self.server.state
        with LOCK:
            cid, c = self.client(form)
            if grant == "refresh_token":
                rt = st.refresh.get(form.get("refresh_token", ""))
                if rt is None or rt["client_id"] != cid:
                    raise OAuthError(400, "invalid_grant", "the refresh token is unknown")
                if rt["revoked"]:
                    raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
                scope = form.get("scope") or rt["scope"]
                st.stats["grants"]["refresh_token"] += 1
                presented = form["refresh_token"]
                if st.rotate:
                    rt["revoked"] = True
                    presented = "rt-" + secrets.token_urlsafe(24)
                    st.refresh[presented] = {**rt, "revoked": False}
                    st.save()
                answer = st.issue(rt["user"], cid, scope, refresh=presented)
                if st.rotate:
                    answer["refresh_token"] = presented
            elif grant == "client_credentials":
                if c.get("secret") is None:
                    raise OAuthError(401, "invalid_client", "a public client cannot use client_credentials")
                if not c.get("user"):
                    raise OAuthError(400, "unauthorized_client", f"client {cid} has no account for client_credentials")
                st.stats["grants"]["client_credentials"] += 1
                answer = st.issue(c["user"], cid, form.get("scope", ""))
            else:
                raise OAuthError(400, "unsupported_grant_type", f"grant_type '{grant}' is not supported")
        self.reply(200, answer)

    # ---------------------------------------------------------------- introspection
    def introspect(self, form, query):
        token = form.get("token") or query.get("token") or query.get("access_token")
        auth = self.headers.get("Authorization", "")
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        st = self.server.state
        with LOCK:
            a = st.access.get(token or "")
            live = a is not None and a["exp"] > time.time()
            if live and a["refresh"] is not None:
                rt = st.refresh.get(a["refresh"])
                live = rt is not None and not rt["revoked"]
            st.stats["introspections"]["active" if live else "inactive"] += 1
        if not live:
            return self.reply(200, {"active": False})
        self.reply(200, {
            "active": True,
            "email": a["user"],
            "sub": a["user"],
            "username": a["user"],
            "client_id": a["client_id"],
            "scope": a["scope"],
            "token_type": "Bearer",
            "exp": int(a["exp"]),
        })

    # ---------------------------------------------------------------- administration
    def admin(self, what, method):
        st = self.server.state
        if what == "stats" and method == "GET":
            with LOCK:
                return self.reply(200, {**st.stats, "lifetime": st.lifetime,
                                        "live_access_tokens": sum(1 for a in st.access.values() if a["exp"] > time.time())})
        if method != "POST":
            raise OAuthError(405, "invalid_request", f"use POST for /admin/{what}")
        req = self.json_body()
        with LOCK:
            if what == "clients":
                cid = req.get("client_id")
                if not cid:
                    raise OAuthError(400, "invalid_request", "client_id is required")
                st.clients[cid] = {"secret": req.get("client_secret"), "user": req.get("user")}
                st.save()
                return self.reply(200, {"client_id": cid})
            if what == "refresh-tokens":
                cid, user = req.get("client_id"), req.get("user")
                if cid not in st.clients or not user:
                    raise OAuthError(400, "invalid_request", "a registered client_id and a user are required")
                token = "rt-" + secrets.token_urlsafe(24)
                st.refresh[token] = {"client_id": cid, "user": user, "scope": req.get("scope", ""), "revoked": False}
                st.save()
                return self.reply(200, {"refresh_token": token})
            if what == "access-tokens":
                if not req.get("user"):
                    raise OAuthError(400, "invalid_request", "user is required")
                lifetime = req.get("lifetime")
                return self.reply(200, st.issue(req["user"], "admin", req.get("scope", ""),
                                                lifetime=float(lifetime) if lifetime else None))
            if what == "revoke":
                n = 0
                if req.get("access_tokens") == "all":
                    n = len(st.access)
                    st.access.clear()
                for t, rt in st.refresh.items():
                    if t == req.get("refresh_token") or (req.get("user") and rt["user"] == req.get("user")):
                        rt["revoked"] = True
                        n += 1
                if req.get("user"):
                    for t in [t for t, a in st.access.items() if a["user"] == req["user"]]:
                        del st.access[t]
                st.save()
                return self.reply(200, {"revoked": n})
            if what == "settings":
                if "lifetime" in req:
                    lifetime = float(req["lifetime"])
                    if lifetime <= 0:
                        raise OAuthError(400, "invalid_request", "lifetime must be positive")
                    st.lifetime = lifetime
                if "rotate" in req:
                    st.rotate = bool(req["rotate"])
                st.save()
                return self.reply(200, {"lifetime": st.lifetime, "rotate": st.rotate})
        raise OAuthError(404, "not_found", f"no such admin endpoint /admin/{what}")


def write_port(state_dir, name, port):
    if state_dir:
        with open(os.path.join(state_dir, name + ".tmp"), "w") as f:
            f.write(f"{port}\n")
        os.replace(os.path.join(state_dir, name + ".tmp"), os.path.join(state_dir, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free port)")
    ap.add_argument("--state-dir", help="keeps state.json; writes the port files")
    ap.add_argument("--tls-listen", help="HOST:PORT of a second, HTTPS listener (same state)")
    ap.add_argument("--cert", help="PEM certificate chain for --tls-listen")
    ap.add_argument("--key", help="PEM private key for --tls-listen")
    ap.add_argument("--lifetime", type=float, default=3600, help="access-token lifetime in seconds")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    state_path = os.path.join(a.state_dir, "state.json") if a.state_dir else None
    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    server.daemon_threads = True
    server.state = State(state_path, a.lifetime)
    server.verbose = a.verbose
    bound = server.server_address[1]
    if a.tls_listen:
        import ssl
        thost, _, tport = a.tls_listen.rpartition(":")
        tls_server = ThreadingHTTPServer((thost or "127.0.0.1", int(tport)), Handler)
        tls_server.daemon_threads = True
        tls_server.state = server.state
        tls_server.verbose = a.verbose
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        tls_server.socket = ctx.wrap_socket(tls_server.socket, server_side=True)
        threading.Thread(target=tls_server.serve_forever, daemon=True).start()
        write_port(a.state_dir, "tls-port", tls_server.server_address[1])
        print(f"tg-oauth2 listening with TLS on {thost or '127.0.0.1'}:{tls_server.server_address[1]}", flush=True)
    write_port(a.state_dir, "port", bound)
    print(f"tg-oauth2 listening on {host or '127.0.0.1'}:{bound}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
