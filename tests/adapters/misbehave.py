#!/usr/bin/env python3
"""A deliberately misbehaving adapter for the failure-mode tests (harness/tests/process.rs).

It speaks docs/PROTOCOL.md v1 correctly (rejecting every token with reason "other") except for the
request whose id equals TARGET, where it does what MODE says:

  crash    writes a message to stderr and exits with status 3
  hang     never answers (sleeps far longer than the harness timeout)
  garbage  prints a line that is not JSON
  wrong-id answers with another id
  huge     prints a 10 MB line
  exit     exits quietly with status 0 before answering
  ok       behaves (the control)
  hog      on every token of 1 MiB or more with over 1,000 dots, allocates (and touches) 30
           bytes per token byte before answering: the resource bounds' target (TARGET is
           ignored); a token as long without dots (the bounds' control) costs nothing
  sleepy   on every token of 1 MiB or more, sleeps 60 s (TARGET is ignored)
"""
import json
import sys
import time

mode, target = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    req = json.loads(line)
    rid = req["id"]
    big = len(req["token"]) >= 1 << 20
    if mode == "hog" and big and req["token"].count(".") > 1000:
        hog = bytearray(30 * len(req["token"]))
        for i in range(0, len(hog), 4096):
            hog[i] = 1
    if mode == "sleepy" and big:
        time.sleep(60)
    if rid == target:
        if mode == "crash":
            sys.stderr.write("misbehave: deliberate crash on %s\n" % rid)
            sys.stderr.flush()
            sys.exit(3)
        if mode == "hang":
            time.sleep(60)
        if mode == "garbage":
            print("this is not json", flush=True)
            continue
        if mode == "wrong-id":
            print(json.dumps({"id": "not-" + rid, "verdict": "reject"}), flush=True)
            continue
        if mode == "huge":
            sys.stdout.write('{"id": "%s", "verdict": "reject", "detail": "%s"}\n' % (rid, "x" * 10_000_000))
            sys.stdout.flush()
            continue
        if mode == "exit":
            sys.exit(0)
    print(json.dumps({"id": rid, "verdict": "reject", "reason": "other", "detail": "misbehave rejects everything"}), flush=True)
