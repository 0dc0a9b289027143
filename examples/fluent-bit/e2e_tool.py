#!/usr/bin/env python3
"""Helpers of e2e.sh (standard library only).

  e2e_tool.py send PORT TAG EVENTS.ndjson > expected.json
      Sends hostile items to Fluent Bit's forward input (PackedForward mode,
      whose entries Fluent Bit appends as the bytes it received): events
      whose metadata holds key material at depth, every framing width,
      legacy [timestamp, record] items, spoofed and OTLP-like group markers
      carrying key material, items Fluent Bit's decoder cannot read, a
      record holding the raw-text member, and binary garbage. Prints what
      the plugin must make of them.

  e2e_tool.py check-hostile OUTDIR EXPECTED.json MODE
      Checks the msgpack files the file output wrote (MODE tag_prefix: one
      file per tag; route_field: the original tag and the dead letters).

  e2e_tool.py metrics SCRAPE.txt FILTER_NAME
      Prints the plugin's counters of a Prometheus scrape as JSON.

  e2e_tool.py compare MODE OUTDIR HOSTDIRS EVENTS METRICS.json [STRIP]
      Compares what a tail pipeline wrote (file output, Format plain, one
      file per tag) with examples/c/kpaudit_host's output (HOSTDIRS,
      comma-separated) on the same events, and the scraped counters with
      both. STRIP: comma-separated members the pipeline adds (Path_Key).

Every planted value contains SECRET and sits under a key-material name, so
no output byte may contain SECRET.
"""
import collections
import json
import re
import socket
import struct
import sys

KEY_MATERIAL = {"payload", "encryptednonce", "iv", "plaintext", "ciphertext",
                "aad", "nonce", "authorization"}

# ---------------------------------------------------------------------------
# MessagePack with the width chosen by the caller ("min", 16 or 32)
# ---------------------------------------------------------------------------


def mp_map_header(n, width="min"):
    if width == "min" and n < 16:
        return bytes([0x80 | n])
    if width in ("min", 16) and n < 65536:
        return b"\xde" + struct.pack(">H", n)
    return b"\xdf" + struct.pack(">I", n)


def mp_array_header(n, width="min"):
    if width == "min" and n < 16:
        return bytes([0x90 | n])
    if width in ("min", 16) and n < 65536:
        return b"\xdc" + struct.pack(">H", n)
    return b"\xdd" + struct.pack(">I", n)


def mp_str(s, width="min"):
    b = s if isinstance(s, bytes) else s.encode("utf-8")
    n = len(b)
    if width == "min" and n < 32:
        return bytes([0xa0 | n]) + b
    if width in ("min", 8) and n < 256:
        return b"\xd9" + bytes([n]) + b
    if width in ("min", 8, 16) and n < 65536:
        return b"\xda" + struct.pack(">H", n) + b
    return b"\xdb" + struct.pack(">I", n) + b


def mp_bin(b):
    if len(b) < 256:
        return b"\xc4" + bytes([len(b)]) + b
    if len(b) < 65536:
        return b"\xc5" + struct.pack(">H", len(b)) + b
    return b"\xc6" + struct.pack(">I", len(b)) + b


