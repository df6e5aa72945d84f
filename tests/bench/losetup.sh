#!/bin/sh
# Attach+detach cycle, as scripts do it (one process to attach, one to
# detach), for loopbox, util-linux, busybox and toybox in one hyperfine
# run; then the binary sizes and peak memory. Not part of make check.
# Two harnesses: tests/bench/cycle.c runs the two processes itself
# (hyperfine -N, no shell: the tools' own cost), and sh -c 'd=$(...) &&
# ...' (what a script pays, the shell included).
# Usage: tests/bench/losetup.sh [RUNS]   (root; BENCH_OUT=file for the table)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
LB=${LB:-$top/build/loopbox}
RUNS=${1:-300}
dir=$(mktemp -d /tmp/loopbox-bench.XXXXXX)
img=$dir/bench.img
head -c 16M /dev/zero >"$img"
BB=$(command -v busybox)
TB=$(command -v toybox)
UL=/sbin/losetup
cycle=$dir/cycle
musl-gcc -Os -static -o "$cycle" "$top/tests/bench/cycle.c"

cleanup() {
	for d in /sys/block/loop*; do
		case $(cat "$d/loop/backing_file" 2>/dev/null) in
		"$dir"/*) $UL -d "/dev/${d##*/}" 2>/dev/null || true ;;
		esac
	done
	sleep 0.2
	nodes_remove_new "$dir/nodes" "$LB"
	rm -rf "$dir"
}
. "$top/tests/loopnodes.sh"
nodes_save "$dir/nodes"
trap cleanup EXIT INT TERM

# Each tool's cycle, once, as its steps: "{}" is the device the first step
# printed. busybox 1.35 has no --show: it needs one more process to learn
# the name. "floor": the same harness running a static no-op twice, which
# every cycle pays (process starts; with sh also the shell and the command
# substitution): the tools are also compared on their time above it.
cycles() {
	echo "floor|$LB --version|$LB --version"
	echo "loopbox|$LB losetup -f --show $img|$LB losetup -d {}"
	echo "util-linux|$UL -f --show $img|$UL -d {}"
	echo "busybox|$BB losetup -f|$BB losetup {} $img|$BB losetup -d {}"
	echo "toybox|$TB losetup -f -s $img|$TB losetup -d {}"
}
bench() { # JSON direct|sh: one hyperfine run over every tool's cycle
	json=$1 how=$2
	set --
	cycles >"$dir/cycles"
	while IFS='|' read -r name first rest; do
		if [ "$how" = direct ]; then
			cmd="$cycle $first -- $(echo "$rest" | sed 's/|/ -- /g')"
		else
			cmd="sh -c 'd=\$($first) && $(echo "$rest" | sed 's/|/ \&\& /g; s/{}/$d/g')'"
		fi
		set -- "$@" -n "$name" "$cmd"
	done <"$dir/cycles"
	hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$json" "$@" >/dev/null
}
bench "$dir/direct.json" direct
bench "$dir/sh.json" sh

