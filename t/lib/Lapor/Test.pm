package Lapor::Test;

# Integration-test harness for ngx_lapor, in the style of nginx-tests'
# lib/Test/Nginx.pm: core Perl only.  One object per test file owns a
# temporary prefix, the loopback ports, and every process it starts (nginx,
# redis-server, fake Redis servers); each of them is stopped when the file
# ends, also when it dies.  See t/README.md.

use warnings;
use strict;

use Exporter qw/ import /;

our @EXPORT = qw/
    wait_until json_decode is_redis_error
    resp_simple resp_error resp_int resp_bulk resp_nil resp_array
/;

use Cwd qw/ abs_path /;
use Errno qw/ EAGAIN EINTR EWOULDBLOCK EINPROGRESS /;
use Fcntl qw/ F_GETFL F_SETFL O_NONBLOCK SEEK_SET /;
use File::Basename qw/ dirname /;
use File::Path ();
use File::Temp qw/ tempdir /;
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use List::Util ();
use POSIX qw/ WNOHANG /;
use Socket qw/ IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_LINGER /;
use Test::More;
use Test2::API ();
use Time::HiRes qw/ time sleep /;

###############################################################################
# Settings from the environment.

our $REPO = abs_path(dirname(__FILE__) . '/../../..');
our $NGINX = $ENV{LAPOR_NGINX} || '/usr/sbin/nginx';
our $REDIS_SERVER = $ENV{LAPOR_REDIS_SERVER} || '/usr/bin/redis-server';
our $ASAN = $ENV{LAPOR_TEST_ASAN} ? 1 : 0;
our $MODULE = $ENV{LAPOR_MODULE}
    || ($ASAN ? "$REPO/build/asan/modules/ngx_http_lapor_module.so"
              : "$REPO/build/modules/ngx_http_lapor_module.so");
our $VALGRIND = $ENV{LAPOR_TEST_VALGRIND} ? 1 : 0;
our $SUPP = "$REPO/t/valgrind.supp";

# Every process started by this test file: pid => description.  Only the
# process that created the harness may stop them (forked helpers inherit the
# hash but never act on it).
our %OWNED;
our $OWNER = $$;

# Lines in error.log that always fail a test file.
our $BAD_LOG = qr/
      \[(?:alert|crit|emerg)\]
    | exited\ on\ signal
    | open\ socket\ \#\d+\ left
    | aborting\s*$
    | Sanitizer
    | \ runtime\ error:
/xm;

# Valgrind findings that fail a test file.
our $BAD_VALGRIND = qr/
      Invalid\ (?:read|write|free)
    | uninitialised
    | definitely\ lost\ in
    | Mismatched\ free
    | Source\ and\ destination\ overlap
/x;

###############################################################################
# Construction and teardown.

sub new {
    my ($class, %opts) = @_;

    my $self = bless {
        ports => {},
        redis => {},
        daemons => {},
        log_pos => 0,
        alert_pos => 0,
        valgrind_checked => {},
        conf_n => 0,
    }, $class;

    $self->{dir} = tempdir('lapor-test-XXXXXXXX', TMPDIR => 1,
        CLEANUP => !$ENV{LAPOR_TEST_LEAVE});

    # Workers run as "nobody" when the tests run as root: let them reach
    # the temporary files and sockets below the prefix.
    chmod 0755, $self->{dir};

    diag("test directory: $self->{dir}") if $ENV{LAPOR_TEST_LEAVE};

    if ($ASAN) {
        # sanitizer reports of nginx processes, workers ("nobody") too
        mkdir "$self->{dir}/asan";
        chmod 01777, "$self->{dir}/asan";
    }

    unless ($opts{no_module_check} || -f $MODULE) {
        BAIL_OUT("module $MODULE not found: run `make build` "
            . "or set LAPOR_MODULE");
    }

    # A test killed by ^C or TERM still cleans up through END.
    $SIG{INT} = $SIG{TERM} = sub { exit 130 };
    $SIG{PIPE} = 'IGNORE';

    return $self;
}

sub testdir { $_[0]{dir} }

# Valgrind makes nginx 10-50 times slower: every wait is scaled.
sub scale { $VALGRIND ? 5 : 1 }
sub tmo { my ($self, $t) = @_; return $t * $self->scale }
sub valgrind { $VALGRIND }

sub asan { $ASAN }

# ASan mode: the module is instrumented, nginx is not; the runtime is
# preloaded into nginx only (never into Perl, Redis or the browser).
# Leak checking is off: nginx frees its pools at exit only in part, and
# the module's memory lives in those pools.  Each report goes to
# <dir>/asan/{asan,ubsan}.<pid>, which check_asan() reads.
our $ASAN_RUNTIME;

sub _asan_env {
    my ($self) = @_;
    return unless $ASAN;

    unless ($ASAN_RUNTIME) {
        my $cc = $ENV{LAPOR_TEST_ASAN_CC} || 'gcc';
        chomp($ASAN_RUNTIME = `$cc -print-file-name=libasan.so`);
        $ASAN_RUNTIME = readlink_abs($ASAN_RUNTIME);
    }

    my $d = "$self->{dir}/asan";
    $ENV{LD_PRELOAD} = $ASAN_RUNTIME;
    $ENV{ASAN_OPTIONS} = join ':', 'detect_leaks=0', "log_path=$d/asan",
        'abort_on_error=0', 'halt_on_error=1', 'detect_odr_violation=0',
        'allow_user_segv_handler=1';
    $ENV{UBSAN_OPTIONS} = join ':', 'print_stacktrace=1',
        "log_path=$d/ubsan", 'halt_on_error=0';
}

sub readlink_abs {
    my ($path) = @_;
    my $real = abs_path($path);
    return defined $real ? $real : $path;
}

