# toybox-style test harness, sourced by tests/run.sh for each *.test file.
#
#   testing NAME COMMAND EXPECTED_STDOUT INFILE STDIN
#       evals COMMAND in a subshell in $TESTDIR; INFILE is written to ./input,
#       STDIN is piped in; stdout is compared with EXPECTED_STDOUT (both
#       through printf %b, so "\n" works). Append "2>&1" or "; echo \$?" to
#       the command to check stderr or the exit code.
#   testcmd NAME ARGS EXPECTED_STDOUT INFILE STDIN
#       the same with COMMAND = "$CMD ARGS".
#   skip_test REASON     the next test is reported as SKIP with REASON.
# $TOP is the top of the tree (also the working directory of .test files).
#   optional COND REASON the rest of the file is skipped unless COND is true.
#
# VERBOSE=fail shows a diff for each failure (the default), VERBOSE=all
# shows every command, VERBOSE=quiet only the summary. DEBUG=1 traces.
#
# Loop-device hygiene: every backing file a test makes lives under
# $TESTDIR, a directory unique to this run; loop_cleanup detaches exactly
# the devices whose backing file is below it, and run.sh calls it from a
# trap even when a test fails or is interrupted.

: "${VERBOSE:=fail}"
SKIPNEXT=
SKIPALL=

_result() { # STATUS NAME [REASON]
	case $1 in
	PASS) PASSED=$((PASSED + 1)) ;;
	FAIL) FAILED=$((FAILED + 1)) ;;
	SKIP) SKIPPED=$((SKIPPED + 1)) ;;
	esac
	[ "$VERBOSE" = quiet ] && [ "$1" != FAIL ] && return
	printf '%s: %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

skip_test() { SKIPNEXT=${1:-skipped}; }

optional() { # COND REASON
	if ! eval "$1" >/dev/null 2>&1; then SKIPALL=$2; fi
}

testing() {
	_name=$1
	if [ -n "$SKIPALL$SKIPNEXT" ]; then
		_result SKIP "$_name" "${SKIPNEXT:-$SKIPALL}"
		SKIPNEXT=
		return 0
	fi
	printf '%b' "$4" >"$TESTDIR/input"
	printf '%b' "$3" >"$TESTDIR/expected"
	[ "$VERBOSE" = all ] && printf 'RUN: %s\n' "$2"
	# eval in a subshell, as toybox does: the command sees the helpers
	# defined here and in the .test file, and cannot end the suite.
	(cd "$TESTDIR" && printf '%b' "$5" | (eval "$2")) >"$TESTDIR/actual" 2>"$TESTDIR/stderr"
	if cmp -s "$TESTDIR/expected" "$TESTDIR/actual"; then
		_result PASS "$_name"
	else
		_result FAIL "$_name"
		if [ "$VERBOSE" != quiet ]; then
			printf '  command: %s\n' "$2"
			diff -u "$TESTDIR/expected" "$TESTDIR/actual" | sed 's/^/  /'
			[ -s "$TESTDIR/stderr" ] && sed 's/^/  stderr: /' "$TESTDIR/stderr"
		fi
	fi
	rm -f "$TESTDIR/input" "$TESTDIR/expected" "$TESTDIR/actual" "$TESTDIR/stderr"
	return 0
}

testcmd() {
	testing "$1" "$CMD $2" "$3" "$4" "$5"
}

# ---- loop-device helpers shared by the .test files ----

# The loop devices (names) whose backing file is below $TESTDIR.
loop_ours() {
	for d in /sys/block/loop*; do
		[ -r "$d/loop/backing_file" ] || continue
		case $(cat "$d/loop/backing_file" 2>/dev/null) in
		"$TESTDIR"/*) echo "/dev/${d##*/}" ;;
		esac
	done
}

# How many devices are bound to FILE (0 is what a failed attach must leave).
loop_count() {
	n=0
	for d in /sys/block/loop*; do
		[ "$(cat "$d/loop/backing_file" 2>/dev/null)" = "$1" ] && n=$((n + 1))
	done
	echo $n
}

# Detach only our devices: unmount what is mounted from them first.
loop_cleanup() {
	for dev in $(loop_ours); do
		awk -v d="$dev" '$1 == d || index($1, d "p") == 1 {print $2}' /proc/mounts |
			sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
		/sbin/losetup -d "$dev" 2>/dev/null
	done
	# 6.11+ unbinds at last close: give the kernel a moment, then check.
	i=0
	while [ -n "$(loop_ours)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

mkimg() { # FILE SIZE: a file of SIZE bytes with a recognisable pattern
	head -c "$2" /dev/urandom >"$1"
}

is_root() { [ "$(id -u)" = 0 ]; }

# Whether the running kernel can parse MBR and GPT partition tables (this
# workplace's host kernel has neither: -P creates no partitions there).
have_partscan() {
	[ -r /proc/config.gz ] || return 0
	zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_MSDOS_PARTITION=y' &&
		zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_EFI_PARTITION=y'
}
