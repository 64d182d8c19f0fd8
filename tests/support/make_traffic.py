#!/usr/bin/python3
"""Writes a small traffic capture for exporters to turn into flows:
IPv4 and IPv6; TCP sessions with SYN/ACK/PSH/FIN/RST; UDP; ICMP and ICMPv6.
With --more-headers, also what packet header parsers meet (sFlow agents
send raw headers): 802.1Q and QinQ tags, MPLS labels, IPv4 options and
fragments, IPv6 extension headers and fragments.
Usage: make_traffic.py OUTPUT.pcap [--more-headers]"""
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6EchoRequest, IPOption_RR, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, wrpcap)
from scapy.contrib.mpls import MPLS

BASE_TIME = 1795000000.0  # 2026-11-18 UTC


def tcp_session(ip, src, dst, sport, dport, data_packets, ending):
    packets = [ip(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="S"),
               ip(src=dst, dst=src) / TCP(sport=dport, dport=sport, flags="SA"),
               ip(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="A")]
    for i in range(data_packets):
        packets.append(ip(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="PA") / Raw(b"x" * (100 + i)))
        packets.append(ip(src=dst, dst=src) / TCP(sport=dport, dport=sport, flags="A"))
    packets.append(ip(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=ending))
    return packets


def main():
    v4 = IP
    v6 = IPv6
    packets = []
    for n in range(8):
        packets += tcp_session(v4, f"10.1.0.{n + 1}", "192.0.2.10", 40000 + n, 80 if n % 2 else 443, n + 1,
                               "FA" if n % 3 else "R")
        packets += tcp_session(v6, f"2001:db8::{n + 1:x}", "2001:db8:1::10", 41000 + n, 443, n + 2, "FA")
        packets.append(v4(src=f"10.2.0.{n + 1}", dst="198.51.100.53") / UDP(sport=5300 + n, dport=53) / Raw(b"q" * 40))
        packets.append(v4(src="198.51.100.53", dst=f"10.2.0.{n + 1}") / UDP(sport=53, dport=5300 + n) / Raw(b"a" * 120))
        packets.append(v6(src=f"2001:db8::{n + 100:x}", dst="2001:db8:1::123") / UDP(sport=123, dport=123) / Raw(b"n" * 48))
        packets.append(v4(src=f"10.3.0.{n + 1}", dst="192.0.2.1") / ICMP(type=8, code=0) / Raw(b"p" * 56))
        packets.append(v6(src=f"2001:db8::{n + 200:x}", dst="2001:db8:1::1") / ICMPv6EchoRequest() / Raw(b"p" * 56))
    frames = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p for p in packets]
    if "--more-headers" in sys.argv[2:]:
        frames += more_headers()
    for i, frame in enumerate(frames):
        frame.time = BASE_TIME + i * 0.01
    wrpcap(sys.argv[1], frames)


def more_headers():
    def ether():
        return Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04")
    frames = []
    for n in range(4):
        frames.append(ether() / Dot1Q(vlan=100 + n) / IP(src=f"10.4.0.{n + 1}", dst="192.0.2.20") /
                      TCP(sport=42000 + n, dport=22, flags="PA") / Raw(b"s" * 64))
        frames.append(ether() / Dot1Q(vlan=200 + n) / Dot1Q(vlan=300 + n) / IP(src=f"10.5.0.{n + 1}", dst="192.0.2.21") /
                      UDP(sport=5000 + n, dport=514) / Raw(b"l" * 80))
        frames.append(ether() / Dot1Q(vlan=400 + n) / IPv6(src=f"2001:db8:4::{n + 1:x}", dst="2001:db8:1::20") /
                      TCP(sport=43000 + n, dport=443, flags="S"))
        frames.append(ether() / MPLS(label=1000 + n, s=1) / IP(src=f"10.6.0.{n + 1}", dst="192.0.2.22") /
                      ICMP(type=0, code=0) / Raw(b"m" * 32))
        frames.append(ether() / IP(src=f"10.7.0.{n + 1}", dst="192.0.2.23", options=[IPOption_RR()]) /
                      UDP(sport=6000 + n, dport=6001) / Raw(b"o" * 20))
        frames.append(ether() / IP(src=f"10.8.0.{n + 1}", dst="192.0.2.24", flags="MF", id=n + 1) /
                      UDP(sport=7000 + n, dport=7001) / Raw(b"f" * 64))
        frames.append(ether() / IP(src=f"10.8.0.{n + 1}", dst="192.0.2.24", frag=9, id=n + 1, proto=17) /
                      Raw(b"f" * 40))
        frames.append(ether() / IPv6(src=f"2001:db8:5::{n + 1:x}", dst="2001:db8:1::21") / IPv6ExtHdrHopByHop() /
                      IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt() / TCP(sport=44000 + n, dport=80, flags="FA"))
        frames.append(ether() / IPv6(src=f"2001:db8:6::{n + 1:x}", dst="2001:db8:1::22") /
                      IPv6ExtHdrFragment(offset=0, m=1, id=n + 1) / UDP(sport=8000 + n, dport=8001) / Raw(b"g" * 96))
        frames.append(ether() / IPv6(src=f"2001:db8:6::{n + 1:x}", dst="2001:db8:1::22") /
                      IPv6ExtHdrFragment(offset=13, m=0, id=n + 1, nh=17) / Raw(b"g" * 24))
    return frames


if __name__ == "__main__":
    main()
