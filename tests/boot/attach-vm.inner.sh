#!/bin/sh
# The attach checks of tests/attach.test and tests/stress.test, for a VM
# without util-linux (busybox only): run as /test.sh by tests/boot/vm.sh
# from tests/boot/attach-vm.sh. Disks: one ext4 filesystem with the images
# and the test build on a 512-byte-sector disk, one ext4 filesystem on a
# 4096-byte-sector disk. Prints "PASS: name" / "FAIL: name" lines and a
# final "ATTACH-VM: N passed, N failed".
PATH=/bin:/sbin:/usr/bin:/usr/sbin
LB=/bin/loopbox
L="$LB losetup"
pass=0 fail=0

# check NAME EXPECTED COMMAND: COMMAND's stdout must equal EXPECTED.
check() {
	got=$(eval "$3" 2>/tmp/err)
	if [ "$got" = "$(printf '%b' "$2")" ]; then
		pass=$((pass + 1))
		echo "PASS: $1"
	else
		fail=$((fail + 1))
		echo "FAIL: $1"
		echo "  expected: $(printf '%b' "$2" | tr '\n' '|')"
		echo "  got:      $(echo "$got" | tr '\n' '|')"
		sed 's/^/  stderr: /' /tmp/err
	fi
}
st() { # DEV: what the kernel reports
	s=/sys/block/${1#/dev/}
	echo "off=$(cat $s/loop/offset) lim=$(cat $s/loop/sizelimit)" \
		"dio=$(cat $s/loop/dio) bs=$(cat $s/queue/logical_block_size)" \
		"size=$(($(cat $s/size) * 512)) ps=$(cat $s/loop/partscan)"
}
det() { # DEV...: detach and wait
	for d; do losetup -d "$d" 2>/dev/null; done
	for d; do
		i=0
		while [ -d /sys/block/${d#/dev/}/loop ] && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
	done
}
bound() { # FILE: devices bound to it
	n=0
	for d in /sys/block/loop*; do
		[ "$(cat $d/loop/backing_file 2>/dev/null)" = "$1" ] && n=$((n + 1))
	done
	echo $n
}
field() { st "$1" | tr ' ' '\n' | grep "^$2=" ; }

mkdir -p /tmp
echo "kernel $(uname -r)"
for i in $(seq 1 50); do [ -b /dev/vdb ] && break; sleep 0.1; done
mkdir -p /a /k /t /r /tmp
# vda: 4096-byte sectors, vdb: 512 (see attach-vm.sh).
mount -t ext4 /dev/vdb /a || echo "FAIL: mount vdb"
mount -t ext4 /dev/vda /k || echo "FAIL: mount vda"
mount -t tmpfs tmpfs /t
mount -t ramfs ramfs /r
LBT=/a/t/loopbox
cd /a || exit 1
echo "vda logical block size $(cat /sys/block/vda/queue/logical_block_size)"

# ---- basics, verified windows, LOOP_CONFIGURE on 6.1 -----------------------
check "attach: window verified" "off=1048576 lim=4194304 dio=1 bs=512 size=4194304 ps=0" \
	'd=$($L -f --show -o 1M --sizelimit 4M plain) && st $d; det $d'
check "attach: data at the offset" "same" \
	'd=$($L -f --show -o 2M --sizelimit 1M plain) && dd if=plain bs=1M skip=2 count=1 2>/dev/null | cmp - $d && echo same; det $d'
check "attach: bound device refused" "1" \
	'd=$($L -f --show plain); $L $d plain 2>/dev/null; echo $?; det $d'

# ---- direct IO on 6.1 --------------------------------------------------------
check "dio: auto engages on ext4" "dio=1" 'd=$($L -f --show plain) && field $d dio; det $d'
head -c 4194304 plain >/t/img
check "dio: tmpfs on 6.1 has no O_DIRECT: buffered, data readable" "dio=0\nsame" \
	'd=$($L -f --show /t/img) && field $d dio && cmp $d /t/img && echo same; det $d'
head -c 4194304 plain >/r/img
check "dio: ramfs: on refused" "1 0" \
	'$L -f --direct-io=on /r/img 2>/dev/null; echo $? $(bound /r/img)'
check "dio: 4K-sector disk: 4096-byte sectors, engaged, data right" "dio=1\nbs=4096\nsame" \
	'd=$($L -f --show /k/img) && field $d dio && field $d bs && cmp $d /k/img && echo same; det $d'
check "dio: 4K-sector disk, offset 512: buffered fd, no I/O errors" "dio=0\nsame" \
	'd=$($L -f --show -o 512 /k/img) && field $d dio && dd if=/k/img bs=512 skip=1 2>/dev/null | cmp - $d && echo same; det $d'
check "dio: kernel refuses DIO: re-attached over a buffered fd, reads work" "dio=0\nsame" \
	'd=$(LOOPBOX_FAULT=dio_off=EIO@1 $LBT losetup -f --show -o 512 /k/img) && field $d dio && dd if=/k/img bs=512 skip=1 2>/dev/null | cmp - $d && echo same; det $d'
check "dio: 4K-sector disk, misaligned with on: refused" "1 0" \
	'$L -f --direct-io=on -o 512 /k/img 2>/dev/null; echo $? $(bound /k/img)'

# ---- partitions (6.1 parses MBR and GPT) -------------------------------------
check "partscan: MBR nodes p1 p2 p5 p6 when losetup returns" "p1 p2 p5 p6" \
	'd=$($L -f --show -P mbr.img) && for p in 1 2 5 6; do [ -b ${d}p$p ] && printf "p$p "; done | sed "s/ $//"; det $d'
check "partscan: 4Kn image: auto 4096, partition 2 at the right place" "bs=4096\n18432 32768" \
	'd=$($L -f --show -P g4.img) && field $d bs && n=${d#/dev/} && echo $(cat /sys/block/$n/${n}p2/start) $(cat /sys/block/$n/${n}p2/size); det $d'
check "partscan: legacy path, 4Kn: block size set before the scan" "bs=4096\n18432" \
	'd=$(LOOPBOX_FAULT=LOOP_CONFIGURE=EINVAL@* $LBT losetup -f --show -P g4.img) && field $d bs && cat /sys/block/${d#/dev/}/${d#/dev/}p2/start; det $d'
check "partscan: a table the scan cannot see is reported" "1" \
	'd=$($L -f --show -P -b 512 g4.img 2>/tmp/w) && grep -c "created no partitions" /tmp/w; det $d'
check "partition: GPT by label" "off=1048576 lim=8388608" \
	'd=$($L -f --show --partition PARTLABEL=alpha gpt.img) && st $d | cut -d" " -f1,2; det $d'
check "partition: MBR logical 6" "off=9437184 lim=4194304" \
	'd=$($L -f --show --partition 6 mbr.img) && st $d | cut -d" " -f1,2; det $d'

# ---- aliasing ----------------------------------------------------------------
check "alias: overlap warns" "1" \
	'd1=$($L -f --show plain) && d2=$($L -f --show -o 1M plain 2>/tmp/w); grep -c overlapping /tmp/w; det $d1 $d2'
check "alias: -L reuses the identical mapping" "same 1" \
	'd1=$($L -f --show -o 1M --sizelimit 1M plain) && d2=$($L -f --show -L -o 1M --sizelimit 1M plain) && [ $d1 = $d2 ] && echo same $(bound /a/plain); det $d1'
check "alias: -L refuses an overlap" "1 1" \
	'd1=$($L -f --show -o 1M --sizelimit 2M plain) && $L -f -L plain 2>/dev/null; echo $? $(bound /a/plain); det $d1'

# ---- faults -------------------------------------------------------------------
check "fault: legacy path configures everything" "off=1048576 lim=8388608 dio=1 bs=512 size=8388608 ps=1" \
	'd=$(LOOPBOX_FAULT=LOOP_CONFIGURE=EINVAL@* $LBT losetup -f --show -P -o 1M --sizelimit 8M plain) && st $d; det $d'
check "fault: legacy EAGAIN from SET_STATUS64 retried" "off=2097152" \
	'd=$(LOOPBOX_FAULT=LOOP_CONFIGURE=EINVAL@*,LOOP_SET_STATUS64=EAGAIN@1 $LBT losetup -f --show -o 2M plain) && field $d off; det $d'
check "fault: EBUSY from LOOP_CONFIGURE retried" "off=1048576 1" \
	'd=$(LOOPBOX_FAULT=LOOP_CONFIGURE=EBUSY@2 $LBT losetup -f --show -o 1M plain) && echo $(field $d off) $(bound /a/plain); det $d'
check "fault: misconfiguration redone on the legacy path" "off=1048576 lim=1048576" \
	'd=$(LOOPBOX_FAULT=verify=EIO@1 $LBT losetup -f --show -o 1M --sizelimit 1M plain) && st $d | cut -d" " -f1,2; det $d'
check "fault: misconfigured twice: error, nothing bound" "1 0" \
	'LOOPBOX_FAULT=verify=EIO@* $LBT losetup -f plain 2>/dev/null; echo $? $(bound /a/plain)'

# ---- missing nodes (a /dev without them: the VM is ours alone) ---------------
rm -f /dev/loop-control /dev/loop[0-9]*
check "nodes: loop-control and loopN made from sysfs numbers" "c b off=1048576" \
	'd=$($L -f --show -o 1M plain) && echo $(stat -c %F /dev/loop-control | cut -c1) $(stat -c %F $d | cut -c1) $(field $d off); det $d'

check "nodes: -P in a static /dev: partition nodes made after the wait" "4" \
	'mount -t tmpfs tmpfs /dev && d=$($L -f --show -P mbr.img) && ls /dev | grep -c "^loop[0-9]*p[0-9]"; umount /dev; det $d'

# ---- concurrency and SIGKILL (small: TCG is slow) ----------------------------
mkdir -p /t/s
P=4 N=8
for i in $(seq 0 $((P * N - 1))); do truncate -s 4M /t/s/f$i; done
for p in $(seq 0 $((P - 1))); do
	(for k in $(seq 0 $((N - 1))); do
		i=$((p * N + k))
		$L -f --show -o $((i % 4))M --sizelimit 1M /t/s/f$i >>/t/s/out.$p 2>/dev/null || echo f$i >>/t/s/fail
	done) &
done
wait
wrong=0 n=0
for d in /sys/block/loop*; do
	f=$(cat $d/loop/backing_file 2>/dev/null) || continue
	case $f in /t/s/*) ;; *) continue ;; esac
	n=$((n + 1))
	i=${f#/t/s/f}
	[ "$(cat $d/loop/offset) $(cat $d/loop/sizelimit)" = "$(((i % 4) * 1048576)) 1048576" ] || wrong=$((wrong + 1))
done
check "stress: $P x $N parallel attaches: distinct, bound, right" "$((P * N)) 0 $((P * N)) 0" \
	'echo $(cat /t/s/out.* | sort -u | wc -l) $(cat /t/s/fail 2>/dev/null | wc -l) $n $wrong'
det $(cat /t/s/out.*)

truncate -s 16M /t/kimg
bad=0
for r in $(od -An -tu1 -N40 /dev/urandom); do
	LOOPBOX_FAULT=$([ $((r % 2)) = 0 ] && echo LOOP_CONFIGURE=EINVAL@*) $LBT losetup -f -o 3M --sizelimit 2M /t/kimg 2>/dev/null &
	pid=$!
	[ $((r % 3)) = 0 ] || sleep 0.0$((r % 10))
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
done
sleep 0.3
for d in /sys/block/loop*; do
	[ "$(cat $d/loop/backing_file 2>/dev/null)" = /t/kimg ] || continue
	[ "$(cat $d/loop/offset) $(cat $d/loop/sizelimit)" = "3145728 2097152" ] || bad=$((bad + 1))
	det /dev/${d##*/}
done
check "sigkill: 40 killed attaches (half legacy): none misconfigured" "0" 'echo $bad'

cd /
umount /a /k /t /r 2>/dev/null
echo "ATTACH-VM: $pass passed, $fail failed"
[ $fail -eq 0 ]
