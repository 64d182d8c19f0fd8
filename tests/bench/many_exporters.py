#!/usr/bin/env python3
"""NetFlow v5 from many exporters at once, each on its own 127.0.0.0/8
address and source port, with its own sequence numbers: what a collector
with several sockets (netflow_udp instances = N) sees from a network.

    tests/bench/many_exporters.py PORT DATAGRAMS_PER_SECOND SECONDS [EXPORTERS]

Sends 30 flows a datagram, exporters in turn, paced in 1 ms steps; prints
"sent DATAGRAMS datagrams, FLOWS flows in SECONDS s".
"""
import socket
import struct
import sys
import time

port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
exporters = int(sys.argv[4]) if len(sys.argv) > 4 else 64
flows_per_datagram = 30

sockets = []
for n in range(exporters):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((f"127.1.{n // 250}.{n % 250 + 1}", 0))
    sockets.append(s)

# One datagram's records, the same for every datagram (the collector's work
# does not depend on their values): 10.0.0.x -> 172.16.0.y, TCP, 10 packets.
records = b"".join(
    struct.pack("!IIIHHIIIIHHBBBBHHBBH", 0x0A000000 + i, 0xAC100000 + i, 0, 1, 2, 10, 1500, 1000, 2000,
                40000 + i, 443, 0, 0x18, 6, 0, 0, 0, 24, 16, 0)
    for i in range(flows_per_datagram))
sequence = [0] * exporters
target = ("127.0.0.1", port)
total = int(rate * seconds)
start = time.monotonic()
sent = 0
while sent < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    while sent < due:
        n = sent % exporters
        now = time.time()
        header = struct.pack("!HHIIIIBBH", 5, flows_per_datagram, int((time.monotonic() - start) * 1000) + 5000,
                             int(now), int(now % 1 * 1e9), sequence[n], 0, 0, 0)
        sockets[n].sendto(header + records, target)
        sequence[n] += flows_per_datagram
        sent += 1
    time.sleep(0.001)
elapsed = time.monotonic() - start
print(f"sent {sent} datagrams, {sent * flows_per_datagram} flows in {elapsed:.2f} s")
