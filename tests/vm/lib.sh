# shellcheck shell=bash
# Helpers shared by tests/vm/vm-test, vm-test-arm64 and vm-test-cmdline
# (sourced). The caller sets $label (shown in every line) and $out (the
# guest's files).
: "${label:?set label before sourcing lib.sh}" "${out:?set out before sourcing lib.sh}"

# Output is TAP (the Test Anything Protocol; prove reads it): one
# "ok N - ..." or "not ok N - ..." per check, the plan "1..N" at the end
# (the count is known only then), diagnostics as "# ..." or indented.
pass=0 fail=0
# check WHAT CMD...: run CMD, count and print the verdict.
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok $((pass + fail)) - [$label] $what"
	else
		fail=$((fail + 1))
		echo "not ok $((pass + fail)) - [$label] $what"
	fi
}
# done_testing: the plan and the counts; fails if any check did.
done_testing() {
	echo "1..$((pass + fail))"
	echo "# $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
# kv FILE KEY: the value of KEY in a key=value file
kv() { sed -n "s/^$2=//p" "$1" | head -n1; }
has() { grep -q -- "$2" "$1"; }
# hasnt, hasnt_re FILE PATTERN: no line matches; else the first three say why.
hasnt() { ! grep -m3 -- "$2" "$1" | sed 's/^/    found: /' | grep .; }
hasnt_re() { ! grep -m3 -E -- "$2" "$1" | sed 's/^/    found: /' | grep .; }
eq() { [ "$1" = "$2" ] || { echo "    expected '$2', got '$1'"; return 1; }; }
onoff() { if "$@"; then echo on; else echo off; fi; }
# The host's ptilab (make userspace): results CSVs are read by column
# name through it (ptilab query), never split by position.
ptilab_host=${PTILAB:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/userspace/ptilab}
# metric CSV BENCHMARK METRIC [COLUMN]: the value (or COLUMN) of the first
# matching row.
metric() {
	"$ptilab_host" query "$1" --benchmark "$2" --metric "$3" --print "${4:-value}" | head -n1
}
# minmetric DIR BENCHMARK METRIC: the smallest value over DIR-1, DIR-2, ...
minmetric() {
	local f
	for f in "$1"-*/results.csv; do
		metric "$f" "$2" "$3"
	done | sort -g | head -n1
}
# iterations JSON BENCHMARK: the iterations of BENCHMARK's measured runs
# in a Google Benchmark JSON file (run_type "iteration", not the
# aggregates, whose "iterations" count repetitions), summed; read with
# Python's json module (Google Benchmark's bare NaN is accepted there).
iterations() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sum(b["iterations"] for b in d["benchmarks"] if b["run_type"] == "iteration"
          and (b["run_name"] == sys.argv[2] or b["run_name"].startswith(sys.argv[2] + "/"))))' "$1" "$2"
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