# Fails the file for every sanitizer report written so far.
sub check_asan {
    my ($self, $name) = @_;
    return unless $ASAN;

    my @new = grep { !$self->{asan_checked}{$_}++ }
        asan_reports("$self->{dir}/asan");
    ok(!@new, $name || 'no sanitizer reports') or do {
        for my $file (@new[0 .. ($#new > 2 ? 2 : $#new)]) {
            my $text = $self->read_file("asan/$file");
            diag("$file:\n" . (length $text > 6000
                                ? substr($text, 0, 6000) : $text));
        }
    };
}

# The sanitizer report files in a directory (log_path=<dir>/asan.<pid>).
sub asan_reports {
    my ($dir) = @_;
    opendir my $dh, $dir or return ();
    my @reports = sort grep { /^(?:asan|ubsan)\.\d+$/ } readdir $dh;
    closedir $dh;
    return @reports;
}

sub skip_valgrind {
    my ($self, $why) = @_;
    plan(skip_all => "valgrind mode: $why") if $VALGRIND;
}

# Every failing check, subtests included, is recorded and repeated at the
# very end of the file's output: a CI log that keeps only its last lines
# still says which check failed, where, and why.
our @FAILED;
our $FAILED_DIAG = 0;

Test2::API::test2_stack()->top->pre_filter(sub {
    my ($hub, $e) = @_;
    return $e unless $$ == $OWNER;
    if ($e->isa('Test2::Event::Ok')) {
        $FAILED_DIAG = 0;
        if (!$e->pass && !$e->effective_pass) {
            my $tr = $e->trace;
            push @FAILED, sprintf '%s (line %s)',
                (defined $e->name ? $e->name : 'unnamed check'),
                $tr ? $tr->line : '?';
            $FAILED_DIAG = 1;
        }
    } elsif ($FAILED_DIAG && $e->isa('Test2::Event::Diag')
        && $FAILED_DIAG++ <= 4)
    {
        # the got/expected lines and the test's own diag() after it
        (my $m = $e->message) =~ s/\s+/ /g;
        $FAILED[-1] .= "\n      " . substr($m, 0, 400);
    }
    return $e;
}, inherit => 1);

END {
    local $?;
    return unless $$ == $OWNER;
    _kill_owned();
    if (@FAILED) {
        Test::More::diag("FAILED CHECKS in $0:");
        Test::More::diag("  $_") for @FAILED;
    }
}

sub _kill_owned {
    my @pids = grep { kill 0, $_ } keys %OWNED;
    kill 'TERM', @pids if @pids;

    my $deadline = time + 5;
    for my $pid (@pids) {
        while (time < $deadline) {
            last if waitpid($pid, WNOHANG) != 0;
            sleep 0.02;
        }
        if (waitpid($pid, WNOHANG) == 0) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
        delete $OWNED{$pid};
    }
    %OWNED = ();
}

sub _own {
    my ($pid, $what) = @_;
    $OWNED{$pid} = $what;
}

sub _disown {
    my ($pid) = @_;
    delete $OWNED{$pid};
}

# Stop everything, run the end-of-file checks, and close the plan.
sub finish {
    my ($self) = @_;

    $self->stop_nginx if $self->{nginx};
    $self->stop_daemons;
    $self->stop_redis(name => $_) for keys %{$self->{redis}};

    $self->check_alerts('no alerts in error.log');
    $self->check_acl_logs;
    $self->check_asan('no sanitizer reports in the file') if $ASAN;

    if ($ENV{LAPOR_TEST_CATLOG}) {
        diag($self->read_file('error.log'));
    }

    done_testing();
}

###############################################################################
# Files.

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '<', $path or return '';
    local $/;
    my $content = <$fh>;
    close $fh;
    return $content;
}

# 32 random bytes as 64 hex digits, the form lapor_identity_key reads
sub new_key {
    open my $fh, '<', '/dev/urandom' or die "can't read /dev/urandom: $!\n";
    read($fh, my $raw, 32) == 32 or die "short read from /dev/urandom\n";
    close $fh;
    return unpack 'H*', $raw;
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $fh, '>', $path or die "can't write $path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh;
    return $path;
}

###############################################################################
# Ports.
#
# A port is picked at random in a range below the kernel's ephemeral range
# (so that no outgoing connection can hold it), checked free with a TCP
# listener, and locked for the life of the test file with a UDP socket on
# the same number: another harness running in parallel (prove -j) cannot
# pick it.  The range is LAPOR_TEST_PORT_BASE (default 20000) to
# LAPOR_TEST_PORT_BASE + LAPOR_TEST_PORT_RANGE - 1 (default span 12000).

our $PORT_BASE = 20000;
our $PORT_RANGE = 12000;

# The range ports are picked from: (first port, number of ports).  Dies on
# a value that is not a whole number or a range outside 1024..65535.
sub port_range {
    my $base = defined $ENV{LAPOR_TEST_PORT_BASE}
        && length $ENV{LAPOR_TEST_PORT_BASE}
        ? $ENV{LAPOR_TEST_PORT_BASE} : $PORT_BASE;
    my $range = defined $ENV{LAPOR_TEST_PORT_RANGE}
        && length $ENV{LAPOR_TEST_PORT_RANGE}
        ? $ENV{LAPOR_TEST_PORT_RANGE} : $PORT_RANGE;

    die "LAPOR_TEST_PORT_BASE '$base' is not a port number\n"
        unless $base =~ /^\d+$/ && $base >= 1024 && $base <= 65535;
    die "LAPOR_TEST_PORT_RANGE '$range' is not a number of ports\n"
        unless $range =~ /^\d+$/ && $range >= 1;
    die "LAPOR_TEST_PORT_BASE + LAPOR_TEST_PORT_RANGE - 1 = "
        . ($base + $range - 1) . " is above 65535\n"
        if $base + $range - 1 > 65535;

    return ($base + 0, $range + 0);
}

sub port {
    my ($self, $name) = @_;
    $name = 'http' unless defined $name;

    return $self->{ports}{$name}{port} if $self->{ports}{$name};

    # 100 random picks; every port of a small range, in random order
    my ($base, $range) = port_range();
    my @try = $range <= 100
        ? List::Util::shuffle($base .. $base + $range - 1)
        : map { $base + int(rand($range)) } 1 .. 100;

    for my $port (@try) {
        next if grep { $_->{port} == $port } values %{$self->{ports}};

        my $lock = IO::Socket::INET->new(
            Proto => 'udp',
            LocalAddr => "127.0.0.1:$port",
        ) or next;

        my $tcp = IO::Socket::INET->new(
            Proto => 'tcp',
            LocalAddr => "127.0.0.1:$port",
            Listen => 1,
            ReuseAddr => 1,
        ) or next;
        close $tcp;

        $self->{ports}{$name} = { port => $port, lock => $lock };
        return $port;
    }

    die "no free port found in $base.." . ($base + $range - 1)
        . " (LAPOR_TEST_PORT_BASE, LAPOR_TEST_PORT_RANGE)\n";
}

###############################################################################
# nginx configuration.

sub _expand {
    my ($self, $text) = @_;

    $text =~ s/%%TESTDIR%%/$self->{dir}/g;
    $text =~ s/%%MODULE%%/$MODULE/g;
    $text =~ s/%%REPO%%/$REPO/g;
    $text =~ s/%%PORT%%/$self->port('http')/ge;
    $text =~ s/%%REDIS_PORT%%/$self->redis_port('redis')/ge;
    $text =~ s/%%REDIS_LOGIN%%/$self->redis_login/ge;
    $text =~ s/%%REDIS(?::(\w+))?%%/'127.0.0.1:'
        . $self->redis_port($1 || 'redis') . ' ' . $self->redis_login/ge;
    $text =~ s/%%FAKE_PORT%%/$self->port('fake')/ge;
    $text =~ s/%%PORT_(\w+)%%/$self->port($1)/ge;

    return $text;
}

# Builds a whole nginx.conf around an http{} snippet.  Options:
#   master_process => 'on'|'off' (forced 'off' under valgrind)
#   worker_processes => N (default 1)
#   log_level => 'info' (default; LAPOR_TEST_DEBUG=1 makes it 'debug')
#   main => text for the main context, events => text for events{}
#   no_module => 1 to leave out load_module
#   file => name of the file (default nginx.conf)
#   full => 1 when the text is a whole nginx.conf (only expanded)
sub conf_text {
    my ($self, $http, %opts) = @_;

    return $self->_expand($http) if $opts{full};

    # An API needs a catalog and an identity key; tests that are not about
    # them get the example catalog and a fresh key.
    if ($http =~ /\blapor_(?:api|open311)\b/) {
        my $defaults = '';
        $defaults .= "    lapor_catalog %%REPO%%/examples/catalog.json;\n"
            unless $http =~ /\blapor_catalog\b/;
        unless ($http =~ /\blapor_identity_key\b/) {
            $self->write_file('identity.key', $self->new_key . "\n")
                unless -f "$self->{dir}/identity.key";
            $defaults .= "    lapor_identity_key %%TESTDIR%%/identity.key;\n";
        }
        $http = $defaults . $http;
    }

    my $master = $opts{master_process} || 'on';
    $master = 'off' if $VALGRIND;
    my $workers = $opts{worker_processes} || 1;
    my $level = $opts{log_level}
        || ($ENV{LAPOR_TEST_DEBUG} ? 'debug' : 'info');
    my $main = $opts{main} || '';
    my $events = $opts{events} || '';
    my $load = $opts{no_module} ? '' : "load_module %%MODULE%%;\n";

    my $conf = <<"EOF";
${load}
daemon off;
master_process $master;
worker_processes $workers;
pid %%TESTDIR%%/nginx.pid;
error_log %%TESTDIR%%/error.log $level;
$main

events {
    worker_connections 1024;
    $events
}

http {
    access_log %%TESTDIR%%/access.log;
    default_type text/plain;

    client_body_temp_path %%TESTDIR%%/client_body_temp;
    proxy_temp_path %%TESTDIR%%/proxy_temp;
    fastcgi_temp_path %%TESTDIR%%/fastcgi_temp;
    uwsgi_temp_path %%TESTDIR%%/uwsgi_temp;
    scgi_temp_path %%TESTDIR%%/scgi_temp;

$http
}
EOF

    return $self->_expand($conf);
}

sub write_conf {
    my ($self, $http, %opts) = @_;
    my $file = $opts{file} || 'nginx.conf';
    $self->{conf} = $self->write_file($file, $self->conf_text($http, %opts));
    return $self->{conf};
}

# Runs `nginx -t` on a configuration built like write_conf; returns
# (exit code, everything nginx printed or logged).
sub nginx_t {
    my ($self, $http, %opts) = @_;

    my $n = ++$self->{conf_n};
    my $conf = $self->write_file("t-$n.conf",
        $self->conf_text($http, %opts));
    my $log = "$self->{dir}/t-$n.log";

    my $out = $self->_run_capture($NGINX, '-t', '-q',
        '-p', "$self->{dir}/", '-c', $conf, '-e', $log);
    $self->check_asan("no sanitizer reports from nginx -t") if $ASAN;
    my $rc = $? >> 8;
    $out .= $self->read_file($log);

    return ($rc, $out);
}

sub _run_capture {
    my ($self, @cmd) = @_;

    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        $self->_asan_env if $cmd[0] eq $NGINX;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh>;
    close $fh;
    return defined $out ? $out : '';
}

###############################################################################
# nginx lifecycle.

sub start_nginx {
    my ($self, %opts) = @_;

    die "nginx already running\n" if $self->{nginx};
    $self->write_conf($opts{http}, %opts) if defined $opts{http};
    my $conf = $self->{conf} or die "write_conf first\n";

    unlink "$self->{dir}/nginx.pid";

    my @cmd = ($NGINX, '-p', "$self->{dir}/", '-c', $conf,
        '-e', "$self->{dir}/error.log");

    if ($VALGRIND) {
        unshift @cmd, 'valgrind', '--tool=memcheck', '--leak-check=full',
            '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite',
            '--num-callers=30', "--suppressions=$SUPP",
            "--log-file=$self->{dir}/valgrind.%p.log";
    }

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$self->{dir}/nginx.stderr";
        open STDERR, '>&', \*STDOUT;
        $self->_asan_env;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }

    _own($pid, 'nginx');
    $self->{nginx} = $pid;

    my $port = $self->port('http');
    my $ok = wait_until(sub {
        return -1 if waitpid($pid, WNOHANG) != 0;
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
            Proto => 'tcp', Timeout => 1);
        return $s ? 1 : 0;
    }, $self->tmo($opts{timeout} || 10), 0.02);

    unless ($ok && $ok == 1) {
        _disown($pid);
        delete $self->{nginx};
        if (!$ok) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
        die "nginx did not start:\n" . $self->read_file('nginx.stderr')
            . $self->_tail('error.log', 30);
    }

    if ($ASAN && !$self->{asan_seen}++) {
        # the runtime and the instrumented module are really in nginx
        my $maps = $self->read_file("/proc/$pid/maps");
        my $loads = $self->read_file($conf) =~ /\Q$MODULE\E/;
        ok($maps =~ /libasan/ && (!$loads || $maps =~ /\Q$MODULE\E/),
            'ASan mode: nginx runs with libasan'
            . ($loads ? " and $MODULE" : ''));
    }

    return $pid;
}

sub nginx_pid { $_[0]{nginx} }

# Worker processes of the running master (pids whose parent it is).
sub worker_pids {
    my ($self) = @_;
    my $master = $self->{nginx} or return ();
    return ($master) if $VALGRIND;

    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh>;
        close $fh;
        next unless defined $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
        next if $1 eq 'Z';
        push @pids, $pid if $2 == $master;
    }
    closedir $dh;
    return sort { $a <=> $b } @pids;
}

# Sends HUP and waits until a new generation of workers is running.
# Returns the pids of the old workers.
sub reload {
    my ($self, %opts) = @_;

    die "reload needs master_process on\n" if $VALGRIND;
    my $master = $self->{nginx} or die "nginx not running\n";

    my @old = $self->worker_pids;
    my %old = map { $_ => 1 } @old;
    my $pos = -s "$self->{dir}/error.log" || 0;

    kill 'HUP', $master;

    my $ok = wait_until(sub {
        my $log = substr($self->read_file('error.log'), $pos);
        return 0 unless $log =~ /reconfiguring/;
        return scalar grep { !$old{$_} } $self->worker_pids;
    }, $self->tmo($opts{timeout} || 10));

    die "reload did not start new workers\n" . $self->_tail('error.log', 30)
        unless $ok;

    return @old;
}

# Waits until none of the given pids exists any more.
sub wait_pids_gone {
    my ($self, $timeout, @pids) = @_;
    return wait_until(sub {
        !grep { -e "/proc/$_" && !_zombie($_) } @pids
    }, $timeout);
}

sub _zombie {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$fh>;
    return defined $stat && $stat =~ /\)\s+Z/;
}

# Graceful stop: QUIT, up to 30 s, then TERM and KILL (and a failed test).
sub stop_nginx {
    my ($self, %opts) = @_;

    my $pid = delete $self->{nginx} or return 1;
    my $signal = $opts{signal} || 'QUIT';
    my $timeout = $self->tmo($opts{timeout} || 30);

    kill $signal, $pid;

    my $t0 = time;
    my $exited = wait_until(sub { waitpid($pid, WNOHANG) != 0 },
        $timeout, 0.02);
    my $status = $?;
    $self->{nginx_exit} = { status => $status, elapsed => time - $t0 };

    unless ($exited) {
        fail("nginx exits within ${timeout}s after $signal");
        diag($self->_tail('error.log', 30));
        kill 'TERM', $pid;
        unless (wait_until(sub { waitpid($pid, WNOHANG) != 0 }, 5)) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
    }

    _disown($pid);
    $self->check_valgrind if $VALGRIND;
    $self->check_asan if $ASAN;

    return $exited;
}

sub nginx_exit { $_[0]{nginx_exit} }

###############################################################################
# Error log.

sub error_log { $_[0]->read_file('error.log') }

# Remembers the current end of error.log; log_since_mark() and wait_log()
# look only at what was written after it.
sub log_mark {
    my ($self) = @_;
    $self->{log_pos} = -s "$self->{dir}/error.log" || 0;
    return $self;
}

sub log_since_mark {
    my ($self) = @_;
    my $log = $self->error_log;
    return length($log) > $self->{log_pos}
        ? substr($log, $self->{log_pos}) : '';
}

# New bytes since the previous log_new() (or log_mark()), and advance.
sub log_new {
    my ($self) = @_;
    my $text = $self->log_since_mark;
    $self->{log_pos} += length $text;
    return $text;
}

sub wait_log {
    my ($self, $re, $timeout) = @_;
    return wait_until(sub { $self->log_since_mark =~ $re },
        $self->tmo($timeout || 5));
}

