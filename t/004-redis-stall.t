#!/usr/bin/perl

# A Redis that stalls, dribbles, floods or talks nonsense: every health
# request is answered within its time bound, clients that give up leave
# nothing behind, and the worker keeps serving afterwards.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $TIMEOUT = 1;                # lapor_redis_timeout
my $CONNECT = 0.5;              # lapor_redis_connect_timeout

# nginx.conf for a Redis on $port; $login for a real Redis (the fakes take
# any AUTH, or none).
sub conf {
    my ($port, $login) = @_;
    $login = '' unless defined $login;
    return <<"EOF";
    lapor_redis 127.0.0.1:$port $login;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /static/ { return 200 "ok"; }
        location /api/v1/ { lapor_api; }
    }
EOF
}

# Starts a fake Redis with the given behaviour and nginx pointed at it.
sub with_fake {
    my (%behaviour) = @_;
    $t->stop_nginx;
    $t->stop_daemons;
    unlink $t->testdir . '/fake.log';
    my $port = $t->fake_redis(%behaviour);
    $t->write_conf(conf($port));
    $t->start_nginx;
    $t->log_mark;
}

# A fake Redis that completes the handshake (the first PING of every
# connection) and then runs $after for each later PING.
sub after_handshake {
    my ($after) = @_;
    return sub {
        my ($cmd, $args, $ctx) = @_;
        return unless $cmd eq 'PING';
        return if ++$ctx->{pings}{$ctx->{conn}} == 1;
        return $after->($ctx);
    };
}

# Waits until the worker's connection answered its handshake PING.
sub wait_handshake {
    ok(wait_until(sub { $t->fake_log =~ /^cmd \d+ PING/m }, $t->tmo(3)),
        'the worker connected and sent its handshake');
    sleep 0.05 * $t->scale;
}

sub still_serving {
    my ($name) = @_;
    subtest $name => sub {
        my $s = $t->http_get('/static/');
        is($s->{status}, 200, 'static 200');
        cmp_ok($s->{elapsed}, '<', $t->tmo(0.2), 'static under 200 ms');
        my $r = $t->http_get('/api/v1/health');
        like($r->{status}, qr/^(?:200|50[234])$/, "health answered "
            . "($r->{status})");
        cmp_ok($r->{elapsed}, '<=', $t->tmo($TIMEOUT + 1),
            'within lapor_redis_timeout + 1 s');
    };
}

subtest 'Redis that accepts and never answers: 503/504 in time' => sub {
    with_fake(mode => 'silent');

    my $r = $t->http_get('/api/v1/health');
    $t->problem_ok($r, [503, 504], undef, 'problem 503 or 504');
    cmp_ok($r->{elapsed}, '<=', $t->tmo($TIMEOUT + 1),
        'within lapor_redis_timeout + 1 s');
    if ($r->{status} == 503) {
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/, 'Retry-After');
    }

    # The handshake times out and the worker backs off and tries again.
    ok(wait_until(sub { $t->fake_log =~ /^accept 2$/m }, $t->tmo(4)),
        'the worker reconnects after the connect timeout');

    for my $rst (0, 1) {
        $t->http_abort($t->raw_request('GET', '/api/v1/health'),
            after => 0.05, rst => $rst) for 1 .. 3;
    }
    sleep $CONNECT + 0.2;
    still_serving('still serving after clients gave up');
    $t->check_alerts('no alerts with a silent Redis');
};

subtest 'Redis that stops answering after the handshake: 504' => sub {
    with_fake(handler => after_handshake(sub { +{ silent => 1 } }));
    my $r = $t->wait_status('/api/v1/health', 504, 5);
    $t->problem_ok($r, 504, 'redis-timeout', 'problem 504 redis-timeout');
    cmp_ok($r->{elapsed}, '>=', $TIMEOUT - 0.1, 'not before the timeout');
    cmp_ok($r->{elapsed}, '<=', $t->tmo($TIMEOUT + 1), 'nor much later');

    my $accepts = () = $t->fake_log =~ /^accept/mg;
    ok(wait_until(sub {
        (() = $t->fake_log =~ /^accept/mg) > $accepts
    }, $t->tmo(3)), 'the connection is rebuilt after a timeout');

    subtest 'concurrent requests on the stalled connection all end' => sub {
        wait_until(sub {
            $t->http_get('/api/v1/health')->{status} == 504
        }, $t->tmo(5));
        sleep 0.2;
        my @res = $t->http_parallel(
            [ map { $t->raw_request('GET', '/api/v1/health') } 1 .. 5 ]);
        is(scalar(grep { $_->{status} =~ /^50[234]$/ } @res), 5,
            'all 5 answered with an error')
            or diag(join ' ', map { $_->{status} } @res);
        my ($max) = sort { $b <=> $a } map { $_->{elapsed} } @res;
        cmp_ok($max, '<=', $t->tmo($TIMEOUT + 1), 'within the timeout');
        ok(!(grep { Lapor::Test::check_problem($_) } @res),
            'all are problem documents');
    };

    subtest 'clients that disconnect while Redis stalls' => sub {
        wait_until(sub {
            $t->http_get('/api/v1/health')->{status} == 504
        }, $t->tmo(5));
        sleep 0.2;
        $t->http_abort($t->raw_request('GET', '/api/v1/health'),
            after => 0.2) for 1 .. 3;
        $t->http_abort($t->raw_request('GET', '/api/v1/health'),
            after => 0.1, rst => 1) for 1 .. 2;
        sleep $TIMEOUT + 0.3;
        still_serving('nginx keeps serving');
        $t->check_alerts('no alerts after client aborts');
    };
};

