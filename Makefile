# loopbox: one non-recursive Makefile. Objects go under build/<config>/.
#   make                 build/loopbox (CONFIG=full)
#   make CONFIG=minimal  build/minimal/loopbox
#   make check           unit tests, then the shell tests (as root)
CONFIG ?= full
include configs/$(CONFIG).mk

FEATURES := LOSETUP BLKID INIT SWITCH_ROOT LOOPMOUNT RUN FAULTS
FEATURE_FLAGS := $(foreach f,$(FEATURES),-DENABLE_$(f)=$(or $(ENABLE_$(f)),0))

CC := musl-gcc
HOSTCC ?= cc
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1)
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wvla -Wno-format-truncation
# -Oz, LTO, no PIE and no jump tables: 4 KiB less than plain -Os (make size).
# loopbox has no floating point: with general-regs-only a variadic function
# does not spill xmm0-7 on entry (about 60 bytes each).
CFLAGS ?= -Oz
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -Ilibmini \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fno-stack-protector -DLOOPBOX_VERSION='"$(VERSION)"' \
	-flto -flto-partition=one -fno-pie -fno-jump-tables \
	-DLOOPBOX_OWN_PRINTF -mgeneral-regs-only \
	$(FEATURE_FLAGS)
# common-page-size: the data segment need not start on a page boundary of
# the file, which otherwise pads up to 4 KiB of zeros.
LDFLAGS += -static -no-pie -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--hash-style=gnu -Wl,-z,common-page-size=64

B := build/$(CONFIG)
LIB_SRC := $(sort $(wildcard libmini/*.c))
APPLET_SRC := $(sort $(wildcard applet/*.c))
OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC) $(APPLET_SRC))
BIN := $(B)/loopbox

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all check unit shelltest deps size install clean bench demo
all: $(BIN)
ifeq ($(CONFIG),full)
all: build/loopbox
# cp + mv: a test may be running the old binary ("Text file busy").
build/loopbox: $(BIN)
	cp $< $@.tmp && mv -f $@.tmp $@
endif

# A feature switch changes what an object contains: rebuild on a new config.
$(OBJ): configs/$(CONFIG).mk

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# fmt.c owns stdout/stderr: a musl stdio function linked by a new call
# would fail here rather than work on our FILE as if it were musl's.
$(BIN).full: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-Map=$@.map -o $@.tmp $(OBJ)
	sh tests/no-musl-stdio.sh $@.map || { rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

$(BIN): $(BIN).full
	strip -s -R .comment -o $@.tmp $< && mv -f $@.tmp $@

-include $(OBJ:.o=.d)

# make size: the binary, then the 25 largest symbols of the unstripped one.
size: $(BIN)
	@ls -l $(BIN) | awk '{print $$5, $$9}'
	@size $(BIN)
	@nm --size-sort -r -S $(BIN).full | head -25

# Unit tests run with the host compiler (glibc), which also has the kernel
# headers that test_uapi.c compares our definitions with.
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRC))
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Ilibmini -Itests/unit \
	-DENABLE_FAULTS=1 -fsanitize=address,undefined -fno-omit-frame-pointer
UNIT_OBJ := $(patsubst %.c,build/unit/%.o,$(LIB_SRC))
build/unit/libmini/%.o: libmini/%.c
	@mkdir -p build/unit/libmini
	$(HOSTCC) $(UNIT_CFLAGS) -MMD -MP -c -o $@ $<
build/unit/%: tests/unit/%.c $(UNIT_OBJ) tests/unit/unit.h
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(UNIT_OBJ)
.SECONDARY: $(UNIT_OBJ)
-include $(UNIT_OBJ:.o=.d)

unit: $(UNIT_BIN)
	@sh tests/unit/run.sh $(UNIT_BIN)

deps:
	@sh tests/deps.sh

-include tests/fuzz/fuzz.mk

# The main job: boot a root filesystem from an image file in QEMU.
demo:
	@sh tests/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# Speed and size against util-linux, busybox and toybox (not in make check).
bench:
	@sh tests/deps.sh bench
	@$(MAKE) --no-print-directory all
	@rc=0; for b in tests/bench/*.sh; do echo "=== $$b"; sh $$b || { echo "=== $$b: target missed or failed"; rc=1; }; done; exit $$rc

shelltest: all
	@$(MAKE) --no-print-directory CONFIG=test
	@sh tests/run.sh

# One run, one closing line: run.sh runs the unit binaries, then *.test.
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(UNIT_BIN)
	@$(MAKE) --no-print-directory CONFIG=test
	@sh tests/run.sh

install: $(BIN)
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/loopbox
	for a in $$($(BIN) --list); do ln -sf loopbox $(DESTDIR)$(PREFIX)/bin/$$a; done

clean:
	rm -rf build
