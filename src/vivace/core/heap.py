"""Keeping the start-up heap out of the cyclic garbage collector's way.

Everything an app builds before serving (imported modules, routes, models,
templates, compiled constructors) lives as long as the process. Under load the
collector's full passes walk all of it again and again, and the bigger the app
the longer each pass: on a bare app serving pipelined requests that was over a
microsecond per request. ``gc.freeze()`` moves what is alive after start-up into
a generation the collector never scans; objects made afterwards are collected
as usual, and reference counting still frees frozen objects that are not in a
cycle. It runs once per process, after the first start-up, so that a test
session starting many apps freezes only what existed at the first one.
"""

from __future__ import annotations

import gc

_done = False


def freeze_once() -> None:
    """Collect, then freeze what is left; only the first call does it."""
    global _done
    if _done:
        return
    _done = True
    gc.collect()
    gc.freeze()
