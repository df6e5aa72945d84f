# full plus deterministic fault injection (LOOPBOX_FAULT, see libmini/fault.c):
# used by the tests only, never shipped.
include configs/full.mk
ENABLE_FAULTS = 1
