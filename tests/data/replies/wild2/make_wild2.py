#!/usr/bin/env python3
"""Writes the second wild set (see README.md) with the framework of ../wild/make_wild.py:

    python3 tests/data/replies/wild2/make_wild2.py
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "wild"))

import make_wild  # noqa: E402

if __name__ == "__main__":
    make_wild.main(("cases_late",), HERE)
