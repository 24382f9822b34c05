# Helpers shared by tests/vm/vm-test and tests/vm/vm-test-arm64 (sourced).
# The caller sets $label (shown in every line) and $out (the guest's files).

pass=0 fail=0
# check WHAT CMD...: run CMD, count and print the verdict.
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok     - [$label] $what"
	else
		fail=$((fail + 1))
		echo "FAILED - [$label] $what"
	fi
}
# kv FILE KEY: the value of KEY in a key=value file
kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
has() { grep -q -- "$2" "$1"; }
hasnt() { ! grep -q -- "$2" "$1"; }
hasnt_re() { ! grep -qE -- "$2" "$1"; }
eq() { [ "$1" = "$2" ] || { echo "    expected '$2', got '$1'"; return 1; }; }
onoff() { if "$@"; then echo on; else echo off; fi; }
# metric CSV BENCHMARK METRIC: the value column, parsed from the right
# (only cmdline can hold commas, and it comes before these columns).
metric() {
	awk -F, -v b="$2" -v m="$3" '$(NF-5) == b && $(NF-4) == m { print $(NF-3); exit }' "$1"
}
# minmetric DIR BENCHMARK METRIC: the smallest value over DIR-1, DIR-2, ...
minmetric() {
	local f
	for f in "$1"-*/results.csv; do
		metric "$f" "$2" "$3"
	done | sort -g | head -n1
}
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0 && v + 0 < 1e12) }'; }
# within V LO HI: LO <= V < HI
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 < hi) }'; }

# check_suite: the whole suite ran in quick mode: every registered
# benchmark has a time, or was skipped with its reason (never silently
# missing).
check_suite() {
	local nbench b v
	nbench=$(grep -c . "$out/bench-list.txt")
	check "the suite lists its benchmarks ($nbench)" [ "$nbench" -ge 20 ]
	while read -r b; do
		v=$(metric "$out/results.csv" "$b" ns_per_op)
		if [ -z "$v" ] && grep -qF "ptilab: skipped $b: " "$out/bench.err"; then
			check "$b skipped: $(sed -n "s|^ptilab: skipped $b: ||p" "$out/bench.err" | head -n1)" true
		else
			check "$b ns_per_op '$v' is positive and finite" positive "$v"
		fi
	done <"$out/bench-list.txt"
}

# check_trace ISOLATION(on|off) FLUSH_EVERY_SWITCH(yes|no): the eBPF
# tracer (ptilab bench --trace) in the guest: what a pipe round trip
# between two processes on one CPU makes the kernel do (4 system calls, 2
# mm switches) and the page-table writes derived from it: with isolation 2
# per kernel entry plus the mm switches, without it the mm switches alone.
# Threads switch no mm.
check_trace() {
	local T=$out/trace/results.csv pp=BM_Pipe_PingPong/cpus:1 v mm w
	check "ptilab bench --trace ran ($(tail -n1 "$out/trace.out"))" test -s "$T"
	v=$(metric "$T" $pp trace:syscalls_per_op)
	check "traced $pp: system calls per op '$v' is about 4" within "$v" 3.8 4.6
	mm=$(metric "$T" $pp trace:mm_switches_per_op)
	check "traced $pp: mm switches per op '$mm' is about 2" within "$mm" 1.9 2.4
	if [ "$2" = yes ]; then
		v=$(metric "$T" $pp trace:tlb_flush_task_switch_per_op)
		check "traced $pp: without PCID every mm switch flushes the TLB ('$v' per op)" within "$v" 1.9 2.4
	fi
	w=$(metric "$T" $pp trace:cr3_writes_derived_per_op)
	if [ "$1" = on ]; then
		check "traced $pp: derived page-table writes per op '$w' = 2 per kernel entry + mm switches (9-12)" within "$w" 9 12
	else
		check "traced $pp: derived page-table writes per op '$w' = the mm switches alone" within "$w" 1.9 2.4
	fi
	v=$(metric "$T" BM_Futex_PingPong/cpus:1 trace:mm_switches_per_op)
	check "traced futex ping-pong between threads: mm switches per op '$v' under 0.2" within "$v" 0 0.2
	v=$(metric "$T" BM_Syscall_Null trace:syscalls_per_op)
	check "traced null syscall: system calls per op '$v' is about 1" within "$v" 0.95 1.1
}
