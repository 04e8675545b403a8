#!/usr/bin/perl

# Reload (HUP) and graceful stop (QUIT) with health requests in flight:
# every request gets its answer, old workers exit, each worker keeps one
# Redis connection and closes it on exit, and nothing is left behind.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;
$t->skip_valgrind('reload and several workers need master_process on');

my $WORKERS = 2;

$t->start_redis;
$t->write_conf(<<'EOF', worker_processes => $WORKERS);
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /static/ { return 200 "ok"; }
        location /api/v1/ { lapor_api; }
    }
EOF

# Redis clients that are nginx workers (redis_clients leaves out our own).
sub nginx_clients {
    return $t->redis_clients;
}

sub all_workers_ready {
    return wait_until(sub { nginx_clients() == $WORKERS }, 5)
        && $t->wait_status('/api/v1/health', 200, 5)->{status} == 200;
}

# Stalls Redis for $secs and starts $n health requests that wait on it.
sub requests_in_flight {
    my ($secs, $n) = @_;
    $t->pause_redis($secs);
    sleep 0.1;
    my @socks = map { $t->http_start($t->raw_request('GET', '/api/v1/health'))
        } 1 .. $n;
    sleep 0.1;
    return @socks;
}

$t->start_nginx;

subtest 'every worker holds exactly one Redis connection' => sub {
    ok(all_workers_ready(), "$WORKERS workers, $WORKERS connections, 200")
        or diag(scalar nginx_clients());
};

subtest 'reload with requests in flight' => sub {
    $t->log_mark;
    my @socks = requests_in_flight(1, 4);

    my @old = $t->reload;
    is(scalar @old, $WORKERS, "$WORKERS old workers");

    my @res = map { $t->http_end($_) } @socks;
    is(scalar(grep { $_->{status} == 200 } @res), 4,
        'in-flight requests finish with 200')
        or diag(join ' ', map { $_->{status} } @res);
    ok($t->wait_redis(5), 'the pause ended');

    ok($t->wait_pids_gone(10, @old), 'old workers exit');
    is(scalar(my @w = $t->worker_pids), $WORKERS, "$WORKERS new workers");

    ok(all_workers_ready(), 'new workers connect, old connections closed')
        or diag(join "\n", map { "$_->{addr} $_->{cmd}" } nginx_clients());

    my $log = $t->log_since_mark;
    unlike($log, qr/open socket #\d+ left/, 'no socket left open');
    like($log, qr/gracefully shutting down/, 'old workers shut down');
    $t->check_alerts('no alerts after reload');
};

subtest 'repeated reloads keep one connection per worker' => sub {
    for (1 .. 3) {
        my @old = $t->reload;
        $t->wait_pids_gone(10, @old);
    }
    ok(all_workers_ready(), "still $WORKERS connections")
        or diag(scalar nginx_clients());
    $t->check_alerts('no alerts after repeated reloads');
};

subtest 'reload while Redis is down: workers still exit at once' => sub {
    $t->stop_redis;
    my $r = $t->wait_status('/api/v1/health', 503, 3);
    is($r->{status}, 503, 'health 503');

    my $t0 = time;
    my @old = $t->reload;
    ok($t->wait_pids_gone(5, @old), 'old workers in backoff exit');
    cmp_ok(time - $t0, '<', 3, 'without waiting for a reconnect timer');

    $t->start_redis;
    ok(all_workers_ready(), 'new workers connect when Redis is back');
    $t->check_alerts('no alerts after reload during an outage');
};

subtest 'QUIT with requests in flight' => sub {
    my @socks = requests_in_flight(1, 4);
    my @workers = $t->worker_pids;

    my $t0 = time;
    ok($t->stop_nginx, 'nginx exits after QUIT');
    my $took = time - $t0;

    my @res = map { $t->http_end($_) } @socks;
    is(scalar(grep { $_->{status} == 200 } @res), 4,
        'in-flight requests finish with 200')
        or diag(join ' ', map { $_->{status} } @res);
    cmp_ok($took, '<', 5, 'and nginx exits soon after');
    ok(!(grep { -e "/proc/$_" } @workers), 'all workers are gone');

    ok($t->wait_redis(5), 'the pause ended');

    ok(wait_until(sub { nginx_clients() == 0 }, 3),
        'workers closed their Redis connections');
    $t->check_alerts('no alerts after QUIT');
};

subtest 'QUIT with a stalled Redis: requests time out, nginx exits' => sub {
    $t->start_nginx;
    ok(all_workers_ready(), 'ready');

    my @socks = requests_in_flight(3, 2);
    my $t0 = time;
    ok($t->stop_nginx, 'nginx exits after QUIT');
    my $took = time - $t0;

    my @res = map { $t->http_end($_) } @socks;
    is(scalar(grep { $_->{status} =~ /^50[234]$/ } @res), 2,
        'in-flight requests get an error')
        or diag(join ' ', map { $_->{status} } @res);
    cmp_ok($took, '<', 4.5, 'nginx exits within the command timeout');

    ok($t->wait_redis(5), 'the pause ended');
    $t->check_alerts('no alerts after QUIT during a stall');
};

subtest 'TERM stops nginx at once' => sub {
    $t->start_nginx;
    ok(all_workers_ready(), 'ready');
    my $t0 = time;
    ok($t->stop_nginx(signal => 'TERM'), 'nginx exits after TERM');
    cmp_ok(time - $t0, '<', 2, 'promptly');
};

$t->finish;
