#!/bin/sh
# Attach+detach cycle, as scripts do it (one process to attach, one to
# detach), for loopbox, util-linux, busybox and toybox in one hyperfine
# run; then the binary sizes and peak memory. Not part of make check.
# Usage: tests/bench/losetup.sh [RUNS]   (root; BENCH_OUT=file for the table)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
LB=${LB:-$top/build/loopbox}
RUNS=${1:-200}
dir=$(mktemp -d /tmp/loopbox-bench.XXXXXX)
img=$dir/bench.img
head -c 16M /dev/zero >"$img"

cleanup() {
	for d in /sys/block/loop*; do
		case $(cat "$d/loop/backing_file" 2>/dev/null) in
		"$dir"/*) /sbin/losetup -d "/dev/${d##*/}" 2>/dev/null || true ;;
		esac
	done
	sleep 0.2
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# busybox 1.35 has no --show: it needs one more process to learn the name.
# "floor": the same shell pattern running a static no-op twice, which every
# cycle pays (sh, the command substitution, two fork+exec): the tools are
# also compared on their time above it.
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$dir/cycle.json" \
	-n floor "sh -c 'd=\$($LB --version) && $LB --version >/dev/null'" \
	-n loopbox "sh -c 'd=\$($LB losetup -f --show $img) && $LB losetup -d \$d'" \
	-n util-linux "sh -c 'd=\$(/sbin/losetup -f --show $img) && /sbin/losetup -d \$d'" \
	-n busybox "sh -c 'd=\$(busybox losetup -f) && busybox losetup \$d $img && busybox losetup -d \$d'" \
	-n toybox "sh -c 'd=\$(toybox losetup -f -s $img) && toybox losetup -d \$d'"

# Medians, in ms, and each peer's ratio to loopbox.
medians=$(tr -d ' \n' <"$dir/cycle.json" | sed 's/"command":/\n/g' |
	sed -n 's/^"\([^"]*\)".*"median":\([0-9.e+-]*\).*/\1 \2/p')
lb=$(echo "$medians" | awk '$1 == "loopbox" {print $2}')
floor=$(echo "$medians" | awk '$1 == "floor" {print $2}')
size() { stat -c %s "$(readlink -f "$1")"; }
libs() { # the dynamic libraries a binary loads, summed
	ldd "$1" 2>/dev/null | awk '/=>/ {print $3}' | xargs -r stat -L -c %s | awk '{s += $1} END {print s + 0}'
}
rss() { # peak RSS in KiB of one attach (+ detach afterwards)
	/usr/bin/time -f %M -o "$dir/rss" sh -c "$1" >"$dir/dev" 2>/dev/null || true
	d=$(cat "$dir/dev"); [ -n "$d" ] && /sbin/losetup -d "$d" 2>/dev/null; cat "$dir/rss"
}
{
	echo "| tool | attach+detach median | vs loopbox | above the floor | vs loopbox | binary | + shared libs | peak RSS (attach) |"
	echo "|---|---|---|---|---|---|---|---|"
	echo "$medians" | while read -r name med; do
		case $name in
		floor) printf '| (floor: sh + 2 static no-ops) | %s ms | | | | | | |\n' \
			"$(awk -v m="$med" 'BEGIN { printf "%.2f", m * 1000 }')"; continue ;;
		loopbox) bin=$LB; r="$LB losetup -f --show $img" ;;
		util-linux) bin=/sbin/losetup; r="/sbin/losetup -f --show $img" ;;
		busybox) bin=$(command -v busybox); r="busybox losetup -f $img; busybox losetup -a | grep -F $img | cut -d: -f1" ;;
		toybox) bin=$(command -v toybox); r="toybox losetup -f -s $img" ;;
		esac
		awk -v n="$name" -v m="$med" -v l="$lb" -v f="$floor" -v b="$(size "$bin")" -v s="$(libs "$bin")" -v k="$(rss "$r")" \
			'BEGIN { printf "| %s | %.2f ms | %.1fx | %.2f ms | %.1fx | %d KiB | %d KiB | %d KiB |\n", n, m * 1000, m / l, (m - f) * 1000, (m - f) / (l - f), b / 1024, s / 1024, k }'
	done
} | tee "${BENCH_OUT:-$dir/table}"
