#!/usr/bin/python3
"""Writes a small traffic capture for exporters to turn into flows:
IPv4 and IPv6; TCP sessions with SYN/ACK/PSH/FIN/RST; UDP; ICMP and ICMPv6.
Usage: make_traffic.py OUTPUT.pcap"""
import sys

from scapy.all import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Raw, wrpcap

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
    frames = []
    for i, p in enumerate(packets):
        frame = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p
        frame.time = BASE_TIME + i * 0.01
        frames.append(frame)
    wrpcap(sys.argv[1], frames)


if __name__ == "__main__":
    main()