subtest 'PONG written one byte at a time: 200' => sub {
    with_fake(chunk => 1, delay => 0.005);
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    is(($r->{json} || {})->{redis}{state}, 'ready', 'state ready');

    my %seen;
    $seen{$t->http_get('/api/v1/health')->{status}}++ for 1 .. 5;
    is_deeply(\%seen, { 200 => 5 }, 'again and again');
};

for my $size (20_000, 100_000, 2_000_000) {
    my $kb = int($size / 1000);

    subtest "PING answered by a ${kb} KB bulk string: quick error" => sub {
        my $big = 'x' x $size;
        with_fake(handler => after_handshake(sub { resp_bulk($big) }));

        wait_handshake();
        my $r = $t->http_get('/api/v1/health');
        note("answer: $r->{status} $r->{body}");
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/,
            '503 has Retry-After') if $r->{status} == 503;

        isnt($r->{status}, 200, "not 200 (got $r->{status})");
        isnt($r->{status}, 504, 'not a timeout: the reply was read whole');
        $t->problem_ok($r, undef, undef, 'a problem document');
        cmp_ok($r->{elapsed}, '<', $t->tmo($TIMEOUT), 'before the timeout');

        my $next = $t->http_get('/api/v1/health');
        like($next->{status}, qr/^(?:50[0234])$/,
            "the next request is answered too ($next->{status})");
        cmp_ok($next->{elapsed}, '<', $t->tmo($TIMEOUT), 'without a stall');
        $t->check_alerts("no alerts after a ${kb} KB reply");
    };
}

subtest 'garbage instead of RESP: quick error, then reconnect' => sub {
    with_fake(handler => after_handshake(sub { "?garbage\r\n" }));

    wait_handshake();
    my $r = $t->http_get('/api/v1/health');
    note("answer: $r->{status} $r->{body}");
    like($r->{headers}{'retry-after'} || '', qr/^\d+$/, '503 has Retry-After')
        if $r->{status} == 503;
    like($r->{status}, qr/^50[0234]$/, "an error (got $r->{status})");
    $t->problem_ok($r, undef, undef, 'a problem document');
    cmp_ok($r->{elapsed}, '<', $t->tmo($TIMEOUT), 'before the timeout');

    ok(wait_until(sub { $t->fake_log =~ /^accept 2$/m }, $t->tmo(4)),
        'the broken connection is replaced');
    still_serving('still serving');
    $t->check_alerts('no alerts after a protocol error');
};

subtest 'an array reply announcing 1.4 billion elements: refused' => sub {
    # the reply objects allocated the element array from the header alone
    # (11 GB, zeroed); now the reader fails at once, as for garbage
    with_fake(handler => after_handshake(sub { "*1399991998\r\n" }));

    wait_handshake();
    $t->log_mark;
    my $r = $t->http_get('/api/v1/health');
    note("answer: $r->{status} $r->{body}");
    like($r->{status}, qr/^50[0234]$/, "an error (got $r->{status})");
    $t->problem_ok($r, undef, undef, 'a problem document');
    cmp_ok($r->{elapsed}, '<', $t->tmo($TIMEOUT), 'before the timeout');
    ok(wait_until(sub { $t->log_since_mark =~
        /a Redis array reply of 1399991998 elements refused/ }, $t->tmo(2)),
        'the refusal is logged');

    ok(wait_until(sub { $t->fake_log =~ /^accept 2$/m }, $t->tmo(4)),
        'the broken connection is replaced');
    still_serving('still serving');
    $t->check_alerts('no alerts after the refused reply');
};

subtest 'Redis closes the connection instead of answering' => sub {
    with_fake(handler => after_handshake(sub { +{ close => 1 } }));

    wait_handshake();
    my $r = $t->http_get('/api/v1/health');
    note("answer: $r->{status} $r->{body}");
    like($r->{headers}{'retry-after'} || '', qr/^\d+$/, '503 has Retry-After')
        if $r->{status} == 503;
    like($r->{status}, qr/^50[234]$/, "an error (got $r->{status})");
    $t->problem_ok($r, undef, undef, 'a problem document');
    cmp_ok($r->{elapsed}, '<', $t->tmo($TIMEOUT), 'before the timeout');
    still_serving('still serving');
    $t->check_alerts('no alerts after the server closed');
};

subtest 'real Redis stalled by CLIENT PAUSE: 504, late reply ignored' => sub {
    $t->stop_nginx;
    $t->stop_daemons;
    $t->start_redis;
    $t->write_conf(conf($t->redis_port, $t->redis_login));
    $t->start_nginx;
    $t->wait_status('/api/v1/health', 200, 5);

    $t->pause_redis(1.5);
    sleep 0.1;

    my $r = $t->http_get('/api/v1/health');
    $t->problem_ok($r, 504, 'redis-timeout', '504 redis-timeout');
    cmp_ok($r->{elapsed}, '>=', $TIMEOUT - 0.1, 'after the timeout');
    cmp_ok($r->{elapsed}, '<=', $t->tmo($TIMEOUT + 1), 'not much later');

    ok($t->wait_redis(5), 'the pause ends');

    $r = $t->wait_status('/api/v1/health', 200, 8);
    is($r->{status}, 200, 'health 200 again after the stall');
    $t->check_alerts('no alerts after the late reply');
};

$t->finish;
