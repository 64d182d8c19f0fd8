#!/usr/bin/python3
"""Prints tshark's reading of every flow sample in a capture of sFlow
datagrams, one line each: agent, source and destination address, protocol,
source and destination port (ICMP: 0 and type * 256 + code, as NetFlow
puts them), TCP flags, ToS (IPv6: traffic class), frame length, sampling
rate, source and destination MAC, and VLANs in and out (the extended switch
record's, or else the header's outer tag in). tshark dissects each sampled
header itself; fragments are not reassembled, as an sFlow agent samples
each on its own.
Usage: tshark_samples.py CAPTURE PORT"""
import json
import subprocess
import sys


def as_list(value):
    return value if isinstance(value, list) else [value]


def number(text):
    return int(text, 0)


def ip_fields(layers):
    """Addresses, protocol and ToS from the IPv4 or IPv6 layer, and whether
    it is a later fragment (no transport header)."""
    if "ip" in layers:
        ip = as_list(layers["ip"])[0]
        later_fragment = number(ip.get("ip.frag_offset", "0")) != 0
        return ip["ip.src"], ip["ip.dst"], number(ip["ip.proto"]), number(ip["ip.dsfield"]), later_fragment
    if "ipv6" in layers:
        ip = as_list(layers["ipv6"])[0]
        proto = number(ip["ipv6.nxt"])
        later_fragment = False
        # Extension headers are subtrees with their own next header, in order.
        for key, value in ip.items():
            if isinstance(value, dict):
                for field, text in value.items():
                    if field.endswith(".nxt"):
                        proto = number(text)
                    if field == "ipv6.fraghdr.offset":
                        later_fragment = number(text) != 0
        return ip["ipv6.src"], ip["ipv6.dst"], proto, number(ip["ipv6.tclass"]) >> 0, later_fragment
    return None


def transport_fields(layers):
    for name in ("tcp", "udp", "sctp"):
        if name in layers:
            t = as_list(layers[name])[0]
            flags = number(t["tcp.flags"]) & 0xFF if name == "tcp" else 0
            return number(t[name + ".srcport"]), number(t[name + ".dstport"]), flags
    for name in ("icmp", "icmpv6"):
        if name in layers:
            t = as_list(layers[name])[0]
            return 0, number(t[name + ".type"]) << 8 | number(t[name + ".code"]), 0
    return 0, 0, 0


def link_fields(sample, layers):
    eth = as_list(layers.get("eth", {}))[0]
    macs = eth.get("eth.src", "00:00:00:00:00:00"), eth.get("eth.dst", "00:00:00:00:00:00")
    switch = sample.get("Extended switch data", {})
    vlan_in = number(switch.get("sflow_245.vlan.in", "0"))
    if vlan_in == 0 and "vlan" in layers:
        vlan_in = number(as_list(layers["vlan"])[0]["vlan.id"])
    return macs + (vlan_in, number(switch.get("sflow_245.vlan.out", "0")))


def main():
    capture, port = sys.argv[1], sys.argv[2]
    out = subprocess.run(["tshark", "-r", capture, "-d", f"udp.port=={port},sflow", "-o", "ip.defragment:FALSE",
                          "-o", "ipv6.defragment:FALSE", "-T", "json", "--no-duplicate-keys"],
                         check=True, capture_output=True, text=True).stdout
    for packet in json.loads(out):
        for datagram in as_list(packet["_source"]["layers"].get("sflow", [])):
            agent = datagram.get("sflow_245.agent") or datagram.get("sflow_245.agent.v6")
            for sample in (s for v in datagram.values() if isinstance(v, (dict, list)) for s in as_list(v)):
                if not isinstance(sample, dict) or "sflow.flow_sample.sampling_rate" not in sample:
                    continue
                header = sample.get("Raw packet header", {})
                layers = header.get("sflow_245.header_tree", {})
                src, dst, proto, tos, later_fragment = ip_fields(layers) or ("::", "::", 0, 0, False)
                sport, dport, flags = (0, 0, 0) if later_fragment else transport_fields(layers)
                print(agent, src, dst, proto, sport, dport, flags, tos, header.get("sflow_245.header.frame_length", 0),
                      sample["sflow.flow_sample.sampling_rate"], *link_fields(sample, layers))


if __name__ == "__main__":
    main()
