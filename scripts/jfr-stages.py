#!/usr/bin/env python3
"""Where a server's CPU went, by stage of a device request, from a flight recording.

Usage: scripts/jfr-stages.py RECORDING.jfr [--from HH:MM:SS] [--to HH:MM:SS]

Reads the recording's CPU samples (jdk.ExecutionSample, through `jfr print`) and puts each in the first
stage, in this order, that a frame of its stack belongs to:
  database      H2 (org.h2), the hub's SQL layer underneath it included
  signature     Ed25519 verification of a signed request (EdDSA)
  handshake     a DTLS handshake (Handshaker, ECDSA, X25519)
  dtls records  the rest of Scandium: records' AES-GCM, replay window, connection store
  cbor          edgerent's wire formats (io.edgerent.protocol)
  hub           the rest of the hub's own code (io.edgerent.hub, io.edgerent.link)
  coap          the rest of Californium: CoAP messages, matching, exchanges, observe
  other         what is left: JIT-compiled JDK code with none of the above on its stack, JFR itself
Prints each stage's share of the samples. The fleet benchmark's -Dfleet.jfr=PREFIX writes the recordings;
its "CPU per request" times these shares give the microseconds each stage costs a request.
"""
import argparse
import collections
import subprocess
import sys

STAGES = [
    ("database", ("org.h2.",)),
    ("signature", ("EdDSA", "Ed25519")),
    ("handshake", ("scandium.dtls.Handshaker", "ClientHandshaker", "ServerHandshaker", "ECDSA", "XDH", "X25519")),
    ("dtls records", ("org.eclipse.californium.scandium",)),
    ("cbor", ("io.edgerent.protocol",)),
    ("hub", ("io.edgerent.hub", "io.edgerent.link")),
    ("coap", ("org.eclipse.californium",)),
]


def samples(recording):
    """Yields (start time, frames) of each CPU sample."""
    text = subprocess.run(
        ["jfr", "print", "--events", "jdk.ExecutionSample", "--stack-depth", "64", recording],
        check=True, capture_output=True, text=True).stdout
    start, frames = None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("startTime = "):
            start, frames = line.split("= ", 1)[1], []
        elif line == "]" and start is not None:
            yield start, frames
            start = None
        elif start is not None and "(" in line and not line.startswith(("sampledThread", "state", "stackTrace")):
            frames.append(line)


def stage(frames):
    for name, markers in STAGES:
        if any(m in f for f in frames for m in markers):
            return name
    return "other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recording")
    parser.add_argument("--from", dest="since", help="only samples at or after HH:MM:SS")
    parser.add_argument("--to", dest="until", help="only samples before HH:MM:SS")
    args = parser.parse_args()
    counts = collections.Counter()
    for start, frames in samples(args.recording):
        clock = start[:8]
        if (args.since and clock < args.since) or (args.until and clock >= args.until):
            continue
        counts[stage(frames)] += 1
    total = sum(counts.values())
    if total == 0:
        sys.exit("no CPU samples in " + args.recording)
    for name in [s for s, _ in STAGES] + ["other"]:
        print(f"{name:13s} {100.0 * counts[name] / total:5.1f} %  ({counts[name]} samples)")
    print(f"{'all':13s} 100.0 %  ({total} samples)")


if __name__ == "__main__":
    main()
