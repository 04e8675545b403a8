#!/usr/bin/perl

# The harness itself: Redis control, RESP parsing, fake Redis modes, nginx
# lifecycle and the log checks.  Needs no module, so it runs before the
# module is built and tells a broken environment from a broken module.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Socket::INET;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new(no_module_check => 1);

subtest 'RESP parser handles every reply type' => sub {
    my @cases = (
        ["+OK\r\n", 'OK'],
        [":42\r\n", 42],
        ["\$5\r\nhello\r\n", 'hello'],
        ["\$-1\r\n", undef],
        ["*2\r\n\$1\r\na\r\n:1\r\n", ['a', 1]],
        ["*2\r\n*1\r\n+x\r\n\$0\r\n\r\n", [['x'], '']],
        ["%1\r\n+k\r\n:2\r\n", { k => 2 }],
        ["_\r\n", undef],
        ["#t\r\n", 1],
    );
    for my $c (@cases) {
        my ($v, $next) = Lapor::Test::resp_parse($c->[0], 0);
        is_deeply($v, $c->[1], 'parse ' . join('\r\n', split /\r\n/, $c->[0]));
        is($next, length $c->[0], 'consumed all');
    }

    my @partial = Lapor::Test::resp_parse("\$5\r\nhel", 0);
    is(scalar @partial, 0, 'partial bulk is incomplete');

    my ($e) = Lapor::Test::resp_parse("-ERR bad\r\n", 0);
    ok(is_redis_error($e), 'error reply is an error object');
    is("$e", 'ERR bad', 'error message');
};

subtest 'valgrind log records are classified' => sub {
    my $log = join '', map { "==7== $_\n" } (
        'Memcheck, a memory error detector', '',
        'Invalid read of size 8',
        '   at 0x1: ngx_http_lapor_reply (x.c:1)', '',
        'HEAP SUMMARY:', '    in use at exit: 10 bytes in 1 blocks', '',
        '16 bytes in 1 blocks are definitely lost in loss record 1 of 2',
        '   at 0x2: malloc', '',
        'LEAK SUMMARY:', '   definitely lost: 16 bytes in 1 blocks',
        '   possibly lost: 0 bytes in 0 blocks', '');

    my @e = Lapor::Test::valgrind_errors($log);
    is(scalar @e, 2, 'an invalid read and a definite leak');
    like($e[0], qr/Invalid read/, 'first is the invalid read');
    like($e[1], qr/definitely lost in loss record/, 'second is the leak');
    is(scalar(Lapor::Test::valgrind_errors("==7== LEAK SUMMARY:\n"
        . "==7==    definitely lost: 0 bytes in 0 blocks\n")), 0,
        'a clean summary is no error');
};

subtest 'sanitizer reports are found (ASan mode)' => sub {
    my $dir = $t->testdir . '/asan-selftest';
    mkdir $dir;
    is(scalar(Lapor::Test::asan_reports($dir)), 0, 'none in an empty dir');
    $t->write_file("$dir/asan.4242", "==4242==ERROR: AddressSanitizer: "
        . "heap-buffer-overflow\n");
    $t->write_file("$dir/ubsan.77", "x.c:1:2: runtime error: overflow\n");
    is_deeply([Lapor::Test::asan_reports($dir)], ['asan.4242', 'ubsan.77'],
        'ASan and UBSan report files');
    like("2026/12/06 x.c:536:15: runtime error: null pointer passed\n",
        $Lapor::Test::BAD_LOG, 'a UBSan line in error.log fails a file');
    like("==1==ERROR: AddressSanitizer: SEGV\n", $Lapor::Test::BAD_LOG,
        'an ASan line in error.log fails a file');
};