# check_trace ISOLATION(on|off) FLUSH_EVERY_SWITCH(yes|no) TLB_TRACED(yes|no):
# the eBPF tracer (ptilab bench --trace) in the guest: what a pipe round
# trip between two processes on one CPU makes the kernel do (4 system
# calls, 2 mm switches) and the page-table writes derived from it: with
# isolation 2 per kernel entry plus the mm switches, without it the mm
# switches alone. Threads switch no mm. User page faults are kernel
# entries too (16 per BM_PageFault_Touch/pages:16); cross-CPU wake-ups'
# IPIs are not device interrupts; what the kernel cannot count is a
# not_supported row with no value (and a line on stderr), never a 0.
check_trace() {
	local T=$out/trace/results.csv pp=BM_Pipe_PingPong/cpus:1 pf=BM_PageFault_Touch/pages:16 v mm w u
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
	v=$(metric "$T" $pf trace:page_faults_user_per_op)
	check "traced $pf: user page faults per op '$v' is 16" within "$v" 15.9 16.5
	v=$(metric "$T" $pf trace:kernel_entries_derived_per_op)
	check "traced $pf: derived kernel entries per op '$v' count the 16 faults (18-24)" within "$v" 18 24
	v=$(metric "$T" BM_Pipe_PingPong/cpus:2 trace:irqs_per_op)
	check "traced BM_Pipe_PingPong/cpus:2: its IPIs are not device interrupts ('$v' per op)" within "$v" 0 0.5
	v=$(metric "$T" $pp trace:timer_irqs_per_op)
	check "traced $pp: the timer is counted ('$v' per op)" within "$v" 0 1e9
	u=$("$ptilab_host" query "$T" --metric 'trace:*' --where unit=not_supported --print metric)
	if [ "$3" = yes ]; then
		v=$(metric "$T" $pp trace:tlb_flushes_per_op)
		check "traced $pp: TLB flushes counted ('$v' per op)" within "$v" 0 1e9
		check "traced: every counter counted (no not_supported trace:* row: '${u//$'\n'/ }')" eq "$u" ""
	else
		v=$(metric "$T" '*' trace:tlb_flushes_per_op unit)/$(metric "$T" '*' trace:tlb_flushes_per_op)
		check "traced: TLB flushes are a not_supported row with no value ('$v')" eq "$v" not_supported/
		check "traced: stderr says TLB flushes are not countable" \
			has "$out/trace.out" "not countable on this kernel: trace:tlb_flushes_per_op"
		check "traced: the derived counts are derived (not not_supported)" \
			eq "$(echo "$u" | grep -c '_derived_per_op$')" 0
	fi
}

# check_hook_counts WHAT: after each hook-A round of guest/collect (the
# extra-write hook on the benchmark's own process with N writes), the
# module's own count of what the hook did: it fired at least once per
# measured iteration of BM_Syscall_Null (one getppid each, in this
# process; the estimation runs and the program's other system calls only
# add to it), and it did exactly N page-table-base writes each time.
# Timing cannot show the writes where they are nearly free (TCG with
# isolation on, where the entry code has just flushed); this can, so a
# hook that fires but writes nothing fails here.
check_hook_counts() {
	local w i f fired ptw iters
	for w in 0 1 2 4; do
		for i in 1 2 3; do
			f=$out/hook-fired-A-$w-$i.txt
			fired=$(kv "$f" extra_cr3.fired)
			ptw=$(kv "$f" extra_cr3.pt_writes)
			iters=$(iterations "$out/hook-A-$w-$i/benchmarks.json" BM_Syscall_Null)
			check "hook fired for the target at least once per measured syscall (writes=$w, round $i: fired $fired >= $iters iterations)" \
				awk -v f="$fired" -v n="$iters" 'BEGIN { exit !(n > 0 && f >= n) }'
			check "hook did $w $1 writes per firing (round $i: pt_writes $ptw = $w x $fired, hook_extra_cr3 says $(kv "$out/hook-file-A-$w-$i.txt" pt_writes))" \
				awk -v p="$ptw" -v f="$fired" -v w="$w" -v q="$(kv "$out/hook-file-A-$w-$i.txt" pt_writes)" \
				'BEGIN { exit !(p != "" && p == w * f && q == p) }'
		done
	done
	f=$out/hook-flush-fired.txt
	check "flush hook fired and did one flush per firing ($(kv "$f" flush.flushes) flushes, fired $(kv "$f" flush.fired))" \
		awk -v n="$(kv "$f" flush.flushes)" -v f="$(kv "$f" flush.fired)" 'BEGIN { exit !(f > 0 && n == f) }'
}

# check_bad_writes: every bad write of guest/collect (bad.txt:
# file|input|expected|result) refused with the errno expected, as the
# shell words it, and the module's files the same afterwards.
check_bad_writes() {
	local file input expected result n=0
	while IFS='|' read -r file input expected result; do
		n=$((n + 1))
		check "bad write '$input' > $file refused: $expected" eq "$result" "$expected"
	done <"$out/bad.txt"
	check "$n bad writes tried" [ "$n" -ge 50 ]
	check "bad writes changed nothing" cmp -s "$out/bad-before.txt" "$out/bad-after.txt"
	check "the zombie target was a zombie ($(cat "$out/zombie-state.txt"))" has "$out/zombie-state.txt" 'Z (zombie)'
}

