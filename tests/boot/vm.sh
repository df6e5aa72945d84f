#!/bin/sh
# vm.sh: boot a Debian kernel in QEMU (TCG) with an initramfs and
# virtio disks, and capture the serial console. Reusable by any test.
#
# usage: vm.sh [options] [-- EXTRA QEMU ARGS]
#   -i INITRD     initramfs (required unless -s)
#   -s SCRIPT     run SCRIPT (sh) inside the VM instead: an initramfs with
#                 busybox, the modules, build/loopbox as /bin/loopbox and
#                 SCRIPT as /test.sh is built; the VM powers off after it.
#                 The log then has "=== vm.sh: exit N" with the script's status.
#   -d DISK       raw virtio disk, read-write (repeatable, vda, vdb, ...)
#   -H DISK       hot-plug DISK as a virtio disk from the QEMU monitor
#   -w SECS       ... that many seconds after QEMU starts (default 3)
#   -W PATTERN    ... counting from when PATTERN shows on the console instead
#   -a APPEND     kernel command line (console=ttyS0 is added)
#   -e PATTERN    when PATTERN (grep -E) shows on the console, type -S TEXT
#   -S TEXT       (a newline is added), e.g. at a rescue shell prompt
#   -t SECS       give up after SECS (default 90): exit 124, log says TIMEOUT
#   -o LOG        console output file (default: stdout at the end)
#   -v            also show the console live on stdout
#   -m MEM        guest memory (default 256M)
#   -F FLAVOR     Debian's kernel of that flavor, unpacked under build/
#                 by tests/boot/kernel.sh (default: cloud; also generic)
#   -k KERNEL     this kernel image instead
#   -K KVER       its module version (default: from the file name)
#   -M MODBASE    its module tree (default: /lib/modules/KVER), for -s
# Exit status: QEMU's (0 when the guest powered off or rebooted, as
# -no-reboot turns a reboot into an exit), 124 on timeout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
initrd= script= disks= hot= hotwait=3 hotpat= append= expect= send= timeout=90
log= mem=256M kernel= kver= modbase= flavor=cloud live=
while getopts i:s:d:H:w:W:a:e:S:t:o:m:F:k:K:M:vh opt; do
	case $opt in
	i) initrd=$OPTARG ;;
	s) script=$OPTARG ;;
	d) disks="$disks $OPTARG" ;;
	H) hot=$OPTARG ;;
	w) hotwait=$OPTARG ;;
	W) hotpat=$OPTARG ;;
	a) append=$OPTARG ;;
	e) expect=$OPTARG ;;
	S) send=$OPTARG ;;
	t) timeout=$OPTARG ;;
	o) log=$OPTARG ;;
	m) mem=$OPTARG ;;
	k) kernel=$OPTARG ;;
	K) kver=$OPTARG ;;
	M) modbase=$OPTARG ;;
	F) flavor=$OPTARG ;;
	v) live=1 ;;
	h) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ -z "$kernel" ]; then
	k=$(sh "$here/kernel.sh" "$flavor") || { echo "vm.sh: no $flavor kernel (tests/boot/kernel.sh)" >&2; exit 2; }
	eval "$k"
	kernel=$KERNEL kver=$KVER modbase=$MODBASE
fi
[ -n "$kver" ] || kver=${kernel##*/vmlinuz-}
[ -n "$modbase" ] || modbase=/lib/modules/$kver
command -v qemu-system-x86_64 >/dev/null || { echo "vm.sh: qemu-system-x86_64 missing" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm.XXXXXX")
qpid= mpid= cpid=
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null || true
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null || true
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$script" ]; then
	cat >"$tmp/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
cat /etc/loopbox/modules /etc/loopbox/fs/* 2>/dev/null | while read -r m; do insmod "$m" 2>/dev/null; done
# virtio disks appear asynchronously after the driver binds.
i=0; while [ ! -e /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "=== vm.sh: start"
sh /test.sh
echo "=== vm.sh: exit $?"
sync
poweroff -f
EOF
	set -- "$@"
	lbarg=
	[ -x "$top/build/loopbox" ] && lbarg="-a $top/build/loopbox:/bin/loopbox"
	# shellcheck disable=SC2086
	sh "$top/initramfs/mkinitramfs" -q -k "$kver" -b "$modbase" -s "$tmp/init" \
		-a "$script:/test.sh" $lbarg -o "$tmp/initrd.img"
	initrd=$tmp/initrd.img
fi
[ -n "$initrd" ] || { echo "vm.sh: -i INITRD or -s SCRIPT is required" >&2; exit 2; }

out=${log:-$tmp/console.log}
: >"$out"
set -- -accel tcg -cpu max -m "$mem" -smp 1 -nodefaults -display none \
	-no-reboot -kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 $append" "$@"
n=0
for d in $disks; do
	set -- "$@" -drive "file=$d,format=raw,if=none,id=d$n" \
		-device "virtio-blk-pci,drive=d$n"
	n=$((n + 1))
done
# Console and monitor on FIFO pairs (PATH.in/PATH.out, opened O_RDWR by
# QEMU so nobody blocks): we copy the console to the log and can type into
# both. QEMU 7.2 has no file chardev with input-path.
mkfifo "$tmp/ser.in" "$tmp/ser.out" "$tmp/mon.in" "$tmp/mon.out"
exec 3<>"$tmp/ser.in" 4<>"$tmp/mon.in"
if [ -n "$live" ]; then
	tee "$out" <"$tmp/ser.out" &
else
	cat "$tmp/ser.out" >"$out" &
fi
cpid=$!
set -- "$@" -chardev "pipe,id=s0,path=$tmp/ser" -serial chardev:s0 \
	-chardev "pipe,id=m0,path=$tmp/mon" -mon chardev=m0,mode=readline

timeout -k 5 "$timeout" qemu-system-x86_64 "$@" 2>"$tmp/qemu.err" &
qpid=$!
hotplug() {
	(
		sleep "$hotwait"
		printf 'drive_add 0 file=%s,format=raw,if=none,id=hot0\n' "$hot" >&4
		printf 'device_add virtio-blk-pci,drive=hot0,id=hotdev0\n' >&4
	) &
	mpid=$!
}
[ -n "$hot" ] && [ -z "$hotpat" ] && hotplug
sent=
while kill -0 "$qpid" 2>/dev/null; do
	if [ -n "$hotpat" ] && [ -z "$mpid" ] && grep -qE "$hotpat" "$out" 2>/dev/null; then
		hotplug
	fi
	if [ -n "$expect" ] && [ -z "$sent" ] && grep -qE "$expect" "$out" 2>/dev/null; then
		sleep 0.3
		printf '%s\n' "$send" >&3
		sent=1
	fi
	sleep 0.2
done
rc=0
wait "$qpid" || rc=$?
qpid=
# The copy ends at EOF once QEMU closed the console FIFO.
wait "$cpid" 2>/dev/null || true
cpid=
if [ -n "$mpid" ]; then
	kill "$mpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
	mpid=
fi
[ $rc -eq 124 ] && echo "vm.sh: TIMEOUT after $timeout s" >>"$out"
if [ -s "$tmp/qemu.err" ]; then
	sed 's/^/qemu: /' "$tmp/qemu.err" >&2
fi
[ -n "$log" ] || [ -n "$live" ] || cat "$out"
exit $rc
