#!/usr/bin/perl

# Redis going away and coming back: health turns 503 with Retry-After and a
# problem body, the rest of nginx keeps serving at once, and the worker
# reconnects by itself (no reload) when Redis is back.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $TIMEOUT = 1;                # lapor_redis_timeout
my $RECOVER = 8;                # backoff cap (5 s) + jitter + margin
my @STATES = qw/ connecting handshake ready backoff /;

$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /static/ { return 200 "ok"; }
        location /api/v1/ { lapor_api; }
    }
EOF

sub unavailable_ok {
    my ($r, $name) = @_;
    subtest $name => sub {
        $t->problem_ok($r, 503, 'redis-unavailable', 'problem 503');
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/,
            'Retry-After in whole seconds');
        my $state = (($r->{json} || {})->{redis} || {})->{state} || '';
        ok((grep { $_ eq $state } @STATES), "redis.state '$state' is known");
        isnt($state, 'ready', 'redis.state is not ready');
    };
}

subtest 'Redis absent at start: 503 at once, then 200 once it starts' => sub {
    $t->start_nginx;
    $t->log_mark;

    my $r = $t->http_get('/api/v1/health');
    unavailable_ok($r, 'health while Redis was never there');
    cmp_ok($r->{elapsed}, '<', $t->tmo(0.5), 'answered at once');

    my $s = $t->http_get('/static/');
    is($s->{status}, 200, 'static still served');

    # Reconnect attempts back off: in 1.5 s at most a handful, not a flood.
    sleep 1.5;
    my @lines = grep { /redis/i } split /\n/, $t->log_since_mark;
    cmp_ok(scalar @lines, '<=', 15, 'reconnect attempts back off')
        or diag(join "\n", @lines[0 .. 9]);

    $t->start_redis;
    my $t0 = time;
    $r = $t->wait_status('/api/v1/health', 200, $RECOVER);
    is($r->{status}, 200, 'health 200 after Redis started');
    note(sprintf 'recovered in %.2fs', time - $t0);

    unlike($t->log_since_mark, qr/reconfiguring/, 'without a reload');
};

subtest 'Redis stopped: health 503 within the timeout, static at once' => sub {
    $t->log_mark;
    my @workers = $t->worker_pids;

    $t->stop_redis;
    my $t0 = time;

    # Health requests in flight at the moment Redis goes away, and after.
    my @socks = map { $t->http_start($t->raw_request('GET', '/api/v1/health'))
        } 1 .. 5;

    my $s = $t->http_get('/static/');
    is($s->{status}, 200, 'static answers');
    cmp_ok($s->{elapsed}, '<', $t->tmo(0.2), 'static answers under 200 ms');

    my @res = map { $t->http_end($_) } @socks;
    is(scalar(grep { $_->{status} =~ /^(?:200|50[234])$/ } @res), 5,
        'in-flight health requests all get an answer');

    my $r;
    my $ok = wait_until(sub {
        $r = $t->http_get('/api/v1/health');
        return $r->{status} == 503;
    }, $t->tmo($TIMEOUT + 1));
    my $took = time - $t0;

    ok($ok, 'health turns 503');
    cmp_ok($took, '<=', $t->tmo($TIMEOUT + 1),
        'within lapor_redis_timeout + 1 s');
    unavailable_ok($r, 'health while Redis is down');

    $r = $t->http_get('/api/v1/health');
    cmp_ok($r->{elapsed}, '<', $t->tmo(0.5), 'later 503s come at once');

    my $h = $t->http_raw($t->raw_request('HEAD', '/api/v1/health'));
    is($h->{status}, 503, 'HEAD health 503');
    like($h->{headers}{'retry-after'} || '', qr/^\d+$/, 'with Retry-After');
    is($h->{body}, '', 'and no body');

    $s = $t->http_get('/static/');
    cmp_ok($s->{elapsed}, '<', $t->tmo(0.2), 'static still under 200 ms');

    subtest 'Redis restarted on the same port: 200 again, no reload' => sub {
        $t->start_redis;
        my $t1 = time;
        my $r2 = $t->wait_status('/api/v1/health', 200, $RECOVER);
        is($r2->{status}, 200, 'health 200');
        note(sprintf 'recovered in %.2fs', time - $t1);
        is(($r2->{json} || {})->{redis}{state}, 'ready', 'state ready');
        is_deeply([ $t->worker_pids ], \@workers, 'same worker processes');
        unlike($t->log_since_mark, qr/reconfiguring/, 'no reload happened');
    };
};