# check_cmdline_root KEY: the state read from a chroot whose proc/cmdline
# says the opposite gives the same KEY (pti_reason, kpti_reason): the
# module reads the command line under init's root, not the reader's.
check_cmdline_root() {
	local C=$out/state-chroot.txt
	check "the chroot's reader saw a fake command line ('$(cat "$out/fake-cmdline.txt")')" \
		grep -qE '^pti=o(n|ff) kpti=[01]$' "$out/fake-cmdline.txt"
	check "$1 read from a chroot with a fake proc/cmdline is the real one ($(kv "$C" "$1"))" \
		eq "$(kv "$C" "$1")" "$(kv "$out/state.txt" "$1")"
}

# check_hooks_life: hooks follow their target's life (guest/collect 3b).
check_hooks_life() {
	local B=$out/life-before.txt A=$out/life-after.txt t polls
	t=$(cat "$out/life-target.txt")
	check "life: hook installed for a sleeping process" eq "$(cat "$out/life-install.rc")" ok
	check "life: installed and registered before the kill" eq \
		"$(kv "$B" flush.installed)/$(kv "$B" flush.pid)/$(kv "$B" sys_enter_probe)" "yes/$t/registered"
	polls=$(cat "$out/life-polls.txt")
	check "life: probe unregistered within a second of the target's exit (${polls}00 ms)" within "$polls" 0 11
	check "life: the hook is gone, and says its target exited" eq \
		"$(kv "$A" flush.installed)/$(kv "$A" flush.pid)/$(kv "$A" flush.target_exited)/$(kv "$A" sys_enter_probe)" \
		"no/0/yes/unregistered"
	check "life: the hook's counts stay readable after the exit (fired $(kv "$A" flush.fired), flushes $(kv "$A" flush.flushes))" \
		awk -v f="$(kv "$A" flush.fired)" -v n="$(kv "$A" flush.flushes)" 'BEGIN { exit !(f > 0 && n == f) }'
	B=$out/life-zombie-before.txt A=$out/life-zombie-after.txt
	check "life: hook installed for a process about to exit" eq "$(cat "$out/life-zombie-install.rc")" ok
	check "life: installed before its exit" eq "$(kv "$B" extra_cr3.installed)" yes
	check "life: the target is a zombie now ($(cat "$out/life-zombie-state.txt"))" has "$out/life-zombie-state.txt" 'Z (zombie)'
	check "life: a zombie target is not installed, and the probe is gone" eq \
		"$(kv "$A" extra_cr3.installed)/$(kv "$A" extra_cr3.pid)/$(kv "$A" extra_cr3.target_exited)/$(kv "$A" sys_enter_probe)" \
		"no/0/yes/unregistered"
	check "pidns: hook installed for the collecting shell" eq "$(cat "$out/pidns-install.rc")" ok
	check "pidns: a reader in a child pid namespace sees pid=not_visible, installed" eq \
		"$(kv "$out/pidns-hooks.txt" flush.installed)/$(kv "$out/pidns-hooks.txt" flush.pid)" "yes/not_visible"
	check "pidns: the initial namespace sees the number" grep -qE '^flush\.pid=[1-9][0-9]*$' "$out/pidns-hooks-here.txt"
	check "pidns: a writer's pid 1 is its own (not init): hooked, shown as 1" eq \
		"$(kv "$out/pidns-self.txt" extra_cr3.installed)/$(kv "$out/pidns-self.txt" extra_cr3.pid)" "yes/1"
	check "pidns: and gone once it exited" eq \
		"$(kv "$out/pidns-self-after.txt" extra_cr3.installed)/$(kv "$out/pidns-self-after.txt" sys_enter_probe)" "no/unregistered"
}
