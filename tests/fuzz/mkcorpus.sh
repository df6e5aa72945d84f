#!/bin/sh
# Regenerates tests/fuzz/corpus/{fs,part}: small real images made by the
# mkfs tools, cut down to the bytes the probers read (every seed stays
# small; the whole corpus well under 2 MiB). Run by hand; the output is
# committed so the fuzzers need none of these tools.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/fs" "$out/part"
rm -f "$out"/fs/* "$out"/part/*
mkdir "$tmp/tree" && echo hello >"$tmp/tree/file"
U=5a1f2b3c-4d5e-4f60-8172-839405a6b7c8
cut() { head -c "$2" "$tmp/i" >"$out/$1"; rm -f "$tmp/i"; }
have() { command -v "$1" >/dev/null 2>&1; }
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($2 & 255)) $(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)))" |
	dd of="$1" bs=1 seek="$3" conv=notrunc 2>/dev/null; }

truncate -s 8M "$tmp/i"; mkfs.ext2 -q -L e2 -U $U "$tmp/i"; cut fs/ext2 4096
truncate -s 8M "$tmp/i"; mkfs.ext3 -q -L e3 "$tmp/i"; cut fs/ext3 4096
truncate -s 8M "$tmp/i"; mkfs.ext4 -q -L e4 "$tmp/i"; cut fs/ext4 4096
truncate -s 8M "$tmp/i"; mkfs.ext4 -q -O journal_dev "$tmp/i"; cut fs/jbd 4096
# FAT: keep up to the end of the root directory, where the label entry is.
truncate -s 1440K "$tmp/i"; mkfs.vfat -F 12 -n FAT12LAB "$tmp/i" >/dev/null; cut fs/vfat12 20480
truncate -s 20M "$tmp/i"; mkfs.vfat -F 16 -s 4 -n FAT16LAB "$tmp/i" >/dev/null; cut fs/vfat16 65536
# FAT32: the FATs of even a minimal volume take half a MiB; shrink the FAT
# length field to 8 sectors and move the root directory cluster up to the
# new start of the data area.
truncate -s 34M "$tmp/i"; mkfs.vfat -F 32 -s 1 -n FAT32LAB "$tmp/i" >/dev/null
eval "$(od -An -tu2 -j14 -N2 "$tmp/i" | awk '{print "res=" $1}')"
eval "$(od -An -tu4 -j36 -N4 "$tmp/i" | awk '{print "fl=" $1}')"
dd if="$tmp/i" of="$tmp/r" bs=512 skip=$((res + 2 * fl)) count=1 2>/dev/null
head -c $((res * 512)) "$tmp/i" >"$tmp/e"; rm "$tmp/i"
le32 "$tmp/e" 8 36
truncate -s $(((res + 16) * 512)) "$tmp/e"; cat "$tmp/r" >>"$tmp/e"
mv "$tmp/e" "$out/fs/vfat32"
# exFAT: the cluster heap starts at 1-2 MiB; move it to 4 KiB and put the
# root directory cluster there.
if have mkfs.exfat; then
	truncate -s 16M "$tmp/i"; mkfs.exfat -L exlab "$tmp/i" >/dev/null
	eval "$(od -An -tu4 -j88 -N12 "$tmp/i" | awk '{print "heap=" $1 " root=" $3}')"
	sb=$(od -An -tu1 -j108 -N1 "$tmp/i" | tr -d ' '); cb=$(od -An -tu1 -j109 -N1 "$tmp/i" | tr -d ' ')
	cs=$((1 << (sb + cb)))
	dd if="$tmp/i" of="$tmp/r" bs=1 skip=$(((heap << sb) + (root - 2) * cs)) count=$cs 2>/dev/null
	head -c 4096 "$tmp/i" >"$tmp/e"; rm "$tmp/i"
	le32 "$tmp/e" $((4096 >> sb)) 88
	truncate -s $((4096 + (root - 2) * cs)) "$tmp/e"; cat "$tmp/r" >>"$tmp/e"
	mv "$tmp/e" "$out/fs/exfat"
fi
have mkfs.btrfs && { truncate -s 128M "$tmp/i"; mkfs.btrfs -q -L btr "$tmp/i" >/dev/null; cut fs/btrfs 69632; }
have mkfs.xfs && { truncate -s 300M "$tmp/i"; mkfs.xfs -q -L xfslab "$tmp/i"; cut fs/xfs 4096; }
have mksquashfs && { mksquashfs "$tmp/tree" "$tmp/i" -quiet -noappend >/dev/null; cut fs/squashfs 4096; }
have mkfs.erofs && { mkfs.erofs -U $U "$tmp/i" "$tmp/tree" >/dev/null 2>&1; cut fs/erofs 4096; }
have xorriso && { xorriso -as mkisofs -quiet -V ISOLAB -o "$tmp/i" "$tmp/tree" 2>/dev/null; cut fs/iso9660 40960; }
have genisoimage && { genisoimage -quiet -J -V 'Joliet label, long' -o "$tmp/i" "$tmp/tree" 2>/dev/null; cut fs/iso-joliet 40960; }
have mkfs.f2fs && { truncate -s 64M "$tmp/i"; mkfs.f2fs -q -l f2lab "$tmp/i" >/dev/null; cut fs/f2fs 4096; }
truncate -s 64K "$tmp/i"; mkswap -L swp -U $U "$tmp/i" >/dev/null 2>&1; cut fs/swap 4096

# Partition tables: whole small disks (entries must lie inside the disk).
if have sgdisk; then
	truncate -s 128K "$tmp/i"
	sgdisk -n1:40:100 -c1:ESP -t1:ef00 -n2:101:180 -c2:'Ünïcode' -n3:181:0 -c3:root "$tmp/i" >/dev/null
	cut part/gpt 131072
	truncate -s 128K "$tmp/i"; sgdisk -n1:40:0 "$tmp/i" >/dev/null
	dd if=/dev/zero of="$tmp/i" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null # primary gone
	cut part/gpt-backup 131072
fi
if have sfdisk; then
	truncate -s 128K "$tmp/i"
	printf 'label: dos\nlabel-id: 0xdeadbeef\n1,60,c\n61,60,83\n121,,5\n122,50,83\n200,50,82\n' |
		sfdisk -q "$tmp/i" >/dev/null 2>&1
	cut part/mbr 131072
fi
du -sh "$out"