subtest 'redis-server starts, answers, stops and restarts on its port' => sub {
    my $port = $t->start_redis;
    ok($port, "redis on port $port");
    is($t->redis_cmd('PING'), 'PONG', 'PING');
    is($t->redis_cmd('SET', 'k', "v\r\nx"), 'OK', 'SET binary value');
    is($t->redis_cmd('GET', 'k'), "v\r\nx", 'GET bulk');
    is($t->redis_cmd('INCR', 'n'), 1, 'integer');
    is_deeply($t->redis_cmd('MGET', 'k', 'nope'), ["v\r\nx", undef],
        'array with nil');
    ok(is_redis_error($t->redis_cmd('NOSUCHCOMMAND')), 'error reply');

    $t->pause_redis(0.3);
    my $t0 = time;
    ok($t->wait_redis(2), 'PING answered after CLIENT PAUSE');
    cmp_ok(time - $t0, '>=', 0.2, 'CLIENT PAUSE held it');

    $t->stop_redis;
    ok(!eval { $t->redis_cmd('PING'); 1 }, 'stopped redis refuses');
    is($t->start_redis, $port, 'restart on the same port');
    is($t->redis_cmd('PING'), 'PONG', 'PING after restart');
    is($t->redis_cmd('GET', 'k'), "v\r\nx", 'the data survived (AOF)');
    $t->stop_redis;
    is($t->start_redis(fresh => 1), $port, 'fresh restart');
    is($t->redis_cmd('GET', 'k'), undef, 'fresh => 1: no data');
    $t->stop_redis;

    # requirepass needs a server without the shipped ACL file
    $t->start_redis(name => 'auth', acl => 0, password => 'secret');
    ok(is_redis_error($t->redis_cmd({ name => 'auth', password => undef },
        'PING')), 'NOAUTH without password');
    is($t->redis_cmd({ name => 'auth' }, 'PING'), 'PONG', 'AUTH then PING');
    $t->stop_redis(name => 'auth');
};

subtest 'redis-server runs the shipped redis.conf and users.acl' => sub {
    my $port = $t->start_redis(name => 'shipped');
    my $dir = $t->testdir . "/redis-$port";
    my $conf = $t->read_file("$dir/redis.conf");

    # every setting of the shipped file is there, but for the replaced ones
    my @shipped = grep { /^\s*[a-z]/ } split /\n/,
        $t->read_file("$Lapor::Test::REPO/redis/redis.conf");
    ok(scalar @shipped > 20, scalar(@shipped) . ' shipped settings');
    my @missing = grep {
        my ($name) = /^\s*(\S+)/;
        !$Lapor::Test::CONF_REPLACED{lc $name}
            && index($conf, "\n$_\n") < 0
    } @shipped;
    is_deeply(\@missing, [], 'kept verbatim');
    like($conf, qr/^port $port$/m, 'port replaced');
    like($conf, qr/^dir \Q$dir\E$/m, 'dir replaced');
    like($conf, qr/^aclfile \Q$dir\E\/users\.acl$/m, 'aclfile replaced');
    unlike($conf, qr{^(?:dir|aclfile|pidfile|logfile)\s+/(?:etc|var|run)/}m,
        'no system path left');

    my $cfg = sub {
        my $v = $t->redis_cmd({ name => 'shipped' }, 'CONFIG', 'GET', $_[0]);
        return ref $v eq 'HASH' ? $v->{$_[0]} : $v->[1];
    };
    is($cfg->('appendonly'), 'yes', 'appendonly yes');
    is($cfg->('maxmemory-policy'), 'noeviction', 'noeviction');
    is($cfg->('enable-debug-command'), 'no', 'no DEBUG');
    like($t->redis_cmd({ name => 'shipped' }, 'DEBUG', 'SLEEP', 0),
        qr/DEBUG command not allowed/, 'DEBUG SLEEP refused');

    my $acl = $t->read_file("$dir/users.acl");
    (my $want = $t->read_file("$Lapor::Test::REPO/redis/users.acl"))
        =~ s/>CHANGE_ME_(\w+?)_password\b/'>' . $t->acl_password($1)/ge;
    is($acl, $want, 'users.acl: the shipped file, passwords filled in');
    unlike($acl, qr/CHANGE_ME/, 'no placeholder left');

    is($t->redis_cmd({ name => 'shipped' }, 'ACL', 'WHOAMI'), 'admin',
        'the harness is admin');
    is($t->redis_cmd({ name => 'shipped', user => 'lapor' }, 'PING'),
        'PONG', 'lapor logs in with its password');

    my $c = Lapor::Test::RedisConn->new(port => $port);
    like($c->command('PING'), qr/^NOAUTH/, 'no command without AUTH');
    like($c->command('AUTH', 'default', 'x'), qr/^WRONGPASS/,
        'the default user cannot log in');
    $c->close;

    is($t->conf_text('%%REDIS:shipped%%', full => 1),
        "127.0.0.1:$port user=lapor password="
        . $t->acl_password('lapor'), '%%REDIS:name%%');
    is($t->conf_text('%%REDIS_LOGIN%%', full => 1),
        'user=lapor password=' . $t->acl_password('lapor'),
        '%%REDIS_LOGIN%%');
    like($t->conf_text('%%REDIS%%', full => 1),
        qr/^127\.0\.0\.1:\d+ user=lapor password=[0-9a-f]{24}$/, '%%REDIS%%');

    # the failed login above and two denials of lapor are in ACL LOG; the
    # end-of-file check would fail on them, so they are read and reset here
    like($t->redis_cmd({ name => 'shipped', user => 'lapor' }, 'FLUSHALL'),
        qr/^NOPERM/, 'lapor may not FLUSHALL');
    like($t->redis_cmd({ name => 'shipped', user => 'lapor' },
        'GET', 'other:key'), qr/^NOPERM/, 'nor read keys outside lapor:*');
    my @log = $t->acl_log(name => 'shipped');
    is_deeply([ sort map { "$_->{reason} $_->{object}" } @log ],
        [ 'auth AUTH', 'command flushall', 'key other:key' ],
        'all three in ACL LOG');
    is($t->redis_cmd({ name => 'shipped' }, 'ACL', 'LOG', 'RESET'), 'OK',
        'reset');

    $t->stop_redis(name => 'shipped');
    $t->start_redis(name => 'shipped',
        conf => [ 'enable-debug-command' => 'local' ]);
    is($t->redis_cmd({ name => 'shipped' }, 'DEBUG', 'SLEEP', 0), 'OK',
        'conf => [...] overrides a shipped setting');
    $t->stop_redis(name => 'shipped');
};

