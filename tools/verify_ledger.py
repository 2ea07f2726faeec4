#!/usr/bin/env python3
"""Independent ledger-log verifier written from docs/FORMAT.md (part 1) alone.

Written by an engineer who read only the format document, in another language, to check
that the document is enough to read and verify a ledger without our Swift code. The test
suite (Tests/LedgerTests/IndependentVerifierTests.swift) runs it against ledgers the Swift
code wrote and compares heads, chain hashes and corruption reports.

Usage: tools/verify_ledger.py DIR/log [N]   (prints the head; N: also the first N records)
Exit 0 when every check passes (a torn tail is reported, not a failure), 1 on corruption.
Needs python3 and the zstd command-line tool.
"""
import hashlib, os, re, struct, subprocess, sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF

class Corrupt(Exception): pass

def varint(buf, off, end):
    v = 0; shift = 0; start = off
    while True:
        if off >= end or off - start >= 10: raise Corrupt("bad varint")
        b = buf[off]; off += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0 and off - start > 1: raise Corrupt("overlong varint")
            if v >= 1 << 64: raise Corrupt("varint overflow")
            return v, off
        shift += 7

def decompress(frame):
    r = subprocess.run(["zstd", "-dc", "-q"], input=frame, capture_output=True)
    if r.returncode != 0: raise Corrupt("zstd: " + r.stderr.decode().strip())
    return r.stdout

def verify(directory):
    if open(os.path.join(directory, "FORMAT"), "rb").read() != b"ledger-log 1\n": raise SystemExit("not a ledger")
    segs = []
    for name in os.listdir(directory):
        m = re.fullmatch(r"segment-(\d{20})\.zst", name)
        if m and int(m.group(1)) >= 1: segs.append((int(m.group(1)), name))
    segs.sort()
    expected = 1; chain = bytes(32); records = []; torn = None
    for index, (first, name) in enumerate(segs):
        last_seg = index == len(segs) - 1
        path = os.path.join(directory, name)
        data = open(path, "rb").read()
        def fail(off, pos, why): raise Corrupt(f"{name} offset {off} position {pos}: {why}")
        if first != expected: fail(0, expected, "segment name / gap")
        if len(data) == 0:
            if last_seg: torn = (name, 0, "emptySegment"); break
            fail(0, expected, "empty segment")
        off = 0
        while off < len(data):
            rest = data[off:]
            if all(b == 0 for b in rest) or len(rest) < 72:
                if last_seg: torn = (name, off, "zeroTail" if all(b == 0 for b in rest) else "endsInsideMetadata"); break
                fail(off, expected, "incomplete batch")
            md = rest[:72]
            magic, size = struct.unpack_from("<II", md, 0)
            if magic != 0x184D2A5C or size != 64 or md[8:12] != b"LLM1": fail(off, expected, "bad metadata header")
            if crc32c(md[:68]) != struct.unpack_from("<I", md, 68)[0]: fail(off, expected, "metadata CRC")
            fp, count, ub, fb, fcrc = struct.unpack_from("<QIIII", md, 12)
            h = md[36:68]
            if not (1 <= count <= 1 << 20 and 24 <= ub <= 64 << 20 and 1 <= fb <= 65 << 20 and fp >= 1): fail(off, expected, "metadata range")
            if fp != expected: fail(off, expected, "gap")
            if len(rest) < 72 + fb:
                if last_seg: torn = (name, off, "endsInsideFrame"); break
                fail(off, expected, "incomplete frame")
            frame = rest[72:72 + fb]
            if crc32c(frame) != fcrc: fail(off + 72, fp, "frame CRC")
            if frame[:4] != b"\x28\xb5\x2f\xfd" or not frame[4] & 0x04: fail(off + 72, fp, "frame header")
            content = decompress(frame)
            if len(content) != ub: fail(off + 72, fp, "content size")
            if content[:4] != b"LLB1" or struct.unpack_from("<QI", content, 4) != (fp, count): fail(off + 72, fp, "batch header")
            at = struct.unpack_from("<q", content, 16)[0]
            c = 24
            for k in range(count):
                fields = []
                for limit in (1024, 1024):
                    n, c = varint(content, c, ub)
                    if n > limit or c + n > ub: fail(off, fp + k, "field")
                    fields.append(content[c:c + n]); c += n
                typ, c = varint(content, c, ub)
                if typ > 65535: fail(off, fp + k, "type")
                z, c = varint(content, c, ub)
                d = (z >> 1) ^ -(z & 1)
                at = ((at + d + (1 << 63)) % (1 << 64)) - (1 << 63)
                for limit in (1024, 8 << 20):
                    n, c = varint(content, c, ub)
                    if n > limit or c + n > ub: fail(off, fp + k, "field")
                    fields.append(content[c:c + n]); c += n
                records.append((fp + k, fields[0], fields[1], typ, at, fields[2], fields[3]))
            if c != ub: fail(off, fp, "trailing bytes")
            chain = hashlib.sha256(chain + content).digest()
            if chain != h: fail(off, fp, "chain")
            expected = fp + count
            off += 72 + fb
    return expected - 1, chain.hex(), torn, records

if __name__ == "__main__":
    try:
        head, chain, torn, records = verify(sys.argv[1])
        print(f"OK head {head} {chain} records {len(records)} torn {torn}")
        if len(sys.argv) > 2:
            for r in records[: int(sys.argv[2])]: print(r)
    except Corrupt as e:
        print("CORRUPT", e); sys.exit(1)