subtest 'static answers at once while health waits on a slow Redis' => sub {
    $t->wait_status('/api/v1/health', 200, $RECOVER);

    $t->pause_redis(0.8);
    sleep 0.1;

    my @socks = map { $t->http_start($t->raw_request('GET', '/api/v1/health'))
        } 1 .. 5;
    sleep 0.05;

    my @static;
    for (1 .. 5) {
        my $s = $t->http_get('/static/');
        push @static, $s->{elapsed} if $s->{status} == 200;
    }
    is(scalar @static, 5, 'static answered 5 times');
    my ($max) = sort { $b <=> $a } @static;
    cmp_ok($max, '<', $t->tmo(0.2), 'every static answer under 200 ms');

    my @res = map { $t->http_end($_) } @socks;
    is(scalar(grep { $_->{status} == 200 } @res), 5,
        'health requests finish with 200 after the stall');
    cmp_ok($res[0]{elapsed}, '>=', 0.4, 'and they were really in flight');

    ok($t->wait_redis(2), 'the pause ended');
};

subtest 'Redis killed with requests in flight: errors, no crash' => sub {
    $t->collect_acl_log;    # the KILL below loses what ACL LOG holds
    $t->pause_redis(0.9);
    sleep 0.1;

    my @socks = map { $t->http_start($t->raw_request('GET', '/api/v1/health'))
        } 1 .. 5;
    sleep 0.2;

    $t->stop_redis(signal => 'KILL');
    my $t0 = time;

    my @res = map { $t->http_end($_) } @socks;
    my $took = time - $t0;
    is(scalar(grep { $_->{status} =~ /^50[234]$/ } @res), 5,
        'every in-flight request gets 502, 503 or 504')
        or diag(join ' ', map { $_->{status} } @res);
    cmp_ok($took, '<', $t->tmo($TIMEOUT + 1), 'promptly');
    for my $r (grep { $_->{status} } @res) {
        my @e = Lapor::Test::check_problem($r);
        ok(!@e, "in-flight answer $r->{status} is a problem") or diag("@e");
        last;
    }

    $t->check_alerts('no alerts after Redis was killed');

    $t->start_redis;
    my $r = $t->wait_status('/api/v1/health', 200, $RECOVER);
    is($r->{status}, 200, 'recovered after restart');
};

subtest 'connection killed by Redis while idle: next requests recover' => sub {
    $t->wait_status('/api/v1/health', 200, $RECOVER);

    my $killed = $t->redis_cmd('CLIENT', 'KILL', 'TYPE', 'normal');
    cmp_ok($killed, '>=', 1, 'CLIENT KILL closed the module connection');

    my $r = $t->http_get('/api/v1/health');
    ok($r->{status} == 200 || $r->{status} == 503,
        "next health answers 200 or 503 (got $r->{status})");
    cmp_ok($r->{elapsed}, '<', $t->tmo($TIMEOUT + 0.5), 'without waiting');

    $r = $t->wait_status('/api/v1/health', 200, $RECOVER);
    is($r->{status}, 200, 'back to 200');
};

subtest 'long outage: the reconnect delay stays capped' => sub {
    $t->wait_status('/api/v1/health', 200, $RECOVER);
    $t->log_mark;
    $t->stop_redis;

    # 7 s is long enough for the doubling delay to reach its 5 s cap.
    sleep 7;
    # Without backoff there would be ~70 attempts (one per 100 ms).
    my @lines = grep { /redis/i } split /\n/, $t->log_since_mark;
    cmp_ok(scalar @lines, '<=', 20,
        'reconnect attempts logged in 7 s: a handful, not a flood')
        or diag(join "\n", @lines[0 .. 9]);
    my @errors = grep { /\[(?:error|warn)\]/ } @lines;
    cmp_ok(scalar @errors, '<=', 10, 'of which few at error level');
    note(scalar(@lines) . ' lines, ' . scalar(@errors) . ' errors');

    $t->start_redis;
    my $t0 = time;
    my $r = $t->wait_status('/api/v1/health', 200, $RECOVER);
    is($r->{status}, 200, 'health 200 again');
    cmp_ok(time - $t0, '<=', $t->tmo(6.5),
        'within the 5 s cap (plus a margin)');
    note(sprintf 'recovered in %.2fs', time - $t0);
};

$t->finish;
