#!/usr/bin/perl

# GET|HEAD health with Redis up: a real PING round trip, a JSON body that
# names the namespace and the connection, and the same answer however often
# and however concurrently it is asked.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /static/ { return 200 "ok"; }
        location /api/v1/ { lapor_api; }

        location /denpasar/ {
            lapor_namespace denpasar;
            lapor_api;
        }
    }
EOF
$t->start_nginx;

my $port = $t->redis_port;
my $first = $t->wait_status('/api/v1/health', 200, 10);
is($first->{status}, 200, 'the worker gets ready after start');

$t->log_mark;

subtest 'GET health answers 200 with the connection state' => sub {
    my $r = $t->http_get('/api/v1/health');

    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/json\b},
        'content type application/json');
    ok(ref $r->{json} eq 'HASH', 'body is a JSON object')
        or diag($r->{body});

    my $j = $r->{json} || {};
    is($j->{status}, 'ok', 'status ok');
    is($j->{namespace}, 'bali', 'namespace from the http level');
    is(ref $j->{redis}, 'HASH', 'redis object');
    is($j->{redis}{state}, 'ready', 'redis state ready');
    ok(!exists $j->{redis}{address}, "the public answer does not reveal the redis address");

    like($r->{body}, qr/"rtt_ms"\s*:\s*-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[,}]/,
        'rtt_ms is a JSON number');
    ok(defined $j->{redis}{rtt_ms} && $j->{redis}{rtt_ms} >= 0
        && $j->{redis}{rtt_ms} < 1000 * $t->scale, 'rtt_ms plausible')
        or diag($r->{body});
};

subtest 'health sends a real PING to Redis' => sub {
    my $before = ping_calls();
    my $ok = 0;
    $ok += $t->http_get('/api/v1/health')->{status} == 200 for 1 .. 3;
    is($ok, 3, 'three health checks');
    cmp_ok(ping_calls() - $before, '>=', 3, 'Redis counted three PINGs');
};

subtest 'HEAD health answers 200 without a body' => sub {
    my $r = $t->http_raw($t->raw_request('HEAD', '/api/v1/health'));
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'} || '', qr{^application/json\b},
        'content type application/json');
    is($r->{body}, '', 'no body');

    my $h = $t->http_head('/api/v1/health');
    is($h->{status}, 200, 'HTTP::Tiny HEAD 200');
};

subtest 'namespace set in a location wins' => sub {
    my $r = $t->http_get('/denpasar/health');
    is($r->{status}, 200, 'status 200');
    is(($r->{json} || {})->{namespace}, 'denpasar', 'namespace denpasar');
};

subtest '50 health requests in a row all answer 200' => sub {
    my %seen;
    $seen{$t->http_get('/api/v1/health')->{status}}++ for 1 .. 50;
    is_deeply(\%seen, { 200 => 50 }, 'all 200');
};

subtest '20 concurrent health requests all answer 200' => sub {
    my @res = $t->http_parallel(
        [ map { $t->raw_request('GET', '/api/v1/health') } 1 .. 20 ]);
    my %seen;
    $seen{$_->{status}}++ for @res;
    is_deeply(\%seen, { 200 => 20 }, 'all 200');
    is(scalar(grep { ref $_->{json} eq 'HASH'
        && ($_->{json}{redis}{state} || '') eq 'ready' } @res), 20,
        'all bodies parse and say ready');
};

subtest 'keep-alive connection serves several health checks' => sub {
    my $req = "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
        x 4;
    $req .= "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    my $r = $t->http_raw($req);
    my @statuses = $r->{raw} =~ m{HTTP/1\.1 (\d\d\d) }g;
    is_deeply(\@statuses, [ (200) x 5 ], 'five pipelined answers, all 200');
};

subtest 'the happy path logs no errors' => sub {
    my $log = $t->log_since_mark;
    my @errors = grep { /\[error\]/ } split /\n/, $log;
    ok(!@errors, 'no [error] lines') or diag(join "\n", @errors);
};

subtest 'one Redis connection per worker' => sub {
    my @clients = grep { ($_->{cmd} || '') ne 'debug' } $t->redis_clients;
    is(scalar @clients, 1, 'one client connection from the single worker')
        or diag(join "\n", map { "$_->{addr} cmd=$_->{cmd}" } @clients);
};

$t->finish;

sub ping_calls {
    my $info = $t->redis_cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_ping:calls=(\d+)/m ? $1 : 0;
}