def mp(v, width="min"):
    """Encodes a JSON-like value; maps and arrays in the given width."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if v >= 0:
            return b"\xcf" + struct.pack(">Q", v)
        if v >= -32:
            return struct.pack(">b", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        return mp_str(v)
    if isinstance(v, bytes):
        return mp_bin(v)
    if isinstance(v, list):
        return mp_array_header(len(v), width) + b"".join(mp(x, width) for x in v)
    if isinstance(v, dict):
        return mp_map_header(len(v), width) + b"".join(
            mp(k, width) + mp(x, width) for k, x in v.items())
    raise TypeError(type(v))


def event_time(sec, nsec=0):
    return b"\xd7\x00" + struct.pack(">II", sec & 0xffffffff, nsec)


def framed(ts, metadata, body, root="min", header="min", maps="min"):
    """[[ts, metadata], body]; metadata None gives the legacy [ts, body]."""
    if metadata is None:
        return mp_array_header(2, root) + ts + mp(body, maps)
    return (mp_array_header(2, root) + mp_array_header(2, header) + ts +
            mp(metadata, maps) + mp(body, maps))


def read(buf, off):
    """Decodes the value at off: (value, next offset). Ext is ('ext', type, data)."""
    b = buf[off]
    off += 1
    if b <= 0x7f:
        return b, off
    if b >= 0xe0:
        return b - 0x100, off
    if 0x80 <= b <= 0x8f or b in (0xde, 0xdf):
        if b <= 0x8f:
            n = b & 0x0f
        elif b == 0xde:
            n, = struct.unpack_from(">H", buf, off); off += 2
        else:
            n, = struct.unpack_from(">I", buf, off); off += 4
        d = {}
        for _ in range(n):
            k, off = read(buf, off)
            v, off = read(buf, off)
            d[k if not isinstance(k, (dict, list)) else repr(k)] = v
        return d, off
    if 0x90 <= b <= 0x9f or b in (0xdc, 0xdd):
        if b <= 0x9f:
            n = b & 0x0f
        elif b == 0xdc:
            n, = struct.unpack_from(">H", buf, off); off += 2
        else:
            n, = struct.unpack_from(">I", buf, off); off += 4
        a = []
        for _ in range(n):
            v, off = read(buf, off)
            a.append(v)
        return a, off
    if 0xa0 <= b <= 0xbf or b in (0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6):
        if 0xa0 <= b <= 0xbf:
            n = b & 0x1f
        else:
            w = {0xd9: 1, 0xc4: 1, 0xda: 2, 0xc5: 2, 0xdb: 4, 0xc6: 4}[b]
            n = int.from_bytes(buf[off:off + w], "big"); off += w
        raw = bytes(buf[off:off + n])
        off += n
        return (raw.decode("utf-8", "replace") if b not in (0xc4, 0xc5, 0xc6) else raw), off
    simple = {0xc0: None, 0xc2: False, 0xc3: True}
    if b in simple:
        return simple[b], off
    if b in (0xcc, 0xcd, 0xce, 0xcf):
        w = 1 << (b - 0xcc)
        return int.from_bytes(buf[off:off + w], "big"), off + w
    if b in (0xd0, 0xd1, 0xd2, 0xd3):
        w = 1 << (b - 0xd0)
        return int.from_bytes(buf[off:off + w], "big", signed=True), off + w
    if b == 0xca:
        return struct.unpack_from(">f", buf, off)[0], off + 4
    if b == 0xcb:
        return struct.unpack_from(">d", buf, off)[0], off + 8
    if 0xd4 <= b <= 0xd8:
        n = 1 << (b - 0xd4)
        return ("ext", buf[off], bytes(buf[off + 1:off + 1 + n])), off + 1 + n
    if b in (0xc7, 0xc8, 0xc9):
        w = 1 << (b - 0xc7)
        n = int.from_bytes(buf[off:off + w], "big"); off += w
        return ("ext", buf[off], bytes(buf[off + 1:off + 1 + n])), off + 1 + n
    raise ValueError("byte 0x%02x at %d" % (b, off - 1))


def items(buf):
    off = 0
    while off < len(buf):
        v, off = read(buf, off)
        yield v


def marker_kind(item):
    """'start', 'end' or None for a decoded [[ts, meta], body] item."""
    if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)):
        return None
    ts = item[0][0]
    if isinstance(ts, tuple) and ts[0] == "ext" and ts[1] == 0 and len(ts[2]) == 8:
        sec, nsec = struct.unpack(">II", ts[2])
        if nsec == 0 and sec == 0xffffffff:
            return "start"
        if nsec == 0 and sec == 0xfffffffe:
            return "end"
    return None


def is_envelope(v):
    """Activity Tracker's ingestion envelope {"payload": {event}}: kpaudit
    transforms the event inside; any other payload is key material."""
    return (isinstance(v, dict) and isinstance(v.get("payload"), dict) and
            isinstance(v["payload"].get("action"), str))


def severity_of(r):
    return r["payload"].get("severity") if is_envelope(r) else r.get("severity")


def leaks(v, path="$"):
    if isinstance(v, dict):
        for k, child in v.items():
            if path == "$" and k == "payload" and is_envelope(v):
                yield from leaks(child, "$.payload")
                continue
            if isinstance(k, str) and k.lower() in KEY_MATERIAL:
                yield path + "." + k
            yield from leaks(child, "%s.%s" % (path, k))
    elif isinstance(v, list):
        for i, child in enumerate(v):
            yield from leaks(child, "%s[%d]" % (path, i))

# ---------------------------------------------------------------------------
# send
# ---------------------------------------------------------------------------


def hostile(events):
    """Messages (lists of (kind, bytes) items) and the expected outcome."""
    now = 1764000000
    # JSON text holding key material, as a string: a request body kept as
    # text, a raw line saved in metadata
    text = lambda name, i: json.dumps({"id": i, name: "SECRET-TEXT-%s-%d" % (name, i)})
    meta = lambda i: {"otel": {"resource": {"attributes": {
        "iv": "SECRET-META-IV-%d" % i, "host.name": "h%d" % i,
        "log.record.original": text("Payload", i)}}},
        "payload": "SECRET-META-PAYLOAD-%d" % i,
        "list": [{"nonce": "SECRET-META-NONCE-%d" % i}, text("iv", i)]}
    ev = iter(events)

    def body(i):
        b = dict(next(ev))
        b["payload"] = "SECRET-BODY-%d" % i
        b.setdefault("requestData", {})["aad"] = "SECRET-BODY-AAD-%d" % i
        b["requestData"]["body"] = text("plaintext", i)
        return b

    msgs = []
    # events in every framing width, metadata with key material at depth
    widths = [("min", "min", "min"), (16, 16, 16), (32, 32, 32), (32, "min", 16),
              ("min", 32, 32), (16, "min", "min")]
    m = []
    for i in range(36):
        r, h, w = widths[i % len(widths)]
        ts = event_time(now + i, i) if i % 3 else mp(now + i)
        if i % 9 == 4:
            m.append(("event", framed(ts, None, body(i), root=r, maps=w)))  # legacy
        else:
            m.append(("event", framed(ts, meta(i), body(i), r, h, w)))
    msgs.append(m)

    # a spoofed group start: an event timestamped one second before 1970
    # is encoded exactly so; Fluent Bit takes it for a marker
    m = [("start", framed(event_time(0xffffffff), {"payload": "SECRET-SPOOF-META"},
                          {"payload": "SECRET-SPOOF-BODY", "action": "kms.secrets.create"}))]
    m += [("event", framed(event_time(now), {}, body(100 + i))) for i in range(5)]
    m.append(("end", framed(event_time(0xfffffffe), {}, {"nonce": "SECRET-SPOOF-END"})))
    msgs.append(m)

    # an OTLP-like group: resource and scope attributes with key material
    m = [("start", framed(event_time(0xffffffff),
                          {"schema": "otlp", "resource_id": 0, "scope_id": 0},
                          {"resource": {"attributes": {"service.name": "kp",
                                                       "authorization": "SECRET-GROUP-AUTH"}},
                           "scope": {"name": "kp", "attributes": {
                               "aad": "SECRET-GROUP-AAD", "x": [{"iv": "SECRET-GROUP-IV"}]}}},
                          maps=32))]
    m += [("event", framed(event_time(now), {"otlp": {"attributes": {
        "plaintext": "SECRET-OTLP-ATTR-%d" % i}}}, body(200 + i))) for i in range(7)]
    m.append(("end", framed(event_time(0xfffffffe), {}, {})))
    # items Fluent Bit's decoder cannot read, or skips
    deep = mp_array_header(2) + mp_array_header(2) + event_time(now) + b"\x80" + \
        b"\x81\xa1n" + b"\x91" * 69 + b"\x90"
    m += [
        ("invalid_frame", mp_array_header(2) + mp_array_header(2) + b"\xff" + b"\x80" +
         mp({"payload": "SECRET-NEGATIVE-TS"})),
        ("invalid_frame", mp({"payload": "SECRET-BARE-MAP", "action": "kms.secrets.read"})),
        ("invalid_frame", mp_array_header(1) + mp({"payload": "SECRET-SINGLE"})),
        ("invalid_frame", mp_array_header(2) + mp_array_header(2) + event_time(now) +
         mp_str("not a map") + mp({"payload": "SECRET-META-STRING"})),
        ("invalid_frame", mp_array_header(2) + mp_array_header(2) + event_time(now) + b"\x80" +
         mp(["payload", "SECRET-BODY-ARRAY"])),
        ("invalid_frame", mp_array_header(2) + mp_array_header(2) + b"\xd7\x01" +
         struct.pack(">II", now, 0) + b"\x80" + mp({"payload": "SECRET-EXT1"})),
        ("invalid_frame", mp_array_header(2) + mp_array_header(2) + b"\xca\x4f\x00\x00\x00" +
         b"\x80" + mp({"payload": "SECRET-FLOAT32"})),
        ("invalid_frame", deep),
        # a record holding the raw-text member, whatever else it holds
        ("unparsed", framed(event_time(now), {}, {
            "log": '{"action": "kms.secrets.create", "payload": "SECRET-RAW-LINE"',
            "filename": "/var/log/keyprotect/a.ndjson"})),
        # metadata that is not UTF-8: the item is rejected as a whole
        ("invalid_event", mp_array_header(2) + mp_array_header(2) + event_time(now) +
         b"\x82" + mp_str("k") + b"\xa2\xc3\x28" + mp_str("payload") +
         mp_str("SECRET-BAD-UTF8") + mp(body(300))),
        # a group start marker that fails the scan is rejected, not forwarded
        ("invalid_event", mp_array_header(2) + mp_array_header(2) + event_time(0xffffffff) +
         b"\x80" + b"\x82\xa1k\xa2\xc3\x28" + mp_str("iv") + mp_str("SECRET-BAD-MARKER")),
    ]
    msgs.append(m)
    # binary garbage: the rest of its append is one undecodable item
    msgs.append([("undecodable", b"\xc1\x00SECRET-GARBAGE\xff\xfe\x80")])
    return msgs


def send(port, tag, events_path):
    events = []
    with open(events_path, "rb") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict) and "payload" not in e:
                events.append(e)
            if len(events) >= 400:
                break
    msgs = hostile(events)
    expected = collections.Counter(kind for m in msgs for kind, _ in m)
    sock = socket.create_connection(("127.0.0.1", port))
    for m in msgs:
        entries = b"".join(b for _, b in m)
        sock.sendall(mp_array_header(2) + mp_str(tag) + mp_bin(entries))
    sock.close()
    print(json.dumps({
        "items": sum(expected.values()),
        "events": expected["event"],
        "markers": {"start": expected["start"], "end": expected["end"]},
        "rejected": {k: v for k, v in expected.items()
                     if k not in ("event", "start", "end")},
    }, sort_keys=True))

# ---------------------------------------------------------------------------
# check-hostile
# ---------------------------------------------------------------------------


def check_hostile(outdir, expected_path, mode):
    import os
    expected = json.load(open(expected_path))
    failures = []
    events, markers, dead = 0, collections.Counter(), collections.Counter()
    for name in sorted(os.listdir(outdir)):
        raw = open(os.path.join(outdir, name), "rb").read()
        if b"SECRET" in raw:
            failures.append("%s holds planted key material (SECRET at byte %d)"
                            % (name, raw.index(b"SECRET")))
        depth = 0
        for it in items(raw):
            kind = marker_kind(it)
            if kind == "start":
                markers["start"] += 1
                depth += 1
            elif kind == "end":
                markers["end"] += 1
                depth -= 1
                if depth < 0:
                    failures.append("%s: a group end without its start" % name)
            elif name == "kpaudit_rejected":
                body = it[1]
                if set(body) != {"error", "message", "tag", "bytes"}:
                    failures.append("dead letter with members %s" % sorted(body))
                dead[body.get("error")] += 1
            else:
                events += 1
                if severity_of(it[1]) is None:
                    failures.append("%s: an event without severity" % name)
                if mode == "route_field" and "route" not in it[1]:
                    failures.append("%s: an event without its route" % name)
            if isinstance(it, list) and len(it) == 2:
                found = list(leaks(it[0], "$header")) + list(leaks(it[1]))
            else:
                found = list(leaks(it, "$item"))
            for where in found:
                failures.append("%s: key material at %s" % (name, where))
        if depth != 0:
            failures.append("%s: %d groups left open" % (name, depth))
        if mode == "tag_prefix" and name not in ("kpaudit_rejected",) and \
                not name.startswith("kpaudit."):
            failures.append("unexpected output %s" % name)
    print("hostile (%s): events %d (expected %d), dead letters %s (expected %s), "
          "markers in outputs %s (sent %s)" % (mode, events, expected["events"],
                                               dict(dead), expected["rejected"],
                                               dict(markers), expected["markers"]))
    if events != expected["events"]:
        failures.append("events %d, expected %d" % (events, expected["events"]))
    if dict(dead) != expected["rejected"]:
        failures.append("dead letters %s, expected %s" % (dict(dead), expected["rejected"]))
    if mode == "route_field" and dict(markers) != expected["markers"]:
        failures.append("markers forwarded %s, expected %s" % (dict(markers), expected["markers"]))
    if mode == "tag_prefix" and markers["start"] < 1:
        failures.append("no emitted run was wrapped in its group")
    for f in failures[:30]:
        print("FAIL:", f)
    return 1 if failures else 0

# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------


def metrics(path, name):
    out = collections.defaultdict(dict)
    line_re = re.compile(r'^(fluentbit_[a-z_]+)\{([^}]*)\}\s+([0-9.e+-]+)')
    for line in open(path, encoding="utf-8"):
        m = line_re.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2)))
        metric = m.group(1)
        value = int(float(m.group(3)))
        if metric.startswith("fluentbit_filter_kpaudit_"):
            if labels.get("name") != name:
                continue
            key = next((v for k, v in labels.items() if k != "name"), "")
            out[metric[len("fluentbit_filter_kpaudit_"):]][key] = value
        elif metric.startswith(("fluentbit_filter_", "fluentbit_input_records_total",
                                "fluentbit_output_proc_records_total",
                                "fluentbit_input_long_line_truncated_total")):
            out[metric[len("fluentbit_"):]][labels.get("name", "")] = value
    print(json.dumps(out, sort_keys=True))
    return 0


def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def canon(r):
    return json.dumps(r, sort_keys=True, ensure_ascii=False)


def compare(mode, outdir, hostdirs, events_path, metrics_path, strip=""):
    import os
    strip = [m for m in strip.split(",") if m]
    failures = []
    host = {}
    for d in hostdirs.split(","):
        for name in os.listdir(d):
            if name.endswith(".ndjson") and name != "dead-letter.ndjson":
                host.setdefault(name[:-len(".ndjson")], []).extend(
                    records(os.path.join(d, name)))
    with open(events_path, "rb") as f:
        lengths = [len(line) for line in f]
    input_lines = len(lengths)
    long_lines = sum(1 for n in lengths if n > (2 << 20))   # Buffer_Max_Size 2M

    flb, dead = collections.defaultdict(list), []
    for name in sorted(os.listdir(outdir)):
        path = os.path.join(outdir, name)
        if name == "kpaudit_rejected":
            dead = records(path)
        elif mode == "tag_prefix" and name.startswith("kpaudit."):
            flb[name[len("kpaudit."):]] = records(path)
        elif mode == "route_field" and name == "keyprotect":
            for r in records(path):
                route = r.pop("route", None)
                if route is None and is_envelope(r):   # written into the event
                    route = r["payload"].pop("route", None)
                for m in strip:
                    if m not in r:
                        failures.append("a record without %s" % m)
                    r.pop(m, None)
                flb[route].append(r)
        else:
            failures.append("unexpected output file %s (%d lines)"
                            % (name, len(records(path))))
    emitted = sum(len(v) for v in flb.values())
    host_emitted = sum(len(v) for v in host.values())

    print("%-12s %8s %8s" % ("route", "host", "plugin"))
    for route in sorted(set(host) | set(flb), key=str):
        h, p = host.get(route, []), flb.get(route, [])
        print("%-12s %8d %8d" % (route, len(h), len(p)))
        if len(h) != len(p):
            failures.append("route %s: host %d events, plugin %d" % (route, len(h), len(p)))
        hc = collections.Counter(canon(r) for r in h)
        pc = collections.Counter(canon(r) for r in p)
        if hc != pc:
            failures.append("route %s: %d host records missing, %d plugin records extra"
                            % (route, sum((hc - pc).values()), sum((pc - hc).values())))
        for r in p:
            if severity_of(r) is None:
                failures.append("route %s: a record without severity" % route)
                break
            if "log" in r:
                failures.append("route %s: a record holding a raw line" % route)
                break
            for where in leaks(r):
                failures.append("key material in route %s at %s" % (route, where))
    sev = collections.Counter(severity_of(r) for v in flb.values() for r in v)
    print("severity (plugin):", dict(sorted(sev.items())))
    for d in dead:
        if set(d) != {"error", "message", "tag", "bytes"}:
            failures.append("dead letter with members %s" % sorted(d))
            break
    reasons = collections.Counter(d.get("error") for d in dead)
    print("input lines %d = emitted %d + dead letters %d (%s)"
          % (input_lines, emitted, len(dead), dict(sorted(reasons.items()))))
    print("expected (host): emitted %d, rejected %d"
          % (host_emitted, input_lines - host_emitted))
    if len(dead) != input_lines - host_emitted:
        failures.append("dead letters %d, host rejected %d"
                        % (len(dead), input_lines - host_emitted))
    if input_lines != emitted + len(dead):
        failures.append("input lines %d != emitted %d + dead letters %d"
                        % (input_lines, emitted, len(dead)))

    # the counters, scraped while everything was written
    m = json.load(open(metrics_path))
    routed = m.get("records_total", {})
    rejected = m.get("rejected_records_total", {})
    markers = m.get("group_markers_total", {})
    handed = m.get("emitter_handed_records_total", {})
    accepted = m.get("emitter_accepted_records_total", {})
    refused = m.get("emitter_refused_records_total", {})
    fb_in = m.get("input_records_total", {})
    print("metrics: routed %d, rejected %d %s, markers %d; emitter handed %s accepted %s "
          "refused %s; Fluent Bit: input %s, filter records %s, dropped %s"
          % (sum(routed.values()), sum(rejected.values()),
             {k: v for k, v in rejected.items() if v}, sum(markers.values()),
             handed, accepted, refused, fb_in, m.get("filter_records_total"),
             m.get("filter_drop_records_total")))
    for route in set(routed) | set(flb):
        if not flb.get(route):
            failures.append("route %s delivered nothing" % route)
        if routed.get(route, 0) != len(flb.get(route, [])):
            failures.append("metric: route %s counted %d, delivered %d"
                            % (route, routed.get(route, 0), len(flb.get(route, []))))
    if sum(routed.values()) + sum(rejected.values()) + sum(markers.values()) != input_lines:
        failures.append("metric: routed + rejected + markers != input lines %d" % input_lines)
    if sum(m.get("severity_records_total", {}).values()) != emitted:
        failures.append("metric: severities do not add up to the records routed")
    if {k: v for k, v in rejected.items() if v} != dict(reasons):
        failures.append("metric: rejected %s, dead letters %s" % (rejected, dict(reasons)))
    want_events = emitted if mode == "tag_prefix" else 0
    if handed.get("event") != want_events or accepted.get("event") != want_events:
        failures.append("metric: events handed/accepted by the emitter %s/%s, expected %d"
                        % (handed.get("event"), accepted.get("event"), want_events))
    if handed.get("dead_letter") != len(dead) or accepted.get("dead_letter") != len(dead):
        failures.append("metric: dead letters handed/accepted %s/%s, expected %d"
                        % (handed.get("dead_letter"), accepted.get("dead_letter"), len(dead)))
    if sum(refused.values()) != 0:
        failures.append("metric: the emitter refused %s" % refused)
    emitter = next((v for k, v in fb_in.items() if k.startswith("emitter_for_")), None)
    if emitter != want_events + len(dead):
        failures.append("Fluent Bit: the emitter ingested %s records, expected %d"
                        % (emitter, want_events + len(dead)))
    source = next((v for k, v in fb_in.items() if k.startswith("tail.")), None)
    if source != input_lines:
        failures.append("Fluent Bit: tail ingested %s records, expected %d" % (source, input_lines))
    truncated = sum(m.get("input_long_line_truncated_total", {}).values())
    if truncated != long_lines:
        failures.append("Fluent Bit: tail truncated %d lines, the input has %d longer than 2M"
                        % (truncated, long_lines))
    drop = sum(m.get("filter_drop_records_total", {}).values())
    want_drop = input_lines if mode == "tag_prefix" else len(dead)
    if drop != want_drop:
        failures.append("Fluent Bit: filter dropped %d records, expected %d" % (drop, want_drop))

    for f in failures[:40]:
        print("FAIL:", f)
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "send":
        send(int(argv[2]), argv[3], argv[4])
        return 0
    if len(argv) >= 5 and argv[1] == "check-hostile":
        return check_hostile(argv[2], argv[3], argv[4])
    if len(argv) >= 4 and argv[1] == "metrics":
        return metrics(argv[2], argv[3])
    if len(argv) >= 7 and argv[1] == "compare":
        return compare(*argv[2:9])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
