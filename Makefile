# ngx_lapor: build, run and test.
#
#   make run    install what is missing, build, start Redis and nginx locally
#   make test   install what is missing, build, run every test
#   make build-check
#               the module built as docs/install.md says, with gcc and clang
#               at -O0..-O3 and -Os, dynamic and static (t/build/check)
#
# The module is built as a dynamic module against the packaged nginx
# (Debian's nginx-dev); nothing is written into the nginx source tree.

NGINX_SRC     ?= /usr/share/nginx/src
NGINX         ?= /usr/sbin/nginx
BUILD         := $(CURDIR)/build
NGX_BUILD     := $(BUILD)/nginx
MODULE        := $(BUILD)/modules/ngx_http_lapor_module.so

MODULE_CFLAGS ?= -g -O2 -fPIC -fstack-protector-strong -Wformat \
                 -Werror=format-security -D_FORTIFY_SOURCE=2

# Debian packages the build and the local run need; the tests also need
# promtool (package prometheus) to check the metrics exposition, Chromium
# and Node.js (npm) for the browser tests of the portal, xmllint
# (libxml2-utils) to check the Open311 XML answers, clang and
# dpkg-buildflags (dpkg-dev) for the build check, shellcheck for the
# operations scripts (lua-free-scripts/, run under dash), and debhelper
# and lintian to build and check the Debian package (make deb)
PACKAGES      := nginx nginx-dev libhiredis-dev libyajl-dev libssl-dev \
                 redis-server curl perl make gcc
TEST_PACKAGES := $(PACKAGES) prometheus chromium nodejs libxml2-utils \
                 clang dpkg-dev shellcheck debhelper lintian
VALGRIND_PACKAGES := $(TEST_PACKAGES) valgrind
# the fuzzers and the sanitizer build: clang with its libFuzzer and
# sanitizer runtimes (Debian 12: libclang-rt-14-dev)
FUZZ_PACKAGES := clang libclang-rt-14-dev libhiredis-dev libyajl-dev libssl-dev

