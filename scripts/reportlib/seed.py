"""Seed 001's published numbers: JiangBiao, "PTI(page table isolation)--性能分析"
(2018-04-25), seeds/001_15e59a0db3533f9f.txt. unixbench 5.1.2 on Linux
4.17.0-rc1, Intel Xeon E5-2640 v3 (PCID and INVPCID), 1 copy. Scores are
throughput (higher is better); the loss is 1 - on/off as the article prints
it (its guest-without-PCID line says 68% for 200 vs 679, which is 70.5%:
we quote the article, and show the scores so the reader can check)."""

SOURCE = "seeds/001_15e59a0db3533f9f.txt"
# The seed measured x86 PTI: our rows beside it are those of this profile.
PROFILE = "x86"
TITLE = "JiangBiao, “PTI (page table isolation): performance analysis” (in Chinese), 2018 (unixbench 5.1.2, Linux 4.17.0-rc1, Xeon E5-2640 v3)"

# (what, where, accel, pcid, score with pti, score without, loss % as printed)
ROWS = [
    ("System Call Overhead (./Run syscall -c 1)", "host", "none", "on", 374, 689, -45.7),
    ("System Call Overhead (./Run syscall -c 1)", "KVM guest, 4 vCPUs, no PCID", "kvm", "off", 200, 679, -68.0),
    ("System Call Overhead (./Run syscall -c 1)", "KVM guest, pcid+invpcid passed through", "kvm", "on",
     354, 679, -47.8),
    ("unixbench index (./Run, default tests, 1 copy)", "host", "none", "on", 1150.4, 1399.8, -17.8),
]

# Seed 003: Juergen Gross, "[PATCH v2 0/6] xen/x86: various XPTI speedups"
# (seeds/003_0e91143486d6afd9.txt): `make -j 4` in the Xen hypervisor
# directory, XPTI off, on before the series (no PCID), on with it (PCID);
# percentages against XPTI off, as printed.
XEN_MAKE = {
    "real": ("1m21.169s", "1m52.149s (+38%)", "1m25.692s (+6%)"),
    "user": ("2m47.652s", "2m50.054s (+1%)", "2m46.428s (-1%)"),
    "sys": ("1m11.949s", "2m21.767s (+97%)", "1m23.053s (+15%)"),
}
