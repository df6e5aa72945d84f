#!/bin/sh
# Parallel attach stress, loopbox beside util-linux losetup (issue 3).
#   sh tests/bench/stress.sh [PROCS [EACH [ROUNDS]]]     (root; default 8 32 3)
# Each round: PROCS processes attach EACH distinct files each at once
# (`losetup -f --show -o (i%4)M --sizelimit 1M FILE`), then every device is
# checked (distinct, bound once, right window) and detached. Prints one line
# per tool and round, and a median; figures go to tests/bench/RESULTS-attach.md.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
P=${1:-8} N=${2:-32} R=${3:-3}
LB=${LB:-$top/build/loopbox}
UL=${UL:-/sbin/losetup}
W=$(mktemp -d /tmp/loopbox-stress.XXXXXX)

ours() { # the devices bound below $W: "DEV OFFSET SIZELIMIT BYTES FILE"
	for d in /sys/block/loop*; do
		f=$(cat "$d/loop/backing_file" 2>/dev/null) || continue
		case $f in "$W"/*) ;; *) continue ;; esac
		echo "/dev/${d##*/} $(cat "$d/loop/offset") $(cat "$d/loop/sizelimit") $(($(cat "$d/size") * 512)) $f"
	done
}
cleanup() {
	ours | while read -r dev _; do "$UL" -d "$dev" 2>/dev/null; done
	i=0
	while [ -n "$(ours)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
. "$top/tests/loopnodes.sh"
nodes_save "$W/.nodes"
trap 'cleanup; nodes_remove_new "$W/.nodes" "$LB"; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

for i in $(seq 0 $((P * N - 1))); do truncate -s 8M "$W/f$i"; done

round() { # NAME CMD...
	name=$1
	shift
	rm -f "$W"/out.* "$W"/err.* "$W"/fail.*
	start=$(date +%s%N)
	for p in $(seq 0 $((P - 1))); do
		(
			for k in $(seq 0 $((N - 1))); do
				i=$((p * N + k))
				"$@" -f --show -o $((i % 4))M --sizelimit 1M "$W/f$i" \
					>>"$W/out.$p" 2>>"$W/err.$p" || echo "f$i" >>"$W/fail.$p"
			done
		) &
	done
	wait
	ms=$((($(date +%s%N) - start) / 1000000))
	ours >"$W/bound"
	distinct=$(cat "$W"/out.* 2>/dev/null | sort -u | wc -l)
	fails=$(cat "$W"/fail.* 2>/dev/null | wc -l)
	wrong=$(awk -v s="$W/f" '{ i = substr($5, length(s) + 1) + 0
		if ($2 != (i % 4) * 1048576 || $3 != 1048576 || $4 != 1048576) n++ }
		END { print n + 0 }' "$W/bound")
	printf '%-10s %4d attaches in %5d ms: %3d distinct, %2d failed, %3d bound, %d misconfigured\n' \
		"$name" $((P * N)) "$ms" "$distinct" "$fails" "$(wc -l <"$W/bound")" "$wrong"
	cat "$W"/err.* 2>/dev/null | sed 's/loop[0-9][0-9]*/loopN/g' | sort | uniq -c | sed 's/^/    /' | head -3
	echo "$ms" >>"$W/ms.$name"
	cleanup
}

echo "$P processes x $N attaches, $R rounds, kernel $(uname -r)"
for r in $(seq 1 "$R"); do
	round loopbox "$LB" losetup
	round util-linux "$UL"
done
for t in loopbox util-linux; do
	printf '%-10s median %s ms\n' "$t" "$(sort -n "$W/ms.$t" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
done
