#!/usr/bin/perl

# The harness itself: Redis control, RESP parsing, fake Redis modes, nginx
# lifecycle and the log checks.  Needs no module, so it runs before the
# module is built and tells a broken environment from a broken module.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
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

    my $c = $t->redis_conn;
    $c->send('DEBUG', 'SLEEP', '0.2');
    my $t0 = time;
    is($c->read_reply, 'OK', 'DEBUG SLEEP allowed from localhost');
    cmp_ok(time - $t0, '>=', 0.15, 'DEBUG SLEEP slept');

    $t->stop_redis;
    ok(!eval { $t->redis_cmd('PING'); 1 }, 'stopped redis refuses');
    is($t->start_redis, $port, 'restart on the same port');
    is($t->redis_cmd('PING'), 'PONG', 'PING after restart');
    $t->stop_redis;

    $t->start_redis(name => 'auth', password => 'secret');
    ok(is_redis_error($t->redis_cmd({ name => 'auth', password => undef },
        'PING')), 'NOAUTH without password');
    is($t->redis_cmd({ name => 'auth' }, 'PING'), 'PONG', 'AUTH then PING');
    $t->stop_redis(name => 'auth');
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

$t->finish;
