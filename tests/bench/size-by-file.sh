#!/bin/sh
# Where the bytes of the full binary come from, per source file and per
# musl object: a build without LTO (LTO merges everything into one object,
# so the link map cannot say which file a byte came from), linked with the
# same gc-sections, then the map's kept .text/.rodata/.data summed.
# The total is within ~1% of `make size`. Usage: tests/bench/size-by-file.sh [N]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
CONFIG=${CONFIG:-full}
out=$(mktemp -d /tmp/loopbox-size.XXXXXX)
trap 'rm -rf "$out"' EXIT
cmd=$(make -s -n CONFIG="$CONFIG" "build/$CONFIG/libmini/err.o" -B |
	sed -n 's/^musl-gcc \(.*\) -MMD .*/\1/p' | sed 's/-flto[^ ]*//g')
for f in libmini/*.c applet/*.c; do
	eval "musl-gcc $cmd -c -o \"$out/$(echo "$f" | tr / @).o\" $f"
done
musl-gcc -static -no-pie -Wl,--gc-sections -Wl,-Map="$out/map" -o "$out/lb" "$out"/*.o
# "section addr size object" on one line, or the section alone on the
# line before when its name is long.
awk '/^ \.[a-z]/ && NF == 1 { sec = $1; next }
	$1 ~ /^\./ && NF >= 4 { print $1, $2, $3, $4; sec = ""; next }
	sec != "" && $1 ~ /^0x/ && NF >= 3 { print sec, $1, $2, $3 }
	{ sec = "" }' "$out/map" |
while read -r sec addr size obj; do
	case $sec in .text*|.rodata*|.data*) ;; *) continue ;; esac
	[ $((addr)) -ne 0 ] && [ $((size)) -ne 0 ] || continue
	case $obj in
	*libc.a\(*) obj=${obj##*\(}; obj="musl:${obj%.lo)}" ;;
	*) obj=${obj##*/}; obj=$(echo "${obj%.c.o}.c" | tr @ /) ;;
	esac
	echo "$((size)) $obj"
done | awk -v n="${1:-40}" '{ by[$2] += $1; if ($2 ~ /^musl:/) m += $1; else o += $1 }
	END { printf "own %d  musl %d  total %d\n", o, m, o + m
		for (k in by) printf "%7d %s\n", by[k], k | "sort -rn | head -" n }'
