#!/bin/sh
# Boot benchmark: time from /init start to the exec of the real init, for
# loopbox's /init and for a busybox-sh /init doing the same steps the way
# initramfs-tools does (insmod, findfs poll, mount, mount -o loop,
# switch_root). Same kernel, same modules, same disk, interleaved boots.
#
# Both ends are kernel timestamps read by the real init from dmesg: the
# kernel's "Run /init as init process" and the real init's first write to
# /dev/kmsg. So the number includes exec'ing /init and starting the real
# init's shell, equally for both.
#
# usage: tests/bench/boot.sh [RUNS]     (default 5; needs root, QEMU)
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BOOTDIR=${BOOTDIR:-$(mktemp -d /tmp/loopbox-bench.XXXXXX)}
RUNS=${1:-5}
. "$TOP/tests/boot/lib.sh"
trap 'rm -rf "$BOOTDIR"' EXIT

[ -x "$TOP/build/loopbox" ] || { echo "bench: build/loopbox missing: run make" >&2; exit 1; }
cd "$BOOTDIR"

# One host disk: ext4 LABEL=HOST with a squashfs root image.
mk_rootdir tree bench-image
mkdir -p host/images
mk_sqfs host/images/root.sqfs tree
mk_ext4 host.ext4 32 HOST host
mk_gpt disk.img "host.ext4:$HOST_PARTUUID:hostfs"
rm -rf tree host host.ext4

cat >bb-init <<'EOF'
#!/bin/sh
# initramfs-tools' steps with busybox: what a shell /init costs.
mark() { [ -n "${t_trace:-}" ] && echo "bb-init: $*" >/dev/kmsg; return 0; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mark mounted
for m in $(cat /etc/loopbox/modules /etc/loopbox/fs/*); do insmod "$m"; done
mark modules
while ! dev=$(findfs LABEL=HOST 2>/dev/null); do sleep 0.1; done
mark "found $dev"
mount -t ext4 -o ro "$dev" /host
mark host
mount -t squashfs -o loop,ro /host/images/root.sqfs /root
mark image
mount --move /host /root/host
# initramfs-tools moves these itself; busybox switch_root does not.
for d in dev proc sys; do mount --move /$d /root/$d; done
mark switch
exec switch_root /root /sbin/init
EOF
# Same modules for both; only loopbox's has no busybox (no rescue shell).
mods="-d virtio_pci,virtio_blk -f ext4,squashfs"
mk_initrd lb.img $mods -B ""
mk_initrd bb.img $mods -s bb-init
lbsize=$(stat -c %s lb.img) bbsize=$(stat -c %s bb.img)

CMD="quiet root=LABEL=HOST loop=/images/root.sqfs t_bench=1"
ms_of() { # LOG -> milliseconds from "Run /init" to BENCH-END, or nothing
	awk 'function ts() { match($0, /\[ *[0-9]+\.[0-9]+\]/)
			     return substr($0, RSTART + 1, RLENGTH - 2) + 0 }
	     /BENCH: .*Run \/init as init process/ { s = ts() }
	     /BENCH: .*BENCH-END/ { e = ts() }
	     END { if (s != "" && e != "") printf "%d\n", (e - s) * 1000 + 0.5 }' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >lb.times
: >bb.times
i=1
while [ $i -le "$RUNS" ]; do
	for v in lb bb; do
		INITRD=$BOOTDIR/$v.img boot "$v-$i" "$CMD" -d disk.img -t 60 || true
		t=$(ms_of "$BOOTDIR/$v-$i.log")
		[ -n "$t" ] || { echo "bench: $v boot $i failed:" >&2; tail -n 20 "$v-$i.log" >&2; exit 1; }
		echo "$t" >>"$v.times"
	done
	i=$((i + 1))
done
# One traced boot each, not timed: where the time goes.
INITRD=$BOOTDIR/lb.img boot lb-trace "$CMD loopbox.debug" -d disk.img -t 60 || true
INITRD=$BOOTDIR/bb.img boot bb-trace "$CMD t_trace=1" -d disk.img -t 60 || true

lbm=$(median <lb.times) bbm=$(median <bb.times)
echo "boot: /init start -> real init exec, median of $RUNS (ms)"
echo "  loopbox /init:     $lbm   (runs: $(tr '\n' ' ' <lb.times))"
echo "  busybox sh /init:  $bbm   (runs: $(tr '\n' ' ' <bb.times))"
echo "  ratio:             $(awk -v a="$lbm" -v b="$bbm" 'BEGIN { printf "%.2f", a / b }')"
echo "initramfs (gzip'd newc, same modules):"
echo "  loopbox:           $lbsize bytes"
echo "  busybox sh:        $bbsize bytes"
echo "loopbox trace (loopbox.debug):"
grep -E '^\[[0-9]+\.[0-9]{3}\] ' lb-trace.log | sed 's/^/  /'
echo "busybox trace (kernel timestamps):"
grep -E 'Run /init|bb-init:|BENCH-END' bb-trace.log | sed 's/^BENCH: //; s/^/  /' | sort -u
# The traced boots, split: the kernel's module init (finit_module/insmod:
# relocation, signature check, the drivers' probes) is the same work for
# both; the rest is what an /init implementation decides.
lbmod=$(sed -n 's/.*module: .* loaded in \([0-9]*\) ms.*/\1/p' lb-trace.log | awk '{ s += $1 } END { print s + 0 }')
lbtot=$(sed -n 's/.*switch: exec .* after \([0-9]*\) ms.*/\1/p' lb-trace.log)
bbsplit=$(awk 'function ts() { match($0, /\[ *[0-9]+\.[0-9]+\]/)
			       return substr($0, RSTART + 1, RLENGTH - 2) + 0 }
	       /Run \/init as/ { s = ts() } /bb-init: mounted/ { a = ts() }
	       /bb-init: modules/ { b = ts() } /BENCH-END/ { e = ts() }
	       END { if (e) printf "%d %d", (b - a) * 1000 + .5, (e - s) * 1000 + .5 }' bb-trace.log)
bbmod=${bbsplit% *} bbtot=${bbsplit#* }
echo "traced boots, module loading vs the rest (ms):"
echo "  loopbox:           modules $lbmod, rest $((${lbtot:-0} - lbmod)), total ${lbtot:-?}"
echo "  busybox sh:        modules $bbmod, rest $((${bbtot:-0} - ${bbmod:-0})), total ${bbtot:-?}"
if [ "$((lbm * 2))" -le "$bbm" ]; then
	echo "result: loopbox takes at most half (ok)"
else
	echo "result: loopbox takes more than half of busybox's time"
	exit 1
fi
