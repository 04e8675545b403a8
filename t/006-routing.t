#!/usr/bin/perl

# Routing below the lapor_api location: unknown paths are 404 and wrong
# methods 405 with Allow, both as problem documents; the API can be mounted
# anywhere, and locations next to it are untouched.

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
        location /lapor/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

sub routes_ok {
    my ($when) = @_;

    for my $path ('/api/v1/nope', '/api/v1/', '/api/v1/healthz',
        '/api/v1/health/extra', '/api/v1/HEALTH')
    {
        my $r = $t->http_get($path);
        $t->problem_ok($r, 404, 'not-found', "GET $path is 404 $when");
    }

    for my $method (qw/ POST PUT DELETE PATCH /) {
        my $r = $t->http_request($method, '/api/v1/health',
            body => '{}', headers => { 'Content-Type' => 'application/json' });
        $t->problem_ok($r, 405, undef, "$method health is 405 $when");
        my $allow = $r->{headers}{allow} || '';
        is(join(',', sort split /\s*,\s*/, $allow), 'GET,HEAD',
            "$method health: Allow: GET, HEAD $when")
            or diag("Allow: $allow");
    }

    my $r = $t->http_raw($t->raw_request('HEAD', '/api/v1/nope'));
    is($r->{status}, 404, "HEAD unknown path is 404 $when");
    is($r->{body}, '', "HEAD 404 has no body $when");
}

subtest 'unknown paths and methods with Redis up' => sub {
    routes_ok('with Redis up');
};

subtest 'the API can be mounted at another prefix' => sub {
    my $r = $t->http_get('/lapor/health');
    is($r->{status}, 200, '/lapor/health 200');
    is(($r->{json} || {})->{status}, 'ok', 'status ok');
    $t->problem_ok($t->http_get('/lapor/nope'), 404, 'not-found',
        '/lapor/nope 404');
};

subtest 'query strings do not change the route' => sub {
    is($t->http_get('/api/v1/health?x=1&y')->{status}, 200, 'health?x=1');
};

subtest 'locations next to the API are untouched' => sub {
    my $r = $t->http_get('/static/');
    is($r->{status}, 200, 'static 200');
    is($r->{body}, 'ok', 'static body');
    is($t->http_get('/elsewhere')->{status}, 404, 'nginx 404 outside');
};

subtest 'a request body is read and discarded on error paths' => sub {
    my $body = 'x' x 100_000;
    my $r = $t->http_request('POST', '/api/v1/health', body => $body,
        headers => { 'Content-Type' => 'application/json' });
    ok($r->{status} == 405 || $r->{status} == 413,
        "large POST answered ($r->{status})");

    my $req = $t->raw_request('POST', '/api/v1/health', body => '{}')
        . "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";
    $req =~ s/Connection: close\r\n//;
    my $res = $t->http_raw($req);
    my @statuses = $res->{raw} =~ m{HTTP/1\.1 (\d\d\d) }g;
    is_deeply(\@statuses, [405, 200],
        'keep-alive: POST 405 then GET 200 on one connection');
};

subtest 'routing does not depend on Redis' => sub {
    $t->stop_redis;
    $t->wait_status('/api/v1/health', 503, 3);
    routes_ok('with Redis down');
};

$t->finish;