subtest 'a command the shipped ACL denies fails the test file' => sub {
    my $script = $t->write_file('acl-denied.t', <<"EOF");
use lib '$FindBin::Bin/lib';
use Test::More;
use Lapor::Test;
my \$t = Lapor::Test->new(no_module_check => 1);
\$t->start_redis;
\$t->redis_cmd({ user => 'lapor' }, 'SET', 'lapor:{x}:k', 1);
\$t->redis_cmd({ user => 'lapor' }, 'APPEND', 'lapor:{x}:k', 1);
\$t->finish;
EOF
    my $out = $t->_run_capture($^X, $script);
    like($out, qr/^not ok \d+ - redis 'redis': ACL LOG empty/m,
        'the file fails');
    like($out, qr/reason=command context=toplevel object=append username=lapor/,
        'the denial is in the diagnostics');
};

subtest 'LAPOR_TEST_PORT_BASE and LAPOR_TEST_PORT_RANGE move the ports' => sub {
    is_deeply([ Lapor::Test::port_range() ],
        [ $ENV{LAPOR_TEST_PORT_BASE} || 20000,
          $ENV{LAPOR_TEST_PORT_RANGE} || 12000 ], 'the range in use');

    my $h = Lapor::Test->new(no_module_check => 1);
    {
        local $ENV{LAPOR_TEST_PORT_BASE} = 40000;
        local $ENV{LAPOR_TEST_PORT_RANGE} = 300;
        my @p = map { $h->port("p$_") } 1 .. 20;
        is(scalar(grep { $_ >= 40000 && $_ < 40300 } @p), 20,
            '20 ports in 40000..40299');
        my %u = map { $_ => 1 } @p;
        is(scalar keys %u, 20, 'all different');
    }

    # a port locked by another harness (parallel files) is never picked:
    # in a range of two, the other one is
    my ($locked, $other);
    for (1 .. 50) {
        my $x = Lapor::Test->new(no_module_check => 1);
        $locked = $x->port('probe');
        next if $locked >= 65535;
        # the neighbour must be free for TCP and for the harness's UDP
        # lock (a parallel test's server may hold it): else try again
        my $free = IO::Socket::INET->new(Proto => 'udp',
            LocalAddr => '127.0.0.1:' . ($locked + 1));
        my $tcp = IO::Socket::INET->new(Proto => 'tcp', Listen => 1,
            ReuseAddr => 1, LocalAddr => '127.0.0.1:' . ($locked + 1));
        next unless $free && $tcp;
        close $free;
        close $tcp;
        local $ENV{LAPOR_TEST_PORT_BASE} = $locked;
        local $ENV{LAPOR_TEST_PORT_RANGE} = 2;
        $other = eval { $h->port('next') };
        last;
    }
    is($other, $locked + 1, 'the locked port is skipped');

    for my $bad ([ 'abc', 10 ], [ 80, 10 ], [ 65530, 10 ], [ 30000, 0 ]) {
        local $ENV{LAPOR_TEST_PORT_BASE} = $bad->[0];
        local $ENV{LAPOR_TEST_PORT_RANGE} = $bad->[1];
        ok(!eval { $h->port("bad-$bad->[0]-$bad->[1]"); 1 },
            "base $bad->[0] range $bad->[1] refused")
            and like($@, qr/LAPOR_TEST_PORT_(?:BASE|RANGE)/, 'naming it');
    }

    # as a test file run by prove or make test reads them
    my $out = `LAPOR_TEST_PORT_BASE=41000 LAPOR_TEST_PORT_RANGE=100 $^X -I$FindBin::Bin/lib -MLapor::Test -e 'print Lapor::Test->new(no_module_check => 1)->port("x")'`;
    ok($out >= 41000 && $out < 41100, "from the environment: $out");
};

