# The loop nodes a run adds (LOOP_CTL_GET_FREE creates one when none is
# free; stress runs add hundreds) are deleted at its end when free, so the
# machine keeps the devices it had: hundreds of idle nodes slow down every
# tool that scans /sys/block. Sourced by tests/run.sh and tests/bench/*.sh.
nodes_save() { # FILE
	ls /sys/block | grep '^loop[0-9]*$' >"$1" || true
}
nodes_remove_new() { # FILE-FROM-nodes_save LOOPBOX
	for d in $(ls /sys/block | grep '^loop[0-9]*$' | grep -vxF -f "$1"); do
		[ -e "/sys/block/$d/loop" ] || "$2" losetup -d --remove "/dev/$d" 2>/dev/null
	done
}
