# Writes a small capture for softflowd: TCP handshakes over IPv4, an IPv6
# UDP exchange and an ICMP echo, with fixed timestamps.
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, wrpcap

start = 1700000000.0
packets = []
def add(packet, at):
    packet.time = start + at
    packets.append(packet)

for i in range(20):
    client = "10.0.0.%d" % (i + 1)
    add(Ether() / IP(src=client, dst="192.168.1.1") / TCP(sport=1000 + i, dport=80, flags="S"), i)
    add(Ether() / IP(src="192.168.1.1", dst=client) / TCP(sport=80, dport=1000 + i, flags="SA"), i + 0.5)
    add(Ether() / IP(src=client, dst="192.168.1.1") / TCP(sport=1000 + i, dport=80, flags="PA") / Raw(b"GET /"), i + 0.7)
add(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=5353) / Raw(b"x" * 40), 30)
add(Ether() / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=5353, dport=53) / Raw(b"y" * 80), 30.25)
add(Ether() / IP(src="1.2.3.4", dst="5.6.7.8") / ICMP(type=8, code=0), 31)
wrpcap(sys.argv[1], packets)
