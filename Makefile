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

# Debian packages the build, the local run and the tests need
PACKAGES      := nginx nginx-dev libhiredis-dev libyajl-dev libssl-dev prometheus \
                 redis-server curl perl make gcc clang dpkg-dev
VALGRIND_PACKAGES := valgrind

SOURCES       := config $(wildcard ngx_lapor_module/*.c ngx_lapor_module/*.h)

UNIT_CFLAGS   := -std=c99 -Wall -Wextra -Werror -O1 -g \
                 -Ingx_lapor_module -It/unit
UNIT_LIBS     := -lyajl -lcrypto
UNIT_TESTS    := $(patsubst t/unit/%.c,$(BUILD)/unit/%,\
                 $(wildcard t/unit/test_*.c))

LAPOR_PORT       ?= 8080
LAPOR_REDIS_PORT ?= 6380

export LAPOR_PORT LAPOR_REDIS_PORT

.PHONY: all deps deps-valgrind build run unit integration test \
        test-valgrind build-check clean
.PHONY: bench

all: build

deps:
	@sh examples/install-deps.sh $(PACKAGES)

deps-valgrind:
	@sh examples/install-deps.sh $(PACKAGES) $(VALGRIND_PACKAGES)

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

$(BUILD)/unit/%: t/unit/%.c t/unit/unit.h $(wildcard ngx_lapor_module/lapor_*.[ch])
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(wildcard ngx_lapor_module/lapor_*.c) \
	    $(UNIT_LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do $$t; done

integration: build
	prove -r t/

# after the other tests, never beside them: it keeps both cores busy
test: build unit integration
	@$(MAKE) --no-print-directory build-check

# every build the documentation describes, and more (t/build/check)
build-check: deps
	LAPOR_NGINX=$(NGINX) NGINX_SRC=$(NGINX_SRC) bash t/build/check

test-valgrind: deps-valgrind build
	LAPOR_TEST_VALGRIND=1 prove -r t/

run: build
	sh examples/run-local.sh

# the benchmark (not a test): see docs/performance.md
bench: build
	perl t/bench/run

clean:
	rm -rf $(BUILD)