# Kernel time inside one loopbox cycle, from perf trace over 30 cycles:
# LOOP_CONFIGURE (the attach) and the detach's fsyncs (the durability:
# the loop device's flush reaches the backing file's disk). Any tool pays
# the configure; only a durable detach pays the fsyncs.
kernel_time() {
	command -v perf >/dev/null && perf trace -e ioctl -o "$dir/pt" true 2>/dev/null ||
		{ echo "kernel time: SKIP (no working perf trace)"; return; }
	for _ in $(seq 30); do
		perf trace -e ioctl -o "$dir/pa" $LB losetup -f --show "$img" >"$dir/dev"
		perf trace -e fsync -o "$dir/pb" $LB losetup -d "$(cat "$dir/dev")"
		# LOOP_CONFIGURE is ioctl 0x4c0a; "( 0.141 ms)" is its duration
		c=$(grep '0x4c, 0xa, 0).*= 0$' "$dir/pa" | awk '{print $3}')
		f=$(awk '/fsync/ {s += $3} END {print s + 0}' "$dir/pb")
		echo "${c:-0} $f"
	done >"$dir/kt"
	med() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
	printf 'kernel time per loopbox cycle (median of 30): LOOP_CONFIGURE %s ms, detach fsyncs %s ms\n' \
		"$(cut -d' ' -f1 "$dir/kt" | med)" "$(cut -d' ' -f2 "$dir/kt" | med)"
}
medians() { # "name median_seconds" per command of a hyperfine json
	tr -d ' \n' <"$1" | sed 's/"command":/\n/g' |
		sed -n 's/^"\([^"]*\)".*"median":\([0-9.e+-]*\).*/\1 \2/p'
}
size() { stat -c %s "$(readlink -f "$1")"; }
libs() { # the dynamic libraries a binary loads, summed
	ldd "$1" 2>/dev/null | awk '/=>/ {print $3}' | xargs -r stat -L -c %s | awk '{s += $1} END {print s + 0}'
}
rss() { # peak RSS in KiB of one attach (+ detach afterwards)
	/usr/bin/time -f %M -o "$dir/rss" sh -c "$1" >"$dir/dev" 2>/dev/null || true
	d=$(cat "$dir/dev"); [ -n "$d" ] && $UL -d "$d" 2>/dev/null; cat "$dir/rss"
}
table() { # $1: json, $2: what the floor is
	m=$(medians "$1")
	lb=$(echo "$m" | awk '$1 == "loopbox" {print $2}')
	floor=$(echo "$m" | awk '$1 == "floor" {print $2}')
	echo "| tool | attach+detach median | vs loopbox | above the floor | vs loopbox |"
	echo "|---|---|---|---|---|"
	echo "$m" | while read -r name med; do
		if [ "$name" = floor ]; then
			awk -v w="$2" -v m="$med" 'BEGIN { printf "| (floor: %s) | %.2f ms | | | |\n", w, m * 1000 }'
			continue
		fi
		awk -v n="$name" -v m="$med" -v l="$lb" -v f="$floor" \
			'BEGIN { printf "| %s | %.2f ms | %.1fx | %.2f ms | %.1fx |\n", n, m * 1000, m / l, (m - f) * 1000, (m - f) / (l - f) }'
	done
	# issue 2's targets: at most 1/3 of util-linux's cycle, 1/30 of busybox's
	echo "$m" | awk -v l="$lb" '$1 == "util-linux" { r = $2 / l; printf "target 1/3 of util-linux: %s (1/%.1f)\n", (r >= 3 ? "met" : "missed"), r }
		$1 == "busybox" { r = $2 / l; printf "target 1/30 of busybox: %s (1/%.1f)\n", (r >= 30 ? "met" : "missed"), r }'
}
{
	echo "no shell: tests/bench/cycle.c runs the processes (hyperfine -N)"
	table "$dir/direct.json" "cycle.c + 2 static no-ops"
	echo
	echo "with a shell: sh -c 'd=\$(losetup -f --show IMG) && losetup -d \$d'"
	table "$dir/sh.json" "sh + 2 static no-ops"
	echo
	echo "| tool | binary | + shared libs | peak RSS (attach) |"
	echo "|---|---|---|---|"
	for name in loopbox util-linux busybox toybox; do
		case $name in
		loopbox) bin=$LB; r="$LB losetup -f --show $img" ;;
		util-linux) bin=$UL; r="$UL -f --show $img" ;;
		busybox) bin=$BB; r="$BB losetup -f $img; $BB losetup -a | grep -F $img | cut -d: -f1" ;;
		toybox) bin=$TB; r="$TB losetup -f -s $img" ;;
		esac
		awk -v n="$name" -v b="$(size "$bin")" -v s="$(libs "$bin")" -v k="$(rss "$r")" \
			'BEGIN { printf "| %s | %d KiB | %d KiB | %d KiB |\n", n, b / 1024, s / 1024, k }'
	done
	echo
	kernel_time
} | tee "${BENCH_OUT:-$dir/table}"