SOURCES       := config $(wildcard ngx_lapor_module/*.c ngx_lapor_module/*.h)

UNIT_CFLAGS   := -std=c99 -Wall -Wextra -Werror -O1 -g \
                 -Ingx_lapor_module -It/unit
UNIT_LIBS     := -lyajl -lcrypto
UNIT_TESTS    := $(patsubst t/unit/%.c,$(BUILD)/unit/%,\
                 $(wildcard t/unit/test_*.c))

LAPOR_PORT       ?= 8080
LAPOR_REDIS_PORT ?= 6380

export LAPOR_PORT LAPOR_REDIS_PORT

.PHONY: all deps deps-test deps-valgrind build run reload reset-limits \
        unit integration test test-valgrind build-check clean
.PHONY: build-asan test-asan asan-integration
.PHONY: bench bench-cluster browser-deps deb test-deb openapi-deps openapi-lint
.PHONY: deps-fuzz fuzz fuzz-build fuzz-short

all: build

deps:
	@sh examples/install-deps.sh $(PACKAGES)

deps-test:
	@sh examples/install-deps.sh $(TEST_PACKAGES)

deps-valgrind:
	@sh examples/install-deps.sh $(VALGRIND_PACKAGES)

deps-fuzz:
	@sh examples/install-deps.sh $(FUZZ_PACKAGES)

build: deps $(MODULE)

$(NGX_BUILD)/Makefile: config
	@mkdir -p $(NGX_BUILD)
	cd $(NGINX_SRC) && bash -c '. ./conf_flags && ./configure \
	    --with-cc-opt="$(MODULE_CFLAGS)" --with-ld-opt="-fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module="$(CURDIR)" --builddir="$(NGX_BUILD)"' \
	    > $(NGX_BUILD)/configure.log 2>&1 \
	    || { cat $(NGX_BUILD)/configure.log; rm -f $@; exit 1; }

$(MODULE): $(NGX_BUILD)/Makefile $(SOURCES)
	$(MAKE) -f $(NGX_BUILD)/Makefile -C $(NGINX_SRC) modules
	@mkdir -p $(dir $@)
	@# a new file, not the old one rewritten: a running nginx keeps the
	@# module it mapped
	cp $(NGX_BUILD)/ngx_http_lapor_module.so $@.tmp && mv -f $@.tmp $@
	@# the module must load into the packaged nginx
	@printf 'load_module %s;\nevents {}\n' $@ > $(BUILD)/load-test.conf
	$(NGINX) -q -t -p $(BUILD)/ -c $(BUILD)/load-test.conf \
	    -e /dev/stderr -g 'pid $(BUILD)/load-test.pid;'

# the reply objects in hiredis's reader, against the stand-ins for the two
# nginx headers they include
$(BUILD)/unit/test_replies: t/unit/test_replies.c t/unit/unit.h \
                            t/fuzz/ngx/*.h \
                            ngx_lapor_module/ngx_http_lapor_replies.[ch]
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -It/fuzz/ngx -o $@ $< \
	    ngx_lapor_module/ngx_http_lapor_replies.c -lhiredis

$(BUILD)/unit/%: t/unit/%.c t/unit/unit.h $(wildcard ngx_lapor_module/lapor_*.[ch])
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(wildcard ngx_lapor_module/lapor_*.c) \
	    $(UNIT_LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do $$t; done

# the browser tests' npm packages (puppeteer-core, axe-core), as locked
BROWSER_LOCK  := t/browser/node_modules/.package-lock.json

browser-deps: deps-test $(BROWSER_LOCK)

$(BROWSER_LOCK): t/browser/package.json t/browser/package-lock.json
	cd t/browser && npm ci --no-audit --no-fund

# the npm packages of the OpenAPI checks (@redocly/cli, ajv, ajv-formats,
# yaml), as locked
OPENAPI_LOCK  := t/openapi/node_modules/.package-lock.json

openapi-deps: deps-test $(OPENAPI_LOCK)

$(OPENAPI_LOCK): t/openapi/package.json t/openapi/package-lock.json
	cd t/openapi && npm ci --no-audit --no-fund

# docs/openapi.yaml: redocly lint (t/091-openapi.t also checks real answers
# against it)
openapi-lint: openapi-deps
	cd t/openapi && REDOCLY_TELEMETRY=off \
	    REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	    ./node_modules/.bin/redocly lint --config redocly.yaml \
	    ../../docs/openapi.yaml

integration: deps-test build browser-deps openapi-deps
	prove -r t/

# the Debian package's test and the build check after the other tests,
# never beside them: they keep both cores busy
test: deps-test build unit fuzz-short integration asan-integration test-deb
	@$(MAKE) --no-print-directory build-check

# every build the documentation describes, and more (t/build/check)
build-check: deps-test
	LAPOR_NGINX=$(NGINX) NGINX_SRC=$(NGINX_SRC) bash t/build/check

test-valgrind: deps-valgrind build
	LAPOR_TEST_VALGRIND=1 prove -r t/

# the module built with AddressSanitizer and UndefinedBehaviorSanitizer in
# its own directory (build/asan/), and the integration suite run with it:
# nginx is not instrumented, the harness preloads the runtime into nginx
# (LAPOR_TEST_ASAN=1, t/README.md); a sanitizer report fails the file.
ASAN_BUILD    := $(BUILD)/asan
ASAN_NGX      := $(ASAN_BUILD)/nginx
ASAN_MODULE   := $(ASAN_BUILD)/modules/ngx_http_lapor_module.so
ASAN_CFLAGS   := -g -O1 -fPIC -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_LIB      = $(shell $(CC) -print-file-name=libasan.so)
# the files "make test" runs in ASan mode (docs/hardening.md)
ASAN_TESTS    ?= t/*.t

$(ASAN_NGX)/Makefile: config
	@mkdir -p $(ASAN_NGX)
	cd $(NGINX_SRC) && bash -c '. ./conf_flags && ./configure \
	    --with-cc-opt="$(ASAN_CFLAGS)" \
	    --with-ld-opt="-fPIC -fsanitize=address,undefined" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module="$(CURDIR)" --builddir="$(ASAN_NGX)"' \
	    > $(ASAN_NGX)/configure.log 2>&1 \
	    || { cat $(ASAN_NGX)/configure.log; rm -f $@; exit 1; }

$(ASAN_MODULE): $(ASAN_NGX)/Makefile $(SOURCES)
	$(MAKE) -f $(ASAN_NGX)/Makefile -C $(NGINX_SRC) modules
	@mkdir -p $(dir $@)
	cp $(ASAN_NGX)/ngx_http_lapor_module.so $@.tmp && mv -f $@.tmp $@
	@printf 'load_module %s;\nevents {}\n' $@ > $(ASAN_BUILD)/load-test.conf
	LD_PRELOAD=$(ASAN_LIB) ASAN_OPTIONS=detect_leaks=0 \
	    $(NGINX) -q -t -p $(ASAN_BUILD)/ -c $(ASAN_BUILD)/load-test.conf \
	    -e /dev/stderr -g 'pid $(ASAN_BUILD)/load-test.pid;'

build-asan: deps $(ASAN_MODULE)

test-asan: deps-test build build-asan browser-deps asan-integration

asan-integration: build-asan browser-deps openapi-deps
	LAPOR_TEST_ASAN=1 prove $(ASAN_TESTS)

run: build
	sh examples/run-local.sh

# the nginx of "make run": rewrite its configuration, check it, reload it
# (after adding a token to var/tokens, or with a rebuilt module)
reload: build
	sh examples/run-local.sh reload

# the Redis of "make run": forget every client's rate-limit counters
reset-limits:
	sh examples/run-local.sh reset-limits

# libFuzzer harnesses (t/fuzz/, docs/hardening.md): each runs FUZZ_SECONDS
# from its committed seeds (t/fuzz/corpus/<name>/); what it finds new goes
# to build/fuzz/corpus/<name>/, a crash to build/fuzz/artifacts/ and fails
# the target.  "make test" runs each for FUZZ_TEST_SECONDS.
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 12
FUZZ_CC           ?= clang
FUZZ_CFLAGS       := -g -O1 -fno-omit-frame-pointer \
                     -fsanitize=fuzzer,address,undefined \
                     -fno-sanitize-recover=undefined \
                     -Ingx_lapor_module -It/fuzz \
                     -DLAPOR_FUZZ_CATALOG='"$(CURDIR)/examples/catalog.json"'
FUZZ_NAMES        := $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
FUZZERS           := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_NAMES))
LAPOR_C           := $(wildcard ngx_lapor_module/lapor_*.c)

# the RESP reader: hiredis with the module's reply objects, built against
# stand-ins for the two nginx headers they include (t/fuzz/ngx/).  The
# packaged libhiredis is not instrumented, so libFuzzer sees no coverage
# inside the reader; HIREDIS_SRC=<dir with hiredis 0.14.1's read.c, sds.c,
# alloc.c> builds the reader from source, instrumented (docs/hardening.md)
HIREDIS_SRC       ?=
FUZZ_HIREDIS      := $(if $(HIREDIS_SRC),$(addprefix $(HIREDIS_SRC)/,\
                     read.c sds.c alloc.c),-lhiredis)

$(BUILD)/fuzz/fuzz_resp: t/fuzz/fuzz_resp.c t/fuzz/fuzz.h t/fuzz/ngx/*.h \
                         ngx_lapor_module/ngx_http_lapor_replies.[ch]
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -It/fuzz/ngx -o $@ $< \
	    ngx_lapor_module/ngx_http_lapor_replies.c $(FUZZ_HIREDIS)

$(BUILD)/fuzz/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz.h \
                      $(wildcard ngx_lapor_module/lapor_*.[ch])
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LAPOR_C) -lyajl -lcrypto

fuzz-build: deps-fuzz $(FUZZERS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh t/fuzz/run $(FUZZ_NAMES)

fuzz-short: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) sh t/fuzz/run $(FUZZ_NAMES)

# the Debian package libnginx-mod-http-lapor_<version>_<arch>.deb, built
# with dpkg-buildpackage from a copy of the tracked and new files (not
# build/, var/ or node_modules/) into build/deb/; then lintian on it
DEB_VERSION   := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
DEB_ARCH      := $(shell dpkg --print-architecture)
DEB_FILE      := $(BUILD)/deb/libnginx-mod-http-lapor_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_SRC       := $(BUILD)/deb/libnginx-mod-http-lapor-$(DEB_VERSION)

deb: deps-test
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard \
	    | xargs -0 tar -cf - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc \
	    > $(BUILD)/deb/build.log 2>&1 \
	    || { tail -50 $(BUILD)/deb/build.log; exit 1; }
	@test -f $(DEB_FILE)
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@echo "built $(DEB_FILE)"

# installs the package on this machine (root, apt-get), checks it with
# nginx -t, runs it against a Redis, then removes it again
test-deb: deb
	LAPOR_DEB=$(DEB_FILE) prove t/090-deb.t

# the benchmark (not a test): see docs/performance.md; with AGAINST=<git
# rev> that revision is built too (into build/bench/against-<commit>/) and
# both run alternately: the ratios new/old
bench: build
	MODULE_CFLAGS="$(MODULE_CFLAGS)" NGINX_SRC="$(NGINX_SRC)" \
	    perl t/bench/run $(if $(AGAINST),--against=$(AGAINST))

# the cluster scenario: two namespaces on two masters of a Redis Cluster
# against the same two on one Redis (t/bench/run --cluster)
bench-cluster: build
	perl t/bench/run --cluster

clean:
	rm -rf $(BUILD)
