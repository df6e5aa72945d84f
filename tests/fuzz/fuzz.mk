# libFuzzer targets for the probers (tests/fuzz/fuzz_*.c), built with clang
# and ASan + UBSan into build/fuzz/. Included by the top Makefile.
#   make fuzz                     all targets, FUZZ_SECONDS (total, split)
#   make fuzz FUZZ_SECONDS=600
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ilibmini \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_LIB := libmini/src.c libmini/crc32.c libmini/enc.c libmini/part.c \
	libmini/fsprobe.c libmini/fs_fat.c
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) libmini/probe.h libmini/fsprobe.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILT=1 sh tests/fuzz/fuzz.sh
