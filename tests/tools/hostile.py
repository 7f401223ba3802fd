#!/usr/bin/env python3
"""hostile.py - a hostile network's clients for test_serve_hostile.sh and bench_serve_idle.sh.

    hostile.py idle HOST PORT N SRC HOLD STOPFILE [K] [INTERVAL]
                                           N connections from address SRC (127.0.0.x): every
                                           Kth (3; 0: none) sends nothing, the rest half a header and then a
                                           byte every INTERVAL seconds (0.5: a slowloris); prints how many
                                           are still open after a second ("open K of N"), holds
                                           them HOLD seconds or until STOPFILE exists, then
                                           prints how many of each kind are still open
                                           ("after HOLD s: silent open A slow open B")
    hostile.py flood HOST PORT N PATH      N keyless requests, one connection each; prints the
                                           count of each status ("401 2990 429 10")
    hostile.py png W H FILE                a valid PNG header declaring W x H (grey, 8 bits)
                                           with a tiny compressed IDAT: a few hundred bytes
"""
import os
import select
import socket
import struct
import sys
import time
import zlib


def still_open(s):
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return True
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def idle(host, port, n, src, hold, stop, silent_every=3, interval=0.5):
    silent, slow = [], []
    for i in range(n):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            s.settimeout(2)
            s.connect((host, port))
            s.setblocking(False)
            if not silent_every or i % silent_every:  # a slow client: half a request, then a byte every interval, never the end
                s.send(b"POST /v1/exits?port=JFK HTTP/1.1\r\nHost: x\r\n")
                slow.append(s)
            else:  # connects and sends nothing
                silent.append(s)
        except OSError:
            pass
    time.sleep(1)
    print("open %d of %d" % (sum(still_open(s) for s in silent + slow), n), flush=True)
    end = time.time() + hold
    while time.time() < end and not os.path.exists(stop):
        time.sleep(interval)
        for s in slow:
            try:
                s.send(b"X")
            except OSError:
                pass
    print("after %d s: silent open %d slow open %d" % (hold, sum(still_open(s) for s in silent),
                                                      sum(still_open(s) for s in slow)), flush=True)
    for s in silent + slow:
        s.close()


def flood(host, port, n, path):
    codes = {}
    req = ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode()
    for _ in range(n):
        c = "none"
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(req)
            buf = b""
            while len(buf) < 12:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            if buf.startswith(b"HTTP/1.") and len(buf) >= 12:
                c = buf[9:12].decode()
            s.close()
        except OSError:
            pass
        codes[c] = codes.get(c, 0) + 1
    print(" ".join("%s %d" % kv for kv in sorted(codes.items())))


def png(w, h, path):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)  # the first rows; the rest is missing
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    open(path, "wb").write(data)


def main():
    a = sys.argv
    if a[1] == "idle":
        idle(a[2], int(a[3]), int(a[4]), a[5], int(a[6]), a[7], int(a[8]) if len(a) > 8 else 3,
             float(a[9]) if len(a) > 9 else 0.5)
    elif a[1] == "flood":
        flood(a[2], int(a[3]), int(a[4]), a[5])
    elif a[1] == "png":
        png(int(a[2]), int(a[3]), a[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
