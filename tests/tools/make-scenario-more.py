#!/usr/bin/python3
"""Scenario captures beyond ../shared/captures/tools/make-scenario.py: more
vectors, IPv6, carpet bombing, benign-only, a flash crowd and DNS floods.

make-scenario-more.py VECTOR SEED OUT.pcap   (env BENIGN, ATTACK: packet counts)

VECTOR: ack | ntp | memcached | ssdp | carpet | udp6 | benign | flash | dnsflood | wt
Like make-scenario.py: 120 s of benign web/DNS/NTP traffic from 203.0.113.0/24
to 198.51.100.10-29 (and 2001:db8:100::10-29), the attack from t = 60 s to 100 s.
Written offline with scapy's wrpcap and fixed MAC addresses; nothing is sent.
Victims: 198.51.100.80 (ack), .21 (ntp, memcached, ssdp), 198.51.100.0/24
(carpet), 2001:db8:100::53 (udp6), zone victim.example at 198.51.100.53 (dns).
"""
import os, random, sys
from scapy.all import Ether, IP, IPv6, UDP, TCP, DNS, DNSQR, Raw, wrpcap

vec, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
random.seed(seed)
BENIGN = int(os.environ.get("BENIGN", 4800))
ATTACK = int(os.environ.get("ATTACK", 8000))
T0 = 1700000000.0
ETH = Ether(src="02:fc:00:00:00:01", dst="02:fc:00:00:00:05")
ETH6 = Ether(src="02:fc:00:00:00:01", dst="02:fc:00:00:00:05", type=0x86dd)
servers = ["198.51.100.%d" % i for i in range(10, 30)]
servers6 = ["2001:db8:100::%d" % i for i in range(10, 30)]
clients = ["203.0.113.%d" % i for i in range(1, 200)]
pkts = []

def add(p, t):
    p.time = t
    pkts.append(p)

def rs():
    return "%d.%d.%d.%d" % (random.randint(1, 223), random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))

popular = ["www%d.example.com" % i for i in range(1, 50)]
for i in range(BENIGN):
    t = T0 + i * (120.0 / BENIGN)
    c = random.choice(clients)
    r = random.random()
    if vec == "udp6" and r < 0.3:
        add(ETH6/IPv6(src="2001:db8:203::%d" % random.randint(1, 200), dst=random.choice(servers6), hlim=57)
            /TCP(sport=random.randint(1024, 65535), dport=443, flags="PA")/Raw(b"x" * random.randint(40, 1200)), t)
    elif r < 0.6:
        add(ETH/IP(src=c, dst=random.choice(servers), ttl=57)/TCP(sport=random.randint(1024, 65535), dport=443, flags="PA")
            /Raw(b"x" * random.randint(40, 1200)), t)
    elif r < 0.9:
        add(ETH/IP(src=c, dst="198.51.100.53", ttl=60)/UDP(sport=random.randint(1024, 65535), dport=53)
            /DNS(rd=1, qd=DNSQR(qname=random.choice(popular))), t)
    else:
        add(ETH/IP(src=random.choice(servers), dst=c, ttl=63)/UDP(sport=123, dport=random.randint(1024, 65535))/Raw(b"n" * 48), t)

for i in range(ATTACK if vec != "benign" else 0):
    t = T0 + 60 + i * (40.0 / ATTACK)
    if vec == "ack":
        add(ETH/IP(src=rs(), dst="198.51.100.80", ttl=64)/TCP(sport=random.randint(1024, 65535), dport=443, flags="A",
            seq=random.getrandbits(32), ack=random.getrandbits(32)), t)
    elif vec == "ntp":      # monlist-style replies from many reflectors
        add(ETH/IP(src=rs(), dst="198.51.100.21", ttl=random.randint(40, 60))/UDP(sport=123, dport=random.randint(1024, 65535))
            /Raw(b"\x17" + b"\0" * 467), t)
    elif vec == "memcached":
        add(ETH/IP(src=rs(), dst="198.51.100.21", ttl=random.randint(40, 60))/UDP(sport=11211, dport=random.randint(1024, 65535))
            /Raw(b"VALUE " + b"\0" * 1394), t)
    elif vec == "ssdp":
        add(ETH/IP(src=rs(), dst="198.51.100.21", ttl=random.randint(40, 60))/UDP(sport=1900, dport=random.randint(1024, 65535))
            /Raw(b"HTTP/1.1 200 OK\r\n" + b"x" * 300), t)
    elif vec == "carpet":   # every address of the /24 gets a little; none much
        add(ETH/IP(src=rs(), dst="198.51.100.%d" % random.randint(1, 254), ttl=random.randint(30, 64))
            /UDP(sport=random.randint(1024, 65535), dport=random.randint(1, 65535))/Raw(b"\0" * 512), t)
    elif vec == "udp6":
        add(ETH6/IPv6(src="2001:db8:%x::%x" % (random.randint(1, 0xffff), random.randint(1, 0xffff)), dst="2001:db8:100::53",
            hlim=random.randint(30, 64))/UDP(sport=random.randint(1024, 65535), dport=53)/Raw(b"\0" * 512), t)
    elif vec == "flash":    # a legitimate surge: many resolvers, each asking for a popular name about once
        add(ETH/IP(src="198.18.%d.%d" % (random.randint(0, 255), random.randint(1, 254)), dst="198.51.100.53", ttl=60)
            /UDP(sport=random.randint(1024, 65535), dport=53)/DNS(rd=1, qd=DNSQR(qname=random.choice(popular[:5]))), t)
    elif vec == "dnsflood":  # the same few names over and over, from 10 bots (no cache between)
        add(ETH/IP(src="100.64.0.%d" % random.randint(1, 10), dst="198.51.100.53", ttl=60)
            /UDP(sport=random.randint(1024, 65535), dport=53)
            /DNS(rd=1, qd=DNSQR(qname=random.choice(["www.victim.example", "mail.victim.example"]))), t)
    elif vec == "wt":       # Mirai: 12 characters of a-w and 0-8, through resolvers
        lbl = "".join(random.choice("abcdefghijklmnopqrstuvw012345678") for _ in range(12))
        add(ETH/IP(src="192.0.2.%d" % random.randint(1, 40), dst="198.51.100.53", ttl=60)
            /UDP(sport=random.randint(1024, 65535), dport=53)/DNS(rd=1, qd=DNSQR(qname=lbl + ".victim.example")), t)
pkts.sort(key=lambda p: p.time)
wrpcap(out, pkts)
