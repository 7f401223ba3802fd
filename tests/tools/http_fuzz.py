#!/usr/bin/env python3
"""http_fuzz.py - a black-box fuzzer for `bex serve`'s request handling, run by test_serve.sh.

Sends N malformed, truncated, oversized or mutated HTTP requests over raw sockets to a running
server (random methods, paths, query strings, headers, keys, JSON and multipart bodies, bytes
of real photos with flips, requests cut mid-way), each on its own connection with a short
timeout, then checks that the server still answers /v1/health with 200. Prints a summary
line and exits 1 if the server stopped answering or answered a request with a 5xx other than
503.

    http_fuzz.py HOST PORT KEY PHOTO [N] [SEED]
"""
import random
import socket
import sys


def send(host, port, data, timeout=5.0):
    """Sends raw bytes; returns the status code, or None when the server closed or timed out."""
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        return None  # refused or reset at connect (the server's connection bounds): no answer
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered from the headers alone and closed: read that answer
        buf = b""
        while len(buf) < 64:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        if buf.startswith(b"HTTP/1.") and len(buf) >= 12:
            return int(buf[9:12])
        return None
    except (socket.timeout, OSError):
        return None
    finally:
        s.close()


def mutate(rnd, b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randint(0, 3)
        if op == 0 and b:
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        elif op == 1 and b:
            del b[rnd.randrange(len(b)):rnd.randrange(len(b)) + rnd.randint(1, 64)]
        elif op == 2:
            i = rnd.randrange(len(b) + 1)
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 32)))
        else:
            b = b[: rnd.randrange(len(b) + 1)]
    return bytes(b)


def request(rnd, key, photo):
    methods = [b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH", b"GE T", b"\x00"]
    paths = [b"/v1/exits", b"/v1/entries", b"/v1/manifests", b"/v1/verify", b"/v1/identify", b"/v1/subject",
             b"/v1/overstays", b"/v1/flags", b"/v1/audit/verify", b"/v1/purge", b"/v1/health", b"/metrics",
             b"/v1/openapi.json", b"/", b"/v1/", b"/v1/exits/../flags", b"/%00", b"/" + b"A" * 5000]
    queries = [b"", b"?port=JFK", b"?port=JFK&departure=NOPE", b"?mrz=%zz%", b"?id=-1", b"?id=99999999999999999999",
               b"?as_of=2026-02-30", b"?as_of=9999-12-31&policy=eu", b"?mrz=" + b"P" * 3000, b"?&&&=&",
               b"?fmr=1e-300", b"?fmr=nan", b"?at=2026-13-01T99:99:99Z&port=X&port_kind=air"]
    bodies = [b"", b"{", b'{"departure":"X","travellers":[' + b"[" * 2000, b'{"departure":' + b'"x"' * 1000 + b"}",
              photo, mutate(rnd, photo), photo[: len(photo) // 3], b"\xff\xd8\xff" + bytes(rnd.randrange(256) for _ in range(500)),
              b"\x89PNG\r\n\x1a\n" + bytes(64), b"\x00" * 100000]
    m, p, q = rnd.choice(methods), rnd.choice(paths), rnd.choice(queries)
    body = rnd.choice(bodies)
    headers = [b"Host: x"]
    if rnd.random() < 0.7:
        headers.append(b"Authorization: Bearer " + rnd.choice([key.encode(), b"0" * 64, b"", b"x" * 10000]))
    if rnd.random() < 0.3:
        bnd = b"B" + str(rnd.randrange(10 ** 6)).encode()
        parts = b""
        for name in rnd.sample([b"photo", b"doc_photo", b"a", b"b", b"mrz", b"port", b"x" * 40], rnd.randint(0, 4)):
            parts += b"--" + bnd + b'\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + \
                rnd.choice([photo, b"JFK", mutate(rnd, photo)]) + b"\r\n"
        body = parts + (b"--" + bnd + b"--\r\n" if rnd.random() < 0.8 else b"")
        headers.append(b"Content-Type: multipart/form-data; boundary=" + (bnd if rnd.random() < 0.9 else b""))
    length = len(body)
    if rnd.random() < 0.1:
        length = rnd.choice([0, length + 100, 2 ** 63, -1])
    headers.append(b"Content-Length: " + str(length).encode())
    if rnd.random() < 0.05:
        headers.append(b"X-Junk: " + b"j" * 300000)
    raw = m + b" " + p + q + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body
    return mutate(rnd, raw) if rnd.random() < 0.15 else raw


def main():
    host, port, key, photo_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    photo = open(photo_path, "rb").read()
    codes = {}
    bad = 0
    for _ in range(n):
        c = send(host, port, request(rnd, key, photo))
        codes[c] = codes.get(c, 0) + 1
        if c is not None and c >= 500 and c != 503:
            bad += 1
    health = send(host, port, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    summary = ", ".join("%s: %d" % (k, v) for k, v in sorted(codes.items(), key=lambda kv: str(kv[0])))
    print("http_fuzz: %d requests (%s); health afterwards: %s" % (n, summary, health))
    sys.exit(0 if health == 200 and bad == 0 else 1)


if __name__ == "__main__":
    main()
