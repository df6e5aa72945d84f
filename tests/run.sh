#!/bin/sh
# Runs the unit tests, then tests/*.test (or the files named), and prints one
# closing line "N passed, N failed, N skipped" for the whole suite.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export TOP="$top" LB="${LB:-$top/build/loopbox}" LBT="${LBT:-$top/build/test/loopbox}" FILES="$top/tests/files"
TESTROOT=$(mktemp -d /tmp/loopbox-test.XXXXXX)
export TESTROOT
PASSED=0 FAILED=0 SKIPPED=0
HARNESS="$top/tests/testing.sh"
export HARNESS
. "$HARNESS"

. "$top/tests/loopnodes.sh"
nodes_save "$TESTROOT/.loops-before"

# Every test's devices, even after a failure or ^C.
finish() {
	for TESTDIR in "$TESTROOT"/*; do [ -d "$TESTDIR" ] && loop_cleanup; done
	[ -x "$LB" ] && nodes_remove_new "$TESTROOT/.loops-before" "$LB"
	rm -rf "$TESTROOT"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP PIPE

# Unit tests first: their lines count like any other test's.
if [ "${UNIT:-1}" = 1 ] && ls build/unit/test_* >/dev/null 2>&1; then
	for u in build/unit/test_*; do
		out=$("$u" 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -v '^[0-9]* passed,' | { [ "$VERBOSE" = quiet ] && grep -v '^\(PASS\|SKIP\)' || cat; }
		p=$(printf '%s\n' "$out" | grep -c '^PASS: ')
		f=$(printf '%s\n' "$out" | grep -c '^FAIL: ')
		s=$(printf '%s\n' "$out" | grep -c '^SKIP: ')
		if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL: ${u##*/} exited $rc (crash or sanitizer report)"
			f=1
		fi
		PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
	done
fi

if [ $# -gt 0 ]; then tests="$*"; else tests=$(ls tests/*.test); fi
for t in $tests; do
	[ -f "$t" ] || t="tests/$t.test"
	name=${t##*/}
	name=${name%.test}
	TESTDIR="$TESTROOT/$name"
	mkdir -p "$TESTDIR"
	export TESTDIR
	CMD="$LB $name"
	SKIPALL= SKIPNEXT=
	echo "=== $name"
	# Each file in a subshell: a stray exit or cd cannot end the suite.
	rm -f "$TESTROOT/.counts"
	(
		. "$top/$t"
		loop_cleanup
		echo "$PASSED $FAILED $SKIPPED" >"$TESTROOT/.counts"
	)
	if [ -s "$TESTROOT/.counts" ]; then
		read -r PASSED FAILED SKIPPED <"$TESTROOT/.counts"
	else
		echo "FAIL: $name (the test file itself died)"
		FAILED=$((FAILED + 1))
	fi
	left=$(loop_ours)
	if [ -n "$left" ]; then
		echo "FAIL: $name left loop devices bound: $left"
		FAILED=$((FAILED + 1))
		loop_cleanup
	fi
done
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
