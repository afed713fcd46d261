#!/usr/bin/env python3
"""Stands in for the person at the keyboard: edits the reply draft the mail client opened."""
import json, os, sys
plan = json.load(open(os.path.join(os.environ.get("WORK", "@WORK@"), "plan.json")))
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
lines = text.split("\n")
mode = plan["mode"]
if mode == "top":
    lines = plan["text"].split("\n") + [""] + lines
elif mode == "bottom":
    sig = next((i for i, l in enumerate(lines) if l == "-- " and any(x.startswith(">") for x in lines[:i])), None)
    add = [""] + plan["text"].split("\n") + [""]
    if sig is None:
        while lines and lines[-1] == "":
            lines.pop()
        lines = lines + add
    else:
        lines = lines[:sig] + add + lines[sig:]
elif mode == "inline":
    out = []
    for l in lines:
        out.append(l)
        for q, a in plan["answers"]:
            if l.startswith(">") and l.rstrip().endswith(q):
                out += ["", a, ""]
    lines = out
open(path, "w", encoding="utf-8").write("\n".join(lines))
