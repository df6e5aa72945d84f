#!/bin/sh
# Runs every libFuzzer target (build/fuzz/fuzz_*) from its seed corpus
# (tests/fuzz/corpus/<target>/) for FUZZ_SECONDS in total (default 20,
# split evenly; FUZZ_SECONDS_EACH overrides per target), printing execs/s
# and total execs. Exit 1 on any crash, leak, timeout or sanitizer report;
# "SKIP" and exit 0 when clang or its libFuzzer runtime is missing. Builds
# the targets itself unless FUZZ_BUILT=1 (make fuzz built them).
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
: "${FUZZ_CC:=clang}" "${FUZZ_SECONDS:=20}"
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')
n=$(echo "$targets" | wc -w)
each=${FUZZ_SECONDS_EACH:-$((FUZZ_SECONDS / n))}
[ "$each" -ge 1 ] || each=1
lib="libmini/src.c libmini/crc32.c libmini/enc.c libmini/part.c libmini/fsprobe.c libmini/fs_fat.c"
flags="-std=c11 -D_GNU_SOURCE -g -O1 -Ilibmini -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "SKIP: fuzz: $FUZZ_CC not installed"; exit 0
fi
mkdir -p build/fuzz
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' |
	"$FUZZ_CC" -x c -fsanitize=fuzzer -o build/fuzz/.probe - 2>/dev/null; then
	echo "SKIP: fuzz: $FUZZ_CC has no libFuzzer runtime (libclang-rt-dev)"; exit 0
fi
rm -f build/fuzz/.probe

fail=0
for t in $targets; do
	bin=build/fuzz/fuzz_$t
	if [ "${FUZZ_BUILT:-0}" != 1 ]; then
		newer=$(find tests/fuzz/fuzz_$t.c libmini/probe.h libmini/fsprobe.h $lib -newer "$bin" 2>/dev/null | head -1)
		if [ ! -x "$bin" ] || [ -n "$newer" ]; then
			# shellcheck disable=SC2086
			$FUZZ_CC $flags -o "$bin" tests/fuzz/fuzz_$t.c $lib || { echo "FAIL: fuzz_$t: build"; fail=1; continue; }
		fi
	fi
	# New inputs go to a scratch corpus; the committed seeds stay as they are.
	work=build/fuzz/corpus-$t
	mkdir -p "$work"
	log=build/fuzz/fuzz_$t.log
	"$bin" -max_total_time="$each" -max_len=139264 -timeout=10 -rss_limit_mb=1024 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/crash-$t-" \
		"$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -ne 0 ] || grep -q 'runtime error\|ERROR: AddressSanitizer\|ERROR: libFuzzer' "$log"; then
		echo "FAIL: fuzz_$t: exit $rc after ${execs:-?} execs; see $log"
		grep -m5 'runtime error\|ERROR:\|SUMMARY' "$log"
		fail=1
	else
		echo "PASS: fuzz_$t: ${each}s, ${execs:-?} execs, ${rate:-?} execs/s, $cov"
	fi
done
exit $fail
