#!/bin/sh
# Fails when a link pulled a musl stdio function. libmini/fmt.c completes
# musl's struct _IO_FILE and defines stdout/stderr and the stdio names
# loopbox calls; any other musl stdio function (setvbuf, fopen, ...) would
# silently work on our struct as if it were musl's own.
# Usage: tests/no-musl-stdio.sh LINK-MAP   (from the Makefile's link rule)
map=$1
names=$(mktemp)
trap 'rm -f "$names"' EXIT
# The functions <stdio.h> declares, and the data and helpers behind them.
printf '#include <stdio.h>\n' | musl-gcc -D_GNU_SOURCE -E - |
	grep -oE '[A-Za-z_][A-Za-z0-9_]*[[:space:]]*\(' | tr -d '( \t' >"$names"
printf '%s\n' stdin stdout stderr __stdin_FILE __stdout_FILE __stderr_FILE \
	__lockfile __towrite __toread __overflow __uflow __fwritex >>"$names"
# "libc.a(member.lo)" then the reference that pulled it: "file (symbol)".
bad=$(sed -n '/^Archive member included/,/^Discarded input/p' "$map" |
	grep -oE '\([A-Za-z_][A-Za-z0-9_]*\)$' | tr -d '()' | sort -u |
	grep -xF -f "$names" | tr '\n' ' ')
[ -z "$bad" ] && exit 0
echo "musl stdio linked for: $bad(use only the stdio names libmini/fmt.c defines)" >&2
exit 1