subtest 'fake redis modes' => sub {
    my $port = $t->fake_redis(name => 'f1', chunk => 1);
    my $c = Lapor::Test::RedisConn->new(port => $port, timeout => 2);
    is($c->command('PING'), 'PONG', 'default PING, one byte per write');
    ok(is_redis_error($c->command('GET', 'x')), 'default -ERR');
    $c->close;
    like($t->fake_log('f1'), qr/cmd 1 PING.*cmd 1 GET x/s, 'commands logged');
    $t->stop_fake('f1');

    $port = $t->fake_redis(name => 'f2', mode => 'silent');
    $c = Lapor::Test::RedisConn->new(port => $port, timeout => 0.3);
    ok(!eval { $c->command('PING'); 1 }, 'silent mode never answers');
    $t->stop_fake('f2');

    my $big = 'x' x 100_000;
    $port = $t->fake_redis(name => 'f3', handler => sub {
        my ($cmd, $args, $ctx) = @_;
        return resp_bulk($big) if $cmd eq 'PING' && $ctx->{count}{PING} > 1;
        return { silent => 1 } if $cmd eq 'GET';
        return;
    });
    $c = Lapor::Test::RedisConn->new(port => $port, timeout => 2);
    is($c->command('PING'), 'PONG', 'scripted: first PING');
    is(length($c->command('PING')), 100_000, 'scripted: 100 KB bulk');
    $c->close;
    $t->stop_fake('f3');

    $port = $t->fake_redis(name => 'f4', mode => 'close');
    $c = Lapor::Test::RedisConn->new(port => $port, timeout => 1);
    ok(!eval { $c->command('PING'); 1 }, 'close mode closes');
    $t->stop_fake('f4');
};

subtest 'nginx starts without the module, serves, logs, stops' => sub {
    $t->write_conf(<<'EOF', no_module => 1);
    server {
        listen 127.0.0.1:%%PORT%%;
        location /static/ { return 200 "ok"; }
    }
EOF
    $t->start_nginx;
    my $r = $t->http_get('/static/x');
    is($r->{status}, 200, 'static 200');
    is($r->{body}, 'ok', 'static body');

    my $raw = $t->http_raw($t->raw_request('HEAD', '/static/x'));
    is($raw->{status}, 200, 'raw HEAD');
    is($raw->{body}, '', 'raw HEAD has no body');

    my @res = $t->http_parallel([map { $t->raw_request('GET', '/static/')
        } 1 .. 10]);
    is(scalar(grep { $_->{status} == 200 } @res), 10, 'parallel');

    my @workers = $t->worker_pids;
    is(scalar @workers, 1, 'one worker');

    ok($t->stop_nginx, 'stopped by QUIT');
    like($t->error_log, qr/\[notice\].*exit/, 'log has notices');

    my ($rc, $out) = $t->nginx_t("no_such_directive;\n", no_module => 1);
    isnt($rc, 0, 'nginx -t fails on a bad conf');
    like($out, qr/unknown directive "no_such_directive"/, 'and says why');
};

# "make bench" is not a test, but its script's options are checked here, as
# cheap as that is: it must compile and refuse what it does not know before
# it starts anything (exit 2 with the reason).
subtest 'the benchmark script refuses bad options' => sub {
    my $run = "$FindBin::Bin/bench/run";
    my $out = `$^X -c '$run' 2>&1`;
    is($?, 0, 't/bench/run compiles') or diag $out;
    for my $case (
        [[], ['--nonsense'], qr/unknown option --nonsense/],
        [[], ['--leak', '--against=HEAD'], qr/--against is for the benchmark/],
        [[], ['--cluster', '--against=HEAD'], qr/--against is for the benchmark/],
        [[], ['--cluster', '--leak'], qr/one of --leak, --callgrind and --cluster/],
        [[BENCH_DURATION => 'x'], [], qr/BENCH_DURATION must be a positive/],
        [[BENCH_ONLY => 'SUBMIT-PROD,NOPE'], [], qr/unknown group NOPE/],
        [[], ['--against=no-such-revision-x'], qr/is not a commit/],
    ) {
        my ($env, $args, $re) = @$case;
        local %ENV = (%ENV, @$env);
        my $cmd = join ' ', $^X, "'$run'", map { "'$_'" } @$args;
        $out = `$cmd 2>&1`;
        is($? >> 8, 2, "@$env @$args: exit 2");
        like($out, $re, "@$env @$args: says why");
    }
};

$t->finish;