# Fails when the log bytes since the previous check contain an alert,
# a crash or a sanitizer report.
sub check_alerts {
    my ($self, $name) = @_;

    my $log = $self->error_log;
    my $new = length($log) > $self->{alert_pos}
        ? substr($log, $self->{alert_pos}) : '';
    $self->{alert_pos} = length $log;

    my @bad = grep { $_ =~ $BAD_LOG } split /\n/, $new;
    my $ok = ok(!@bad, $name || 'no alerts in error.log');
    diag(join "\n", @bad[0 .. ($#bad > 20 ? 20 : $#bad)]) unless $ok;
    return $ok;
}

sub _tail {
    my ($self, $name, $n) = @_;
    my @lines = split /\n/, $self->read_file($name);
    @lines = @lines[-$n .. -1] if @lines > $n;
    return "--- $name (tail) ---\n" . join("\n", @lines) . "\n";
}

###############################################################################
# Valgrind.

sub check_valgrind {
    my ($self, $name) = @_;

    opendir my $dh, $self->{dir} or return;
    my @logs = sort grep { /^valgrind\.\d+\.log$/ } readdir $dh;
    closedir $dh;

    my @new = grep { !$self->{valgrind_checked}{$_}++ } @logs;
    ok(scalar @new, 'valgrind wrote a log') or return;

    for my $file (@new) {
        my @errors = valgrind_errors($self->read_file($file));
        my $ok = ok(!@errors, ($name || 'no valgrind errors') . " ($file)");
        unless ($ok) {
            my $shown = join "\n", @errors[0 .. ($#errors > 4 ? 4 : $#errors)];
            diag(length $shown > 8000 ? substr($shown, 0, 8000) : $shown);
        }
    }
}

# The records of a valgrind log that are errors we fail on.  A record is a
# run of "==PID== ..." lines between two empty "==PID==" lines.
sub valgrind_errors {
    my ($text) = @_;
    return grep { $_ =~ $BAD_VALGRIND } split /^==\d+==\s*\n/m, $text;
}

###############################################################################
# HTTP.

sub base_url {
    my ($self) = @_;
    return 'http://127.0.0.1:' . $self->port('http');
}

# http_request(METHOD, PATH, headers => {}, body => '', timeout => s)
# Returns { status, reason, headers => {lowercase => value}, body, elapsed,
# json (decoded when the body is JSON) }.
sub http_request {
    my ($self, $method, $path, %opts) = @_;

    my $http = HTTP::Tiny->new(
        timeout => $opts{timeout} || $self->tmo(10),
        keep_alive => 0,
        max_redirect => 0,
        agent => 'lapor-test/1',
    );

    my %args;
    $args{headers} = $opts{headers} if $opts{headers};
    $args{content} = $opts{body} if defined $opts{body};

    my $t0 = time;
    my $r = $http->request($method, $self->base_url . $path, \%args);
    my $res = {
        status => $r->{status},
        reason => $r->{reason},
        headers => $r->{headers} || {},
        body => defined $r->{content} ? $r->{content} : '',
        elapsed => time - $t0,
    };

    _decode_json_body($res);
    _record($method, $path, $opts{headers}, $res, $opts{body});
    return $res;
}

sub http_get { my ($self, $path, %o) = @_; $self->http_request('GET', $path, %o) }
sub http_head { my ($self, $path, %o) = @_; $self->http_request('HEAD', $path, %o) }

# The opt-in recorder: with LAPOR_RECORD=<file>, every answer to a request
# below /api/v1/ is appended to <file> as one JSON line (method, path,
# request headers and body, status, response headers and body) for
# t/openapi/validate.mjs,
# which checks it against docs/openapi.yaml (t/091-openapi.t).
sub _record {
    my ($method, $path, $req_headers, $res, $req_body) = @_;
    my $file = $ENV{LAPOR_RECORD};

    # 599: HTTP::Tiny's own error (no answer), not nginx's
    return unless $file && $res->{status} && $res->{status} != 599
        && $path =~ m{^/api/v1/};

    my %req = map { lc($_) => $req_headers->{$_} } keys %{$req_headers || {}};
    my $body = $res->{body};
    if (($res->{headers}{'content-encoding'} || '') eq 'gzip' && length $body) {
        require IO::Uncompress::Gunzip;
        my $in = $body;
        IO::Uncompress::Gunzip::gunzip(\$in => \$body)
            or $body = "(gunzip failed: $IO::Uncompress::Gunzip::GunzipError)";
    }
    my $line = JSON::PP->new->canonical->encode({
        method => $method, path => $path, request_headers => \%req,
        (defined $req_body ? (request_body => $req_body) : ()),
        status => 0 + $res->{status}, headers => $res->{headers},
        body => $body,
    });
    open my $fh, '>>', $file or die "LAPOR_RECORD $file: $!\n";
    print $fh "$line\n";
    close $fh;
}

sub _record_raw {
    my ($req, $res) = @_;
    return unless $ENV{LAPOR_RECORD} && defined $req;
    my ($head, $body) = split /\r\n\r\n/, $req, 2;
    my ($line, @lines) = split /\r\n/, $head;
    my ($method, $path) = $line =~ m{^(\S+) (\S+) HTTP/} or return;
    # pipelined requests: the body holds more than one answer
    my $len = $res->{headers}{'content-length'};
    return if $method ne 'HEAD' && defined $len && $len != length $res->{body};
    my %h = map { /^([^:]+):\s*(.*)$/ ? ($1 => $2) : () } @lines;
    # a chunked request body is not recorded
    undef $body if grep { /^transfer-encoding:.*chunked/i } @lines;
    _record($method, $path, \%h, $res, $body);
}

sub _decode_json_body {
    my ($res) = @_;
    my $ct = $res->{headers}{'content-type'} || '';
    if ($ct =~ /json/ && length $res->{body}) {
        $res->{json} = eval { json_decode($res->{body}) };
        $res->{json_error} = $@ if $@;
    }
    return $res;
}

# A raw HTTP/1.1 request with "Connection: close".
sub raw_request {
    my ($self, $method, $path, %opts) = @_;
    my $headers = $opts{headers} || {};
    my $body = defined $opts{body} ? $opts{body} : '';

    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n";
    $req .= "$_: $headers->{$_}\r\n" for sort keys %$headers;
    $req .= 'Content-Length: ' . length($body) . "\r\n"
        if length $body && !exists $headers->{'Content-Length'};
    $req .= "\r\n$body";
    return $req;
}

# Opens a connection and sends a request; returns the socket (with the
# start time in ${*$sock}{lapor_t0}).
sub http_start {
    my ($self, $req) = @_;

    my $s = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1:' . $self->port('http'),
        Proto => 'tcp',
        Timeout => $self->tmo(5),
    ) or die "connect to nginx: $!\n";

    ${*$s}{lapor_t0} = time;
    ${*$s}{lapor_req} = $req;
    _write_all($s, $req);
    return $s;
}

# Reads the whole response (until the server closes) and parses it.
sub http_end {
    my ($self, $s, %opts) = @_;
    my $timeout = $opts{timeout} || $self->tmo(10);
    my $t0 = ${*$s}{lapor_t0} || time;
    my $deadline = time + $timeout;
    my $buf = '';
    my $sel = IO::Select->new($s);

    while (1) {
        my $left = $deadline - time;
        last if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($s, $buf, 65536, length $buf);
        next if !defined $n && $! == EINTR;
        last unless $n;
    }

    my $elapsed = time - $t0;
    my $req = ${*$s}{lapor_req};
    close $s;

    my $res = parse_http_response($buf);
    $res->{elapsed} = $elapsed;
    _record_raw($req, $res);
    return $res;
}

sub http_raw {
    my ($self, $req, %opts) = @_;
    return $self->http_end($self->http_start($req), %opts);
}

# Sends a request and closes the connection before the answer: after
# `after` seconds (default 0.1); with rst => 1 the close is a reset.
sub http_abort {
    my ($self, $req, %opts) = @_;
    my $s = $self->http_start($req);
    sleep(defined $opts{after} ? $opts{after} : 0.1);
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('II', 1, 0)) if $opts{rst};
    close $s;
}

# Sends all requests at once over separate connections and collects the
# answers with select(); returns the parsed responses in request order.
sub http_parallel {
    my ($self, $reqs, %opts) = @_;
    my $timeout = $opts{timeout} || $self->tmo(10);

    my @socks = map { $self->http_start($_) } @$reqs;
    my @bufs = ('') x @socks;
    my @done = (0) x @socks;
    my @elapsed = (undef) x @socks;
    my %index = map { fileno($socks[$_]) => $_ } 0 .. $#socks;
    my $sel = IO::Select->new(@socks);
    my $deadline = time + $timeout;

    while ($sel->count && time < $deadline) {
        for my $s ($sel->can_read($deadline - time)) {
            my $i = $index{fileno $s};
            my $n = sysread($s, $bufs[$i], 65536, length $bufs[$i]);
            next if !defined $n && $! == EINTR;
            unless ($n) {
                $elapsed[$i] = time - ${*$s}{lapor_t0};
                $sel->remove($s);
            }
        }
    }

    my @res;
    for my $i (0 .. $#socks) {
        close $socks[$i];
        my $r = parse_http_response($bufs[$i]);
        $r->{elapsed} = defined $elapsed[$i] ? $elapsed[$i] : $timeout;
        _record_raw($reqs->[$i], $r);
        push @res, $r;
    }
    return @res;
}

sub parse_http_response {
    my ($raw) = @_;
    my $res = { raw => $raw, status => 0, headers => {}, body => '' };

    my $end = index($raw, "\r\n\r\n");
    return $res if $end < 0;

    my ($line, @lines) = split /\r\n/, substr($raw, 0, $end);
    ($res->{status}, $res->{reason}) = $line =~ m{^HTTP/\d\.\d\s+(\d+)\s*(.*)$}
        or return $res;

    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $k = lc $k;
        $res->{headers}{$k} = exists $res->{headers}{$k}
            ? "$res->{headers}{$k}, $v" : $v;
    }

    my $body = substr($raw, $end + 4);
    if (($res->{headers}{'transfer-encoding'} || '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $out .= substr($body, 0, $len, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    }
    $res->{body} = $body;

    _decode_json_body($res);
    return $res;
}

# Polls GET $path until it answers $status; returns the last response
# (check its status) .
sub wait_status {
    my ($self, $path, $status, $timeout) = @_;
    my $res;
    wait_until(sub {
        $res = $self->http_get($path, timeout => $self->tmo(5));
        return $res->{status} == $status;
    }, $self->tmo($timeout || 10), 0.05);
    return $res;
}

# Checks an RFC 9457 problem answer: HTTP status, content type, JSON with
# type/title/status/detail, status equal to the HTTP status, and the type.
sub problem_ok {
    my ($self, $res, $status, $type, $name) = @_;
    my @errors = check_problem($res, $status, $type);
    my $ok = ok(!@errors, $name);
    unless ($ok) {
        diag(join "\n", @errors);
        diag("response: $res->{status}\n" . ($res->{body} || ''));
    }
    return $ok;
}

sub check_problem {
    my ($res, $status, $type) = @_;
    my @e;

    if (ref $status eq 'ARRAY') {
        push @e, "status $res->{status} not in (@$status)"
            unless grep { $_ == $res->{status} } @$status;
    } elsif (defined $status) {
        push @e, "status $res->{status}, expected $status"
            unless $res->{status} == $status;
    }

    my $ct = $res->{headers}{'content-type'} || '';
    push @e, "content-type '$ct', expected application/problem+json"
        unless $ct =~ m{^application/problem\+json\b};

    my $j = $res->{json};
    unless (ref $j eq 'HASH') {
        push @e, 'body is not a JSON object'
            . ($res->{json_error} ? ": $res->{json_error}" : '');
        return @e;
    }

    for my $f (qw/ type title status detail /) {
        push @e, "no '$f' member" unless defined $j->{$f};
    }
    push @e, "body status $j->{status} != HTTP status $res->{status}"
        if defined $j->{status} && $j->{status} != $res->{status};

    if (defined $type && defined $j->{type}) {
        my $want = $type =~ /^urn:/ ? $type : "urn:lapor:problem:$type";
        push @e, "type '$j->{type}', expected '$want'"
            unless $j->{type} eq $want;
    }

    return @e;
}

###############################################################################
# Redis.
#
# Every Redis runs with the shipped redis/redis.conf and redis/users.acl:
# start_redis writes both into the test directory, replacing only what must
# differ (the port, the paths, daemonize/supervised and the passwords), so a
# change to the shipped files is what the tests run.  nginx logs in as the
# least-privilege user "lapor" (%%REDIS%%), the harness as "admin".  After
# each file (and before each stop) the ACL LOG of every such Redis is read:
# a denied command fails the file.

our $SHIPPED_CONF = "$REPO/redis/redis.conf";
our $AOF_CHECK = "$REPO/lua-free-scripts/lapor-aof-check";
our $SHIPPED_ACL = "$REPO/redis/users.acl";

# Settings of the shipped redis.conf the harness replaces; every other one
# is kept as shipped.
our %CONF_REPLACED = map { $_ => 1 } qw/
    port dir pidfile logfile aclfile unixsocket
    daemonize supervised requirepass masterauth masteruser
/;

# The password of a user of the shipped ACL file (the CHANGE_ME_<user>_password
# placeholder), the same for every Redis and every harness object of this
# test file: 24 hex digits.
our %ACL_PASSWORD;

sub acl_password {
    my ($self, $user) = @_;
    return $ACL_PASSWORD{$user} ||= substr(new_key(), 0, 24);
}

# "user=lapor password=..." for lapor_redis (%%REDIS_LOGIN%%).
sub redis_login {
    my ($self) = @_;
    return 'user=lapor password=' . $self->acl_password('lapor');
}

# The text of redis.conf for one of our servers: the shipped file with the
# port, paths, daemonize/supervised replaced, the aclfile dropped when
# acl => 0, and the overrides of conf => [ name => value, ... ] appended
# (a later line wins in redis.conf).
sub redis_conf_text {
    my ($self, %o) = @_;

    open my $fh, '<', $SHIPPED_CONF or die "$SHIPPED_CONF: $!\n";
    my @lines = <$fh>;
    close $fh;

    my (%seen, @out);
    for my $line (@lines) {
        my ($name) = $line =~ /^\s*([a-z][\w-]*)\s/i;
        if (!defined $name || !$CONF_REPLACED{lc $name}) {
            push @out, $line;
            next;
        }
        $name = lc $name;
        $seen{$name} = 1;
        push @out, "# (test harness) was: $line";
    }

    for my $need (qw/ port dir pidfile logfile aclfile daemonize /) {
        die "$SHIPPED_CONF has no '$need' line: the harness replaces it\n"
            unless $seen{$need};
    }

    push @out, "\n# test harness: ports, paths, process control\n",
        "port $o{port}\n",
        "dir $o{dir}\n",
        "pidfile $o{dir}/redis.pid\n",
        "logfile \"\"\n",
        "daemonize no\n",
        "supervised no\n";
    push @out, "aclfile $o{dir}/users.acl\n" if $o{acl};
    push @out, "unixsocket $o{dir}/redis.sock\n" if $seen{unixsocket};
    push @out, "requirepass $o{password}\n" if defined $o{password};

    my @over = @{$o{conf} || []};
    if (@over) {
        push @out, "\n# test overrides (the test says why)\n";
        while (my ($k, $v) = splice @over, 0, 2) {
            push @out, "$k $v\n";
        }
    }

    return join '', @out;
}

# The shipped users.acl with every CHANGE_ME_<user>_password placeholder
# replaced by acl_password(<user>).
sub redis_acl_text {
    my ($self) = @_;

    open my $fh, '<', $SHIPPED_ACL or die "$SHIPPED_ACL: $!\n";
    local $/;
    my $acl = <$fh>;
    close $fh;

    $acl =~ s/>CHANGE_ME_(\w+?)_password\b/'>' . $self->acl_password($1)/ge;
    die "$SHIPPED_ACL: a CHANGE_ME left the harness does not know\n"
        if $acl =~ /CHANGE_ME/;
    die "$SHIPPED_ACL: no user lapor\n" unless $acl =~ /^user lapor /m;
    die "$SHIPPED_ACL: no user admin\n" unless $acl =~ /^user admin /m;

    return $acl;
}

# start_redis(%opts): starts redis-server with the shipped settings and
# waits until it answers.  Options (each use of one says why in the test):
#   name => 'redis'      which server (port name; %%REDIS:<name>%%)
#   port => N            a fixed port
#   acl => 0             no ACL file: the stock "default" user with every
#                        right (and no password unless password => ...)
#   password => '...'    requirepass for the default user (with acl => 0)
#   conf => [ k => v ]   settings that differ from the shipped file
#   args => [ ... ]      extra command line arguments
#   acl_denials => 'why' denials are expected: ACL LOG is not checked
#   fresh => 1           start without the data of a previous run (a Redis
#                        that lost its disk)
#   aof_check => 0       do not run lapor-aof-check --fix on the AOF first
#                        (as the systemd drop-in does before every start)
# Started again after stop_redis, it comes back on the same port, with the
# same options unless new ones are given, and with its data (the shipped
# settings keep an append-only file), unless fresh => 1.
sub start_redis {
    my ($self, %opts) = @_;

    my $name = $opts{name} || 'redis';
    die "redis '$name' already running\n"
        if $self->{redis}{$name} && $self->{redis}{$name}{pid};

    my $prev = $self->{redis}{$name} || {};
    my $port = $opts{port} || $prev->{port} || $self->port($name);
    my %o;
    for my $k (qw/ acl password conf args acl_denials /) {
        $o{$k} = exists $opts{$k} ? $opts{$k} : $prev->{opts}{$k};
    }
    $o{acl} = 1 unless defined $o{acl};
    die "start_redis: password => ... is for acl => 0 (requirepass)\n"
        if $o{acl} && defined $o{password};

    my $dir = "$self->{dir}/redis-$port";
    if ($opts{fresh}) {
        File::Path::remove_tree("$dir/appendonlydir");
        unlink "$dir/dump.rdb";
    }
    mkdir $dir unless -d $dir;
    chmod 0755, $dir;

    $self->write_file("$dir/redis.conf", $self->redis_conf_text(
        port => $port, dir => $dir, acl => $o{acl},
        password => $o{password}, conf => $o{conf}));
    $self->write_file("$dir/users.acl", $self->redis_acl_text) if $o{acl};

    my @cmd = ($REDIS_SERVER, "$dir/redis.conf");
    push @cmd, @{$o{args}} if $o{args};

    my $log = "$self->{dir}/redis-$port.log";

    # As the systemd drop-in of redis/README.md does before every start:
    # what a crash left of a transaction is cut from the AOF (redis.conf
    # has aof-load-truncated no).  What was cut: aof_cuts().
    if (-d "$dir/appendonlydir" && ($opts{aof_check} // 1)) {
        my $out = `'$AOF_CHECK' --fix --quiet '$dir' 2>&1`;
        die "lapor-aof-check --fix $dir: exit " . ($? >> 8) . ": $out"
            if $?;
        if ($out ne '') {
            push @{$self->{aof_cuts}}, $out;
            Test::More::note("lapor-aof-check before redis $name: $out");
        }
    }

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }

    _own($pid, "redis-server $name");
    my $r = $self->{redis}{$name} = {
        pid => $pid, port => $port, password => $o{password}, log => $log,
        acl => $o{acl}, dir => $dir, opts => \%o,
        denials => $prev->{denials} || [],
    };

    my $up = wait_until(sub {
        return -1 if waitpid($pid, WNOHANG) != 0;
        my $reply = eval {
            my $c = Lapor::Test::RedisConn->new(port => $port, timeout => 1);
            $c->command('PING');
        };
        return 0 unless defined $reply;
        return 1 if $reply eq 'PONG' || $reply =~ /^NOAUTH/;
        return 0;
    }, $self->tmo(10), 0.02);

    unless ($up && $up == 1) {
        _disown($pid);
        kill 'KILL', $pid unless $up;
        waitpid($pid, 0);
        $r->{pid} = undef;
        die "redis-server did not start:\n" . $self->read_file($log);
    }

    # a restarted server reloads its AOF: wait until it answers commands
    wait_until(sub {
        my $v = eval { $self->redis_cmd({ name => $name, timeout => 1 },
            'PING') };
        return defined $v && !is_redis_error($v) && $v eq 'PONG';
    }, $self->tmo(10), 0.02);

    return $port;
}

# start_sentinel(%opts): a Redis Sentinel with the shipped
# redis/sentinel.conf, watching one of our servers, started as
# "redis-server <conf> --sentinel".  Only the port, paths, process control,
# the watched master's address and the CHANGE_ME_<user>_password
# placeholders are replaced (acl_password(<user>), as for users.acl); the
# harness logs in as its "admin".  Options:
#   name => 'sentinel1'   which sentinel (port name; %%PORT_<name>%%)
#   master => 'redis'     the Redis it watches at start
#   conf => [ k => v ]    lines appended (a test says why), e.g.
#                         'sentinel down-after-milliseconds' => 'lapor 1000'
# Stopped with stop_redis(name => ...); its ACL LOG is checked like a
# Redis's.  Started again, it keeps the file Sentinel rewrote.
our $SHIPPED_SENTINEL = "$REPO/redis/sentinel.conf";

sub start_sentinel {
    my ($self, %opts) = @_;

    my $name = $opts{name} || 'sentinel';
    die "sentinel '$name' already running\n"
        if $self->{redis}{$name} && $self->{redis}{$name}{pid};

    my $prev = $self->{redis}{$name} || {};
    my $port = $prev->{port} || $self->port($name);
    my $dir = "$self->{dir}/sentinel-$port";
    my $file = "$dir/sentinel.conf";

    unless (-f $file) {
        mkdir $dir unless -d $dir;
        chmod 0755, $dir;

        my $mport = $self->redis_port($opts{master} || 'redis');

        open my $fh, '<', $SHIPPED_SENTINEL
            or die "$SHIPPED_SENTINEL: $!\n";
        my @out;
        my %seen;
        while (my $line = <$fh>) {
            my ($k) = $line =~ /^\s*([a-z][\w-]*)\s/i;
            if (defined $k && $k =~ /^(?:port|dir|pidfile|logfile|daemonize|supervised)$/) {
                $seen{$k} = 1;
                push @out, "# (test harness) was: $line";
                next;
            }
            if ($line =~ /^sentinel monitor (\S+) \S+ \d+ (\d+)/) {
                $seen{monitor} = 1;
                $line = "sentinel monitor $1 127.0.0.1 $mport $2\n";
            }
            $line =~ s/>CHANGE_ME_(\w+?)_password\b/'>' . $self->acl_password($1)/ge;
            $line =~ s/\bCHANGE_ME_(\w+?)_password\b/$self->acl_password($1)/ge;
            push @out, $line;
        }
        close $fh;

        for my $need (qw/ port dir logfile monitor /) {
            die "$SHIPPED_SENTINEL has no '$need' line\n" unless $seen{$need};
        }

        push @out, "\n# test harness: ports, paths, process control\n",
            "port $port\n", "dir $dir\n", "pidfile $dir/sentinel.pid\n",
            "logfile \"\"\n", "daemonize no\n", "supervised no\n";

        my @over = @{$opts{conf} || []};
        push @out, "\n# test overrides (the test says why)\n" if @over;
        while (my ($k, $v) = splice @over, 0, 2) {
            push @out, "$k $v\n";
        }

        $self->write_file($file, join '', @out);
    }

    my $log = "$self->{dir}/sentinel-$port.log";
    my @cmd = ($REDIS_SERVER, $file, '--sentinel');

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec { $cmd[0] } @cmd or POSIX::_exit(127);
    }

    _own($pid, "redis-sentinel $name");
    $self->{redis}{$name} = {
        pid => $pid, port => $port, log => $log, acl => 1, dir => $dir,
        opts => { acl => 1 }, sentinel => 1,
        denials => $prev->{denials} || [],
    };

    my $up = wait_until(sub {
        return -1 if waitpid($pid, WNOHANG) != 0;
        my $v = eval { $self->redis_cmd({ name => $name, timeout => 1 },
            'PING') };
        return defined $v && !ref $v && $v eq 'PONG' ? 1 : 0;
    }, $self->tmo(10), 0.02);

    unless ($up && $up == 1) {
        _disown($pid);
        kill 'KILL', $pid unless $up;
        waitpid($pid, 0);
        $self->{redis}{$name}{pid} = undef;
        die "redis sentinel did not start:\n" . $self->read_file($log);
    }

    return $port;
}

# The entries of ACL LOG of one of our servers (as hashes: reason, context,
# object, username, count, ...), or dies when it cannot be read.
sub acl_log {
    my ($self, %opts) = @_;
    my $log = $self->redis_cmd({ name => $opts{name},
        timeout => $opts{timeout} || $self->tmo(2) }, 'ACL', 'LOG');
    die "ACL LOG: $log\n" if is_redis_error($log) || ref $log ne 'ARRAY';
    return map { ref $_ eq 'HASH' ? $_ : {@$_} } @$log;
}

sub acl_log_text {
    my ($e) = @_;
    return join ' ', map { "$_=" . (defined $e->{$_} ? $e->{$_} : '') }
        grep { exists $e->{$_} }
        qw/ reason context object username count client-info /;
}

# Reads ACL LOG of a running server with the shipped ACL and keeps its
# entries for the end-of-file check (the log lives only in memory).
sub collect_acl_log {
    my ($self, %opts) = @_;
    my $name = $opts{name} || 'redis';
    my $r = $self->{redis}{$name} or return;
    return unless $r->{pid} && $r->{acl};

    my @e = eval { $self->acl_log(name => $name) };
    if ($@) {
        push @{$r->{unread}}, $@;
        return;
    }
    push @{$r->{denials}}, @e;
    $self->redis_cmd({ name => $name }, 'ACL', 'LOG', 'RESET') if @e;
    return @e;
}

# The end-of-file check: no command of anyone was denied by the shipped ACL.
sub check_acl_logs {
    my ($self) = @_;

    for my $name (sort keys %{$self->{redis}}) {
        my $r = $self->{redis}{$name};
        next unless $r->{acl};
        my $what = "redis '$name': ACL LOG empty (the shipped ACL allowed"
            . " every command)";

        if ($r->{opts}{acl_denials}) {
            note("$what: not checked, denials expected: "
                . "$r->{opts}{acl_denials}");
            next;
        }

        my @d = @{$r->{denials}};
        my $ok = ok(!@d, $what);
        diag(join "\n", 'ACL LOG:', map { acl_log_text($_) }
            @d[0 .. ($#d > 20 ? 20 : $#d)]) unless $ok;
        diag("ACL LOG of redis '$name' could not be read: @{$r->{unread}}")
            if $r->{unread};
    }
}

sub redis_port {
    my ($self, $name) = @_;
    my $r = $self->{redis}{$name || 'redis'};
    return $r ? $r->{port} : $self->port($name || 'redis');
}

sub redis_pid {
    my ($self, $name) = @_;
    my $r = $self->{redis}{$name || 'redis'};
    return $r ? $r->{pid} : undef;
}

# stop_redis(name => 'redis', signal => 'TERM'|'KILL')
sub stop_redis {
    my ($self, %opts) = @_;
    my $name = $opts{name} || 'redis';
    my $r = $self->{redis}{$name} or return;
    my $pid = $r->{pid} or return;

    # ACL LOG lives in memory: read it before a graceful stop.  A KILL
    # stands for a crash, at once: whatever was logged since the previous
    # read is lost (a test that cares calls collect_acl_log first).
    my $signal = $opts{signal} || 'TERM';
    $self->collect_acl_log(name => $name) if $signal eq 'TERM';

    kill($signal, $pid);
    unless (wait_until(sub { waitpid($pid, WNOHANG) != 0 }, 10, 0.01)) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }

    _disown($pid);
    $r->{pid} = undef;
    return 1;
}

# A connection to one of our Redis servers, logged in: as "admin" of the
# shipped ACL, or with the requirepass password of an acl => 0 server.
# Options: name, port, user, password (undef: no AUTH), timeout.
sub redis_conn {
    my ($self, %opts) = @_;
    my $r = $self->{redis}{$opts{name} || 'redis'} || {};
    my $c = Lapor::Test::RedisConn->new(
        port => $opts{port} || $r->{port} || $self->port('redis'),
        timeout => $opts{timeout} || $self->tmo(5),
    );

    my ($user, $password) = ($opts{user});
    if (exists $opts{password}) {
        $password = $opts{password};
    } elsif ($r->{acl}) {
        $user = 'admin' unless defined $user;
        $password = $self->acl_password($user);
    } else {
        $password = $r->{password};
    }

    if (defined $password) {
        my $reply = $c->command('AUTH',
            (defined $user ? $user : ()), $password);
        die "AUTH failed: $reply\n" if is_redis_error($reply);
    }
    return $c;
}

# Stalls one of our servers for $secs: CLIENT PAUSE <ms> ALL, which the
# shipped settings allow (DEBUG SLEEP is switched off there).  Every client
# stays connected and its commands wait, unanswered, until the pause ends,
# which it does by itself.  Returns at once.  Options: name.
sub pause_redis {
    my ($self, $secs, %opts) = @_;
    my $reply = $self->redis_cmd({ name => $opts{name} },
        'CLIENT', 'PAUSE', int($secs * 1000), 'ALL');
    die "CLIENT PAUSE: $reply\n"
        if is_redis_error($reply) || $reply ne 'OK';
    return 1;
}

# Waits until one of our servers answers PING again (after a pause); true
# when it does within $timeout seconds.  Options: name.
sub wait_redis {
    my ($self, $timeout, %opts) = @_;
    my $reply = eval { $self->redis_cmd({ name => $opts{name},
        timeout => $self->tmo($timeout || 10) }, 'PING') };
    return defined $reply && !ref $reply && $reply eq 'PONG';
}

# One command on a fresh connection; the parsed reply (see RedisConn).
# A hash reference as first argument passes options to redis_conn.
sub redis_cmd {
    my ($self, @args) = @_;
    my %opts = ref $args[0] eq 'HASH' ? %{shift @args} : ();
    my $c = $self->redis_conn(%opts);
    my $reply = $c->command(@args);
    $c->close;
    return $reply;
}

# Client connections a Redis server sees, except the one asking: a list of
# hashes with the fields of CLIENT LIST (addr, name, cmd, ...).
sub redis_clients {
    my ($self, %opts) = @_;
    my $c = $self->redis_conn(%opts);
    my $id = $c->command('CLIENT', 'ID');
    my $list = $c->command('CLIENT', 'LIST');
    $c->close;

    my @clients;
    for my $line (split /\n/, $list) {
        my %f = map { /^([^=]+)=(.*)$/ ? ($1, $2) : () } split / /, $line;
        push @clients, \%f if %f && $f{id} != $id;
    }
    return @clients;
}

###############################################################################
# Fake Redis servers.
#
# fake_redis(%behaviour) forks a Perl server on a free loopback port and
# returns the port.  The listening socket exists before the call returns.
#   name => 'fake'      port name (the port is %%PORT_<name>%%; 'fake' is
#                       also %%FAKE_PORT%%)
#   port => N          a fixed port instead of a free one
#   mode => 'silent'    accept and read, never answer anything
#   mode => 'close'     accept and close at once
#   mode => 'script'    (default) answer each parsed command:
#   handler => sub { my ($cmd, $args, $ctx) = @_; ... }
#       $cmd is the upper-case command name, $args the remaining arguments,
#       $ctx a per-server hash ({count}{CMD} counts commands so far,
#       {conn} the connection number).  It returns
#         undef             the default answer (PING +PONG, AUTH, SELECT,
#                           CLIENT +OK, else an -ERR),
#         a string          raw RESP bytes to write,
#         { reply => ..., close => 1, silent => 1, chunk => N, delay => s }
#   chunk => N, delay => s   write every reply N bytes at a time, sleeping
#                       `delay` seconds (default 0.002) between writes
# Every accept, command and close is logged to <testdir>/<name>.log.

sub fake_redis {
    my ($self, %b) = @_;

    my $name = $b{name} || 'fake';
    my $port = $b{port} || $self->port($name);
    $self->{ports}{$name} ||= { port => $port };
    my $log = "$self->{dir}/$name.log";

    my $listen = IO::Socket::INET->new(
        LocalAddr => "127.0.0.1:$port",
        Proto => 'tcp',
        Listen => 128,
        ReuseAddr => 1,
    ) or die "fake redis listen on $port: $!\n";

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        eval { _fake_redis_loop($listen, $log, \%b) };
        if ($@) {
            open my $fh, '>>', $log;
            print $fh "died: $@";
        }
        POSIX::_exit(0);
    }

    close $listen;
    _own($pid, "fake redis $name");
    $self->{daemons}{$name} = $pid;
    return $port;
}

sub fake_log {
    my ($self, $name) = @_;
    return $self->read_file(($name || 'fake') . '.log');
}

sub stop_fake {
    my ($self, $name) = @_;
    my $pid = delete $self->{daemons}{$name || 'fake'} or return;
    kill 'TERM', $pid;
    unless (wait_until(sub { waitpid($pid, WNOHANG) != 0 }, 5, 0.01)) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    _disown($pid);
}

sub stop_daemons {
    my ($self) = @_;
    $self->stop_fake($_) for keys %{$self->{daemons}};
}

sub _fake_redis_loop {
    my ($listen, $logfile, $b) = @_;

    open my $log, '>>', $logfile or die "$logfile: $!\n";
    $log->autoflush(1);

    my $mode = $b->{mode} || 'script';
    my $sel = IO::Select->new($listen);
    my (%buf, %num);
    my $ctx = { count => {}, conns => 0 };
    my $nconn = 0;

    while (1) {
        for my $s ($sel->can_read) {
            if ($s == $listen) {
                my $c = $listen->accept or next;
                $nconn++;
                $num{fileno $c} = $nconn;
                $ctx->{conns} = $nconn;
                print $log "accept $nconn\n";
                if ($mode eq 'close') {
                    close $c;
                    print $log "close $nconn\n";
                    next;
                }
                setsockopt($c, IPPROTO_TCP, TCP_NODELAY, 1);
                $buf{fileno $c} = '';
                $sel->add($c);
                next;
            }

            my $fd = fileno $s;
            my $n = sysread($s, $buf{$fd}, 65536, length $buf{$fd});
            next if !defined $n && $! == EINTR;

            unless ($n) {
                print $log "close $num{$fd}\n";
                $sel->remove($s);
                delete $buf{$fd};
                close $s;
                next;
            }

            while (length $buf{$fd}) {
                my ($cmd, $next) = _parse_command($buf{$fd});
                last unless defined $next;
                substr($buf{$fd}, 0, $next, '');
                next unless @$cmd;

                my $name = uc $cmd->[0];
                $ctx->{count}{$name}++;
                $ctx->{conn} = $num{$fd};
                print $log "cmd $num{$fd} @$cmd\n";

                next if $mode eq 'silent';

                my $r = $b->{handler}
                    ? $b->{handler}->($name, [@$cmd[1 .. $#$cmd]], $ctx)
                    : undef;
                $r = _fake_default($name) unless defined $r;
                $r = { reply => $r } unless ref $r;

                next if $r->{silent};

                if (defined $r->{reply}) {
                    _fake_write($s, $r->{reply},
                        $r->{chunk} || $b->{chunk},
                        defined $r->{delay} ? $r->{delay}
                            : defined $b->{delay} ? $b->{delay} : 0.002);
                }

                if ($r->{close}) {
                    print $log "close $num{$fd} (by server)\n";
                    $sel->remove($s);
                    delete $buf{$fd};
                    close $s;
                    last;
                }
            }
        }
    }
}

sub _fake_default {
    my ($name) = @_;
    return "+PONG\r\n" if $name eq 'PING';
    return "+OK\r\n" if $name =~ /^(?:AUTH|SELECT|CLIENT|READONLY)$/;
    return "-ERR unknown command '$name'\r\n";
}

sub _fake_write {
    my ($s, $data, $chunk, $delay) = @_;

    unless ($chunk) {
        _write_all($s, $data);
        return;
    }

    while (length $data) {
        _write_all($s, substr($data, 0, $chunk, ''));
        sleep $delay if $delay && length $data;
    }
}

sub _write_all {
    my ($s, $data) = @_;
    while (length $data) {
        my $n = syswrite($s, $data);
        unless (defined $n) {
            next if $! == EINTR || $! == EAGAIN;
            return 0;
        }
        substr($data, 0, $n, '');
    }
    return 1;
}

# A command as a client sends it: a RESP array of bulk strings, or an
# inline command line.  Returns (\@words, bytes used) or () if incomplete.
sub _parse_command {
    my ($buf) = @_;

    if (substr($buf, 0, 1) eq '*') {
        my ($v, $next) = resp_parse($buf, 0);
        return unless defined $next;
        return ((ref $v eq 'ARRAY' ? $v : [$v]), $next);
    }

    my $eol = index($buf, "\n");
    return if $eol < 0;
    my $line = substr($buf, 0, $eol);
    $line =~ s/\r$//;
    return ([split ' ', $line], $eol + 1);
}

###############################################################################
# RESP.

sub resp_simple { "+$_[0]\r\n" }
sub resp_error { "-$_[0]\r\n" }
sub resp_int { ":$_[0]\r\n" }
sub resp_nil { "\$-1\r\n" }
sub resp_bulk { '$' . length($_[0]) . "\r\n$_[0]\r\n" }
sub resp_array { '*' . scalar(@_) . "\r\n" . join '', @_ }

sub resp_command {
    my (@args) = @_;
    return '*' . scalar(@args) . "\r\n"
        . join('', map { '$' . length($_) . "\r\n$_\r\n" } @args);
}

# Parses one RESP (2 or 3) value at $pos.  Returns ($value, $next_pos), or
# () when the buffer holds only part of it.  Simple strings and bulk
# strings are strings, integers numbers, nil undef, arrays/sets/pushes
# array references, maps hash references, errors Lapor::Test::RedisError.
sub resp_parse {
    my ($buf, $pos) = @_;
    $pos ||= 0;

    my $eol = index($buf, "\r\n", $pos);
    return if $eol < 0;

    my $type = substr($buf, $pos, 1);
    my $line = substr($buf, $pos + 1, $eol - $pos - 1);
    my $next = $eol + 2;

    if ($type eq '+' || $type eq '(') {
        return ($line, $next);
    }
    if ($type eq '-') {
        return (Lapor::Test::RedisError->new($line), $next);
    }
    if ($type eq ':' || $type eq ',') {
        return ($line + 0, $next);
    }
    if ($type eq '_') {
        return (undef, $next);
    }
    if ($type eq '#') {
        return ($line eq 't' ? 1 : 0, $next);
    }
    if ($type eq '$' || $type eq '=' || $type eq '!') {
        return (undef, $next) if $line < 0;
        return if length($buf) < $next + $line + 2;
        my $v = substr($buf, $next, $line);
        $v =~ s/^...:// if $type eq '=';
        $v = Lapor::Test::RedisError->new($v) if $type eq '!';
        return ($v, $next + $line + 2);
    }
    if ($type eq '*' || $type eq '~' || $type eq '>' || $type eq '%'
        || $type eq '|')
    {
        return (undef, $next) if $line < 0;
        my $n = ($type eq '%' || $type eq '|') ? 2 * $line : $line;
        my @items;
        for (1 .. $n) {
            my ($v, $p) = resp_parse($buf, $next);
            return unless defined $p;
            push @items, $v;
            $next = $p;
        }
        if ($type eq '|') {
            # An attribute precedes the value it describes: skip it.
            return resp_parse($buf, $next);
        }
        return ({@items}, $next) if $type eq '%';
        return (\@items, $next);
    }

    die "RESP protocol error at '" . substr($buf, $pos, 20) . "'\n";
}

sub is_redis_error { ref $_[0] && ref $_[0] eq 'Lapor::Test::RedisError' }

###############################################################################
# Utilities.

# Calls $cond every $interval seconds (default 0.05) until it returns true
# or $timeout seconds pass; returns the last value.
sub wait_until {
    my ($cond, $timeout, $interval) = @_;
    $interval ||= 0.05;
    my $deadline = time + $timeout;

    while (1) {
        my $v = $cond->();
        return $v if $v;
        return $v if time >= $deadline;
        sleep $interval;
    }
}

my $JSON = JSON::PP->new->utf8->allow_nonref;
sub json_decode { $JSON->decode($_[0]) }

###############################################################################
# Reports: helpers for the tests of report intake (t/010-*.t and later).

# A valid report as a Perl structure, the one the report tests start from.
# Arguments replace members; an undef value removes the member.
sub report_doc {
    my ($self, %over) = @_;

    my %doc = (
        type => 'pengaduan',
        category => 'infrastruktur',
        title => 'Jalan berlubang di Jalan Gatot Subroto Barat',
        body => 'Lubang besar di tengah jalan sejak dua minggu; sudah dua '
            . 'pengendara motor jatuh di sana pada malam hari.',
        location => {
            text => 'Jl. Gatot Subroto Barat, Denpasar',
            lat => -8.6289, lon => 115.1952,
        },
        occurred_on => '2025-06-02',
        anonymous => JSON::PP::false,
        confidential => JSON::PP::false,
        reporter => {
            name => 'Made Wirawan',
            contact => 'made.wirawan@example.com',
        },
        channel => 'web',
    );

    for my $k (keys %over) {
        if (defined $over{$k}) {
            $doc{$k} = $over{$k};
        } else {
            delete $doc{$k};
        }
    }

    return \%doc;
}

# The UTF-8 bytes of a JSON document, members sorted.
sub report_json {
    my ($self, $doc) = @_;
    return JSON::PP->new->utf8->canonical->encode($doc);
}

# POST reports: $body is a structure (sent as JSON) or the raw bytes.
# Options: path (default /api/v1/reports), content_type (default
# application/json; undef sends none), headers, timeout.
sub post_report {
    my ($self, $body, %opts) = @_;

    $body = $self->report_json($body) if ref $body;

    my %headers = %{$opts{headers} || {}};
    my $ct = exists $opts{content_type} ? $opts{content_type}
        : 'application/json';
    $headers{'Content-Type'} = $ct if defined $ct;

    return $self->http_request('POST', $opts{path} || '/api/v1/reports',
        headers => \%headers, body => $body,
        ($opts{timeout} ? (timeout => $opts{timeout}) : ()));
}

# Every key matching a pattern, by SCAN (never KEYS).
# What lapor-aof-check cut from the AOF before a start of Redis, one
# string per start that cut something (its output).
sub aof_cuts {
    my ($self) = @_;
    return @{$self->{aof_cuts} || []};
}

sub redis_scan {
    my ($self, $pattern, %opts) = @_;
    my $c = $self->redis_conn(%opts);
    my ($cursor, %keys) = (0);

    do {
        my $r = $c->command('SCAN', $cursor, 'MATCH', $pattern || '*',
            'COUNT', 1000);
        die "SCAN: $r\n" if is_redis_error($r);
        $cursor = $r->[0];
        $keys{$_} = 1 for @{$r->[1]};
    } while ($cursor ne '0');

    $c->close;
    return sort keys %keys;
}

# The content of every key matching a pattern, read with the type's own
# commands (GET, HGETALL, LRANGE, SMEMBERS, ZRANGE, XRANGE): a hash of key
# name => list of every string in it (names, members, fields, values).
sub redis_contents {
    my ($self, $pattern, %opts) = @_;
    my $c = $self->redis_conn(%opts);
    my %out;

    for my $key ($self->redis_scan($pattern, %opts)) {
        my $type = $c->command('TYPE', $key);
        my $v;
        if ($type eq 'string') {
            $v = [$c->command('GET', $key)];
        } elsif ($type eq 'hash') {
            $v = $c->command('HGETALL', $key);
        } elsif ($type eq 'list') {
            $v = $c->command('LRANGE', $key, 0, -1);
        } elsif ($type eq 'set') {
            $v = $c->command('SMEMBERS', $key);
        } elsif ($type eq 'zset') {
            $v = $c->command('ZRANGE', $key, 0, -1, 'WITHSCORES');
        } elsif ($type eq 'stream') {
            $v = $c->command('XRANGE', $key, '-', '+');
        } else {
            next;
        }
        $out{$key} = [_flatten($v)];
    }

    $c->close;
    return \%out;
}

sub _flatten {
    return map {
        ref $_ eq 'ARRAY' ? _flatten(@$_)
            : ref $_ eq 'HASH' ? _flatten(%$_)
            : defined $_ ? ($_) : ()
    } @_;
}

# HGETALL as a Perl hash (empty when the key does not exist).
sub redis_hash {
    my ($self, $key, %opts) = @_;
    my $r = $self->redis_cmd(\%opts, 'HGETALL', $key);
    return {} if is_redis_error($r) || !defined $r;
    return ref $r eq 'HASH' ? $r : { @$r };
}

# A report's hash as the module reads it: a new report leaves out the
# fields at their first value (anonymous, confidential and flagged "0",
# version "1", updated_at and entered_at equal to created_at); they are
# filled in here.  redis_hash() shows what Redis holds.
sub report_hash {
    my ($self, $key, %opts) = @_;
    my $h = $self->redis_hash($key, %opts);
    return $h unless %$h;
    $h->{$_} //= '0' for qw/ anonymous confidential flagged /;
    $h->{version} //= '1';
    $h->{$_} //= $h->{created_at} for qw/ updated_at entered_at /;
    return $h;
}

# The statistics hash of a namespace ("lapor:{NS}:stats") as figures: the
# submissions' counters "sub:<type>:<category>:<agency>:<channel>" added up
# into submitted, type:<code>, category:<code>, agency:<code> and
# channel:<channel> (as GET stats adds them up).
sub stats_hash {
    my ($self, $key, %opts) = @_;
    my %h = %{$self->redis_hash($key, %opts)};
    for my $k (grep { /^sub:/ } keys %h) {
        my $n = delete $h{$k};
        my (undef, @code) = split /:/, $k, -1;
        die "malformed counter $k in $key\n" unless @code == 4;
        $h{submitted} += $n;
        $h{"type:$code[0]"} += $n;
        $h{"category:$code[1]"} += $n;
        $h{"agency:$code[2]"} += $n;
        $h{"channel:$code[3]"} += $n;
    }
    return \%h;
}

###############################################################################

package Lapor::Test::RedisError;

use overload '""' => sub { $_[0]{message} }, 'bool' => sub { 1 },
    fallback => 1;

sub new { bless { message => $_[1] }, $_[0] }
sub message { $_[0]{message} }

###############################################################################

package Lapor::Test::RedisConn;

# A plain blocking RESP connection for the tests' own use: commands,
# pipelining with send()/read_reply(), replies parsed by resp_parse().

use Errno qw/ EINTR /;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw/ time /;

sub new {
    my ($class, %o) = @_;
    my $sock = IO::Socket::INET->new(
        PeerAddr => $o{host} || '127.0.0.1',
        PeerPort => $o{port},
        Proto => 'tcp',
        Timeout => $o{timeout} || 5,
    ) or die "connect to redis 127.0.0.1:$o{port}: $!\n";

    return bless { sock => $sock, buf => '', timeout => $o{timeout} || 5 },
        $class;
}

sub send {
    my ($self, @args) = @_;
    Lapor::Test::_write_all($self->{sock}, Lapor::Test::resp_command(@args))
        or die "write to redis: $!\n";
    return $self;
}

sub read_reply {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout || $self->{timeout});
    my $sel = IO::Select->new($self->{sock});

    while (1) {
        if (length $self->{buf}) {
            my ($v, $next) = Lapor::Test::resp_parse($self->{buf}, 0);
            if (defined $next) {
                substr($self->{buf}, 0, $next, '');
                return $v;
            }
        }

        my $left = $deadline - time;
        die "redis reply timed out\n" if $left <= 0;
        next unless $sel->can_read($left);

        my $n = sysread($self->{sock}, $self->{buf}, 65536,
            length $self->{buf});
        next if !defined $n && $! == EINTR;
        die "redis closed the connection\n" unless $n;
    }
}

sub command {
    my ($self, @args) = @_;
    return $self->send(@args)->read_reply;
}

sub close {
    my ($self) = @_;
    close $self->{sock} if $self->{sock};
    delete $self->{sock};
}

1;

###############################################################################
# Workflow: helpers for the tests of officer actions, timelines, queues and
# deadlines (t/020-*.t to t/029-*.t).  Appended; nothing above depends on
# them.

package Lapor::Test;

use Digest::SHA ();
use Time::Local ();

# Writes a "lapor_tokens" file (default name "tokens" in the test
# directory) for officers given as name => 'admin' or name => agency code;
# the name is the token's label.  Returns { name => token }.
sub officer_tokens {
    my ($self, $officers, %opts) = @_;
    my (%token, $text);

    for my $name (sort keys %$officers) {
        my $who = $officers->{$name};
        my $token = 'tok-' . substr(new_key(), 0, 40);
        my ($role, $agency) = $who eq 'admin' ? ('admin', '-')
            : ('agency', $who);
        $text .= join(' ', Digest::SHA::sha256_hex($token), $role, $agency,
            $name) . "\n";
        $token{$name} = $token;
    }

    $self->{tokens_file} = $self->write_file($opts{file} || 'tokens',
        "# officers of this test\n" . ($text || ''));
    return \%token;
}

# Runs lua-free-scripts/lapor-token; returns (file line, token).
sub lapor_token_script {
    my ($self, $role, $agency, $label) = @_;
    my $script = "$REPO/lua-free-scripts/lapor-token";
    my $err = "$self->{dir}/lapor-token.err";

    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>', $err;
        exec { '/bin/sh' } '/bin/sh', $script, $role, $agency, $label
            or POSIX::_exit(127);
    }
    local $/;
    my $line = <$fh>;
    close $fh;
    die "lapor-token failed ($?): " . $self->read_file($err) . "\n" if $?;

    my ($token) = $self->read_file($err) =~ /^token: (\S+)$/m
        or die "lapor-token printed no token\n";
    chomp $line;
    return ($line, $token);
}

# POST reports/{id}/{action}.  Options: token (Bearer), body (a structure
# is sent as JSON, a string as it is; default {}), if_match (sent as it
# is), headers, prefix (default /api/v1).
sub report_action {
    my ($self, $id, $action, %o) = @_;
    my $body = exists $o{body} ? $o{body} : {};
    $body = $self->report_json($body) if ref $body;
    my %h = ('Content-Type' => 'application/json', %{$o{headers} || {}});
    $h{Authorization} = "Bearer $o{token}" if defined $o{token};
    $h{'If-Match'} = $o{if_match} if defined $o{if_match};
    return $self->http_request('POST',
        ($o{prefix} || '/api/v1') . "/reports/$id/$action",
        headers => \%h, body => $body);
}

# The raw text of the same request, for http_parallel().
sub report_action_raw {
    my ($self, $id, $action, %o) = @_;
    my $body = exists $o{body} ? $o{body} : {};
    $body = $self->report_json($body) if ref $body;
    my %h = ('Content-Type' => 'application/json', %{$o{headers} || {}});
    $h{Authorization} = "Bearer $o{token}" if defined $o{token};
    $h{'If-Match'} = $o{if_match} if defined $o{if_match};
    return $self->raw_request('POST',
        ($o{prefix} || '/api/v1') . "/reports/$id/$action",
        headers => \%h, body => $body);
}

# GET reports/{id}, reports/{id}/events and queue?..., with a Bearer token
# when one is given (undef: the public).
sub report_view {
    my ($self, $id, $token, %o) = @_;
    return $self->http_get(($o{prefix} || '/api/v1') . "/reports/$id",
        headers => { _bearer($token), %{$o{headers} || {}} });
}

sub report_events {
    my ($self, $id, $token, %o) = @_;
    return $self->http_get(($o{prefix} || '/api/v1') . "/reports/$id/events",
        headers => { _bearer($token), %{$o{headers} || {}} });
}

sub queue_get {
    my ($self, $token, $query, %o) = @_;
    my $path = ($o{prefix} || '/api/v1') . '/queue'
        . (defined $query && length $query ? "?$query" : '');
    return $self->http_get($path,
        headers => { _bearer($token), %{$o{headers} || {}} });
}

sub _bearer { defined $_[0] ? (Authorization => "Bearer $_[0]") : () }

# Sorted-set score of a report: unix_time * 2^20 + (id & 0xFFFFF).
sub queue_score {
    my ($self, $t, $id) = @_;
    return $t * 1048576 + ($id & 0xFFFFF);
}

# Every sorted set of a namespace that holds report $id: { key name after
# "lapor:{NS}:" => score }.
sub report_zsets {
    my ($self, $ns, $id, %opts) = @_;
    my $prefix = "lapor:{$ns}:";
    my $c = $self->redis_conn(%opts);
    my ($cursor, %in) = (0);

    do {
        my $r = $c->command('SCAN', $cursor, 'MATCH', "${prefix}*",
            'COUNT', 1000, 'TYPE', 'zset');
        die "SCAN: $r\n" if is_redis_error($r);
        $cursor = $r->[0];
        for my $key (@{$r->[1]}) {
            my $score = $c->command('ZSCORE', $key, $id);
            next unless defined $score && !is_redis_error($score);
            $in{substr($key, length $prefix)} = $score + 0;
        }
    } while ($cursor ne '0');

    $c->close;
    return \%in;
}

# The entries of a namespace's event stream, oldest first, each a hash of
# its fields plus _id; only those of report $id when given.
sub stream_events {
    my ($self, $ns, $id, %opts) = @_;
    my $r = $self->redis_cmd(\%opts, 'XRANGE', "lapor:{$ns}:events", '-',
        '+');
    return () if !ref $r || is_redis_error($r);

    my @out;
    for my $e (@$r) {
        my %f = @{$e->[1]};
        next if defined $id && (!defined $f{id} || $f{id} ne $id);
        $f{_id} = $e->[0];
        push @out, \%f;
    }
    return @out;
}

# The catalog's calendar (default examples/catalog.json): { offset =>
# seconds east of UTC, holidays => { 'YYYY-MM-DD' => 1 }, catalog => ... }.
sub catalog_calendar {
    my ($self, $file) = @_;
    $file ||= "$REPO/examples/catalog.json";
    return $self->{calendars}{$file} if $self->{calendars}{$file};

    my $cat = json_decode($self->read_file($file));
    my %zones = ('Asia/Jakarta' => 7, 'Asia/Pontianak' => 7,
        'Asia/Makassar' => 8, 'Asia/Ujung_Pandang' => 8,
        'Asia/Jayapura' => 9, 'UTC' => 0);
    my $tz = $cat->{time_zone} || 'UTC';
    my $offset;
    if (exists $zones{$tz}) {
        $offset = $zones{$tz} * 3600;
    } elsif ($tz =~ /^([+-])(\d\d):(\d\d)$/) {
        $offset = ($2 * 3600 + $3 * 60) * ($1 eq '-' ? -1 : 1);
    } else {
        die "time zone $tz\n";
    }

    return $self->{calendars}{$file} = {
        catalog => $cat,
        offset => $offset,
        holidays => { map { $_->{date} => 1 } @{$cat->{holidays} || []} },
    };
}

# The SLA days of a category for a stage (dispatch_days, follow_up_days,
# auto_close_days): the category's own, else the catalog's.
sub catalog_sla {
    my ($self, $category, $stage, $file) = @_;
    my $cat = $self->catalog_calendar($file)->{catalog};
    my ($c) = grep { $_->{code} eq $category } @{$cat->{categories}};
    die "no category $category\n" unless $c;
    return $c->{sla}{$stage} if $c->{sla} && defined $c->{sla}{$stage};
    return $cat->{sla}{$stage};
}

# due(t, n): the end (23:59:59 local) of the n-th working day after the
# local day of t (n >= 1), as lapor_calendar.h defines it; Unix seconds.
sub catalog_due {
    my ($self, $t, $n, $file) = @_;
    my $cal = $self->catalog_calendar($file);
    my $day = int(($t + $cal->{offset}) / 86400);

    while ($n > 0) {
        $day++;
        my $wday = ($day + 4) % 7;    # 1970-01-01 was a Thursday
        next if $wday == 0 || $wday == 6;
        my @tm = gmtime($day * 86400);
        my $date = sprintf '%04d-%02d-%02d', $tm[5] + 1900, $tm[4] + 1,
            $tm[3];
        next if $cal->{holidays}{$date};
        $n--;
    }

    return $day * 86400 + 86399 - $cal->{offset};
}

# RFC 3339 in the catalog's offset, as the API writes times.
sub catalog_time {
    my ($self, $t, $file) = @_;
    my $off = $self->catalog_calendar($file)->{offset};
    my @tm = gmtime($t + $off);
    my $zone = $off == 0 ? 'Z'
        : sprintf('%s%02d:%02d', $off < 0 ? '-' : '+', abs($off) / 3600,
            (abs($off) % 3600) / 60);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02d%s', $tm[5] + 1900,
        $tm[4] + 1, @tm[3, 2, 1, 0], $zone;
}

# Unix seconds of an RFC 3339 time ("...+08:00" or "...Z"); undef if not one.
sub rfc3339_time {
    my ($self, $s) = @_;
    return undef unless defined $s;
    my ($y, $mo, $d, $h, $mi, $sec, $z) = $s =~
        /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(Z|[+-]\d\d:\d\d)$/
        or return undef;
    my $off = 0;
    if ($z ne 'Z') {
        my ($sign, $oh, $om) = $z =~ /^([+-])(\d\d):(\d\d)$/;
        $off = ($oh * 3600 + $om * 60) * ($sign eq '-' ? -1 : 1);
    }
    return Time::Local::timegm($sec, $mi, $h, $d, $mo - 1, $y) - $off;
}

1;

###############################################################################
# Statistics and metrics: helpers for t/030-stats.t and t/031-metrics.t.
# Appended; nothing above depends on them.

package Lapor::Test;

# The Prometheus text exposition as a structure: { help => { family =>
# text }, type => { family => type }, samples => [ { name, labels => {},
# value, line } ], errors => [ lines that are neither ] }.  Families are
# named by their HELP/TYPE lines; a sample's family is its name, or the name
# without _bucket/_sum/_count for a histogram or summary.
sub metrics_parse {
    my ($self, $text) = @_;
    my %m = (help => {}, type => {}, samples => [], errors => [],
        type_line => {}, first_sample => {});
    my $n = 0;

    for my $line (split /\n/, $text) {
        $n++;
        next if $line eq '';
        if ($line =~ /^# HELP (\S+) (.*)$/) {
            $m{help}{$1} = $2;
        } elsif ($line =~ /^# TYPE (\S+) (\S+)$/) {
            $m{type}{$1} = $2;
            $m{type_line}{$1} = $n;
        } elsif ($line =~ /^#/) {
            next;
        } elsif ($line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/) {
            my ($name, $lab, $value) = ($1, $2, $3);
            my %labels;
            while (defined $lab && $lab =~ /\G\s*([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"\s*,?/gc) {
                $labels{$1} = $2;
            }
            push @{$m{samples}}, { name => $name, labels => \%labels,
                value => $value, line => $n };
        } else {
            push @{$m{errors}}, $line;
        }
    }

    for my $s (@{$m{samples}}) {
        my $f = $s->{name};
        my ($base) = $f =~ /^(.*)_(?:bucket|sum|count)$/;
        if (!$m{type}{$f} && defined $base
            && ($m{type}{$base} || '') =~ /^(?:histogram|summary)$/)
        {
            $f = $base;
        }
        $s->{family} = $f;
        $m{first_sample}{$f} //= $s->{line};
    }

    return \%m;
}

# The value of the one sample with this name and exactly these labels
# (undef when there is none).
sub metric_value {
    my ($self, $m, $name, %labels) = @_;
    $m = $self->metrics_parse($m) unless ref $m;
    my $want = join ',', map { "$_=$labels{$_}" } sort keys %labels;
    for my $s (@{$m->{samples}}) {
        next unless $s->{name} eq $name;
        my $have = join ',', map { "$_=$s->{labels}{$_}" }
            sort keys %{$s->{labels}};
        return $s->{value} if $have eq $want;
    }
    return undef;
}

# Runs `promtool check metrics` on an exposition; returns (exit code,
# output), or () when promtool is not installed.  LAPOR_PROMTOOL names
# another binary.
sub promtool_check {
    my ($self, $text) = @_;
    my $promtool = $ENV{LAPOR_PROMTOOL} || '/usr/bin/promtool';
    return () unless -x $promtool;

    my $in = $self->write_file('promtool-input.txt', $text);
    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', $in;
        open STDERR, '>&', \*STDOUT;
        exec { $promtool } $promtool, 'check', 'metrics'
            or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

1;

###############################################################################
# Workflow (t/020-*.t to t/029-*.t), continued.

package Lapor::Test;

# Where a report is placed: report_zsets() with the lists' sets folded
# away when they are right (the deadline index "deadlines:<state>" stays,
# and so would a union set "deadlines", which the module no longer writes).
#
# The lists' sets by creation time (GET reports, Open311 GET requests) are
# folded away too when they are exactly right: "public:status:<its
# status>", "public:category:<its category>:open" (":closed" once closed or
# archived) and "public:agency:<its agency>" (when it has one), each scored
# by submission time and number; "updated" when it agrees with the last
# change.  A missing, stale or extra one stays visible (a missing one as
# "public...: missing").
sub report_places {
    my ($self, $ns, $id, %opts) = @_;
    my $z = $self->report_zsets($ns, $id, %opts);
    my $h = $self->report_hash("lapor:{$ns}:report:$id", %opts);
    my $status = %$h ? $h->{status} : undef;

    return $z unless defined $status;

    # Open311's updates by the last change
    delete $z->{updated} if defined $z->{updated}
        && $z->{updated} == $self->queue_score($h->{updated_at}, $id);

    # the sets by creation time, each a must, scored like the queues:
    # submission time and number
    my $class = $status =~ /^(?:closed|archived)$/ ? 'closed' : 'open';
    my @want = ("public:status:$status",
        "public:category:$h->{category}:$class");
    push @want, "public:agency:$h->{agency}"
        if defined $h->{agency} && length $h->{agency};
    my $score = $self->queue_score($h->{created_at}, $id);
    for my $k (@want) {
        if (defined $z->{$k} && $z->{$k} == $score) {
            delete $z->{$k};
        } elsif (!defined $z->{$k}) {
            $z->{"$k: missing"} = 1;
        }
    }
    return $z;
}

1;

###############################################################################
# Open311 (t/05x-open311-*.t).  Appended; nothing above depends on it.

package Lapor::Test;

our $XMLLINT = $ENV{LAPOR_XMLLINT} || '/usr/bin/xmllint';

# Runs xmllint on a document; returns (exit code, output).  With an xpath
# expression, the output is its value (--xpath).
sub _xmllint {
    my ($xml, @args) = @_;
    my $file = File::Temp->new(SUFFIX => '.xml');
    binmode $file;
    print $file $xml;
    close $file;

    my $pid = open(my $fh, '-|');
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec { $XMLLINT } $XMLLINT, @args, $file->filename
            or POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh>;
    close $fh;
    return ($? >> 8, defined $out ? $out : '');
}

# Is the document well-formed XML (xmllint --noout)?  Returns the
# complaint, or '' when it is.
sub xml_wellformed {
    my ($self, $xml) = @_;
    my ($rc, $out) = _xmllint($xml, '--noout');
    return $rc == 0 ? '' : ($out || "xmllint exit $rc");
}

# The string value of an XPath expression over the document.
sub xpath {
    my ($self, $xml, $expr) = @_;
    my ($rc, $out) = _xmllint($xml, '--xpath', "string($expr)");
    $out =~ s/\n\z// if $rc == 0;
    return $rc == 0 ? $out : '';
}

# The number of nodes an XPath expression selects.
sub xpath_count {
    my ($self, $xml, $expr) = @_;
    my ($rc, $out) = _xmllint($xml, '--xpath', "count($expr)");
    return $rc == 0 ? $out + 0 : -1;
}

# Writes a "lapor_open311_keys" file (default "open311-keys") for clients
# given as label => api_key; returns the file's path.
sub open311_keys {
    my ($self, $clients, %opts) = @_;
    my $text = "# Open311 clients of this test\n";

    for my $label (sort keys %$clients) {
        $text .= join(' ', Digest::SHA::sha256_hex($clients->{$label}),
            'client', '-', $label) . "\n";
    }

    return $self->write_file($opts{file} || 'open311-keys', $text);
}

# application/x-www-form-urlencoded of a list of pairs (order kept).
sub form_encode {
    my ($self, @pairs) = @_;
    my @out;
    while (@pairs) {
        my ($k, $v) = splice(@pairs, 0, 2);
        for ($k, $v) {
            my $s = $_;
            # characters, as UTF-8 (raw bytes go in a raw body)
            utf8::upgrade($s);
            utf8::encode($s);
            $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf('%%%02X', ord $1)/ge;
            $s =~ tr/ /+/;
            $_ = $s;
        }
        push @out, "$k=$v";
    }
    return join '&', @out;
}

# POST requests.<fmt> with a form (an array ref of pairs, or raw bytes).
# Options: fmt (json), prefix (/open311/v2), headers, content_type.
sub open311_post {
    my ($self, $form, %o) = @_;
    my $body = ref $form ? $self->form_encode(@$form) : $form;
    my %headers = %{$o{headers} || {}};
    my $ct = exists $o{content_type} ? $o{content_type}
        : 'application/x-www-form-urlencoded';
    $headers{'Content-Type'} = $ct if defined $ct;
    my $fmt = $o{fmt} || 'json';
    my $prefix = $o{prefix} || '/open311/v2';

    return $self->http_request('POST', "$prefix/requests.$fmt",
        headers => \%headers, body => $body);
}

# A valid Open311 request as pairs; arguments replace values (undef drops).
sub open311_form {
    my ($self, %over) = @_;
    my @pairs = (
        api_key => 'key-of-the-test-client-0123456789',
        service_code => 'infrastruktur',
        lat => '-8.6289', long => '115.1952',
        address_string => 'Jl. Gatot Subroto Barat, Denpasar',
        description => 'Lubang besar di tengah jalan sejak dua minggu; '
            . 'sudah dua pengendara motor jatuh di sana pada malam hari.',
        first_name => 'Made', last_name => 'Wirawan',
        email => 'made.wirawan@example.com',
    );
    my @out;
    my %seen;
    while (@pairs) {
        my ($k, $v) = splice(@pairs, 0, 2);
        $seen{$k} = 1;
        if (exists $over{$k}) {
            next unless defined $over{$k};
            $v = $over{$k};
        }
        push @out, $k, $v;
    }
    for my $k (sort keys %over) {
        push @out, $k, $over{$k} if !$seen{$k} && defined $over{$k};
    }
    return \@out;
}

1;

###############################################################################
# examples/nginx.conf as shipped (t/041-portal.t, t/042-console.t).

package Lapor::Test;

# Writes examples/nginx.conf as the configuration of this test: only its
# paths, ports, the Redis login and, because one browser makes more
# requests than one citizen, the limits' rates are replaced; a fresh
# identity key.  Bails out when a line it replaces is no longer there.
# Options: file => another file of examples/ (then the replacements above
# are made where the file has those lines, and only the first four must be
# there), sub => { regex => text } more replacements, each of which must
# match (e.g. the Redis address of a cluster).
sub write_example_conf {
    my ($self, %o) = @_;
    my $file = $o{file} || 'nginx.conf';
    my $conf = $self->read_file("$REPO/examples/$file");
    $self->write_file('identity.key', new_key() . "\n");
    my @sub = (
        qr{load_module\s+\S+;} => 'load_module %%MODULE%%;',
        qr{worker_processes\s+auto;} => "daemon off;\nworker_processes 1;",
        qr{^pid\s+\S+;}m => 'pid %%TESTDIR%%/nginx.pid;',
        qr{^error_log\s+\S+\s+(\w+);}m
            => 'error_log %%TESTDIR%%/error.log info;',
        qr{access_log\s+\S+;} => 'access_log %%TESTDIR%%/access.log;',
        qr{127\.0\.0\.1:8080} => '127.0.0.1:%%PORT%%',
        qr{lapor_redis 127\.0\.0\.1:6380;} => 'lapor_redis %%REDIS%%;',
        qr{/etc/nginx/lapor/catalog\.json}
            => '%%REPO%%/examples/catalog.json',
        qr{/etc/nginx/lapor/identity\.key} => '%%TESTDIR%%/identity.key',
        qr{/etc/nginx/lapor/tokens} => '%%TESTDIR%%/tokens',
        qr{/usr/share/ngx_lapor/portal} => '%%REPO%%/examples/portal',
        qr{/usr/share/ngx_lapor/console/} => '%%REPO%%/examples/console/',
        qr{lapor_limit submit [^;]+;}
            => 'lapor_limit submit 600r/m burst=100;',
        qr{lapor_limit read [^;]+;}
            => 'lapor_limit read 6000r/m burst=1000;',
        qr{^http \{}m => "http {\n"
            . "    client_body_temp_path %%TESTDIR%%/body;\n"
            . "    proxy_temp_path %%TESTDIR%%/proxy;\n"
            . "    fastcgi_temp_path %%TESTDIR%%/fastcgi;\n"
            . "    uwsgi_temp_path %%TESTDIR%%/uwsgi;\n"
            . "    scgi_temp_path %%TESTDIR%%/scgi;\n",
    );
    my $i = 0;
    while (my ($re, $to) = splice @sub, 0, 2) {
        my $n = ($conf =~ s/$re/$to/g);
        Test::More::BAIL_OUT("examples/$file: $re not found")
            unless $n || ($o{file} && $i >= 4);
        $i++;
    }
    for my $re (sort keys %{$o{sub} || {}}) {
        my $to = $o{sub}{$re};
        Test::More::BAIL_OUT("examples/$file: $re not found")
            unless $conf =~ s/$re/$to/g;
    }
    return $self->write_conf($conf, full => 1);
}

###############################################################################
# What nginx asks Redis for.

package Lapor::Test;

# The commands Redis runs while $code runs, as MONITOR shows them (those of
# a transaction between its MULTI and EXEC), each an array reference
# [ COMMAND, arguments... ], the command in upper case; PING and ROLE (the
# module's heartbeat) left out.  An ECHO sent after $code marks the end:
# no waiting for quiet.
sub redis_monitor {
    my ($self, $code, %opts) = @_;
    my $mon = $self->redis_conn(%opts);
    my $ok = $mon->command('MONITOR');
    die "MONITOR: $ok\n" unless defined $ok && !ref $ok && $ok eq 'OK';

    $code->();

    my $mark = "redis_monitor:$$:" . int(rand(1e9));
    $self->redis_cmd(\%opts, 'ECHO', $mark);

    my @cmds;
    while (1) {
        my $line = $mon->read_reply($self->tmo(5));
        die "MONITOR: no end mark\n" unless defined $line;
        next if ref $line;
        my ($cmd) = $line =~ /^[\d.]+ \[\d+ [^\]]+\] (.*)$/ or next;
        my @w = map { s/\\(.)/$1/gr } $cmd =~ /"((?:[^"\\]|\\.)*)"/g;
        next unless @w;
        $w[0] = uc $w[0];
        last if $w[0] eq 'ECHO' && defined $w[1] && $w[1] eq $mark;
        push @cmds, \@w unless $w[0] =~ /^(?:PING|ROLE)$/;
    }

    $mon->close;
    return @cmds;
}

1;
