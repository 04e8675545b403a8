#!/usr/bin/perl

# The other address forms of lapor_redis, end to end: a Unix-domain socket
# (reached by workers running as an unprivileged user) and a host name
# resolved when the configuration is loaded.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $sock = $t->testdir . '/redis.sock';
# a Unix socket too (a path the harness may set: the rest is as shipped)
$t->start_redis(args => [ '--unixsocket', $sock, '--unixsocketperm', '777' ]);

sub with_address {
    my ($address) = @_;
    $t->stop_nginx;
    $t->write_conf(<<"EOF");
    lapor_redis $address %%REDIS_LOGIN%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
    $t->start_nginx;
}

sub nginx_clients {
    return grep { ($_->{cmd} || '') ne 'debug' } $t->redis_clients;
}

subtest 'unix:/path reaches Redis over its socket' => sub {
    with_address("unix:$sock");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    is(($r->{json} || {})->{redis}{state}, 'ready', 'state ready');
    my @c = nginx_clients();
    is(scalar @c, 1, 'one connection');
    like($c[0]{addr} || '', qr{sock|^/|^unix|^:0$|^$},
        "it is the Unix socket (addr '" . ($c[0]{addr} || '') . "')") if @c;
};

subtest 'a host name is resolved and used' => sub {
    with_address('localhost:' . $t->redis_port);
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    like($c[0]{addr} || '', qr/^127\.0\.0\.1:/, 'over TCP to 127.0.0.1')
        if @c;
};

subtest 'default namespace is "default"' => sub {
    my $r = $t->http_get('/api/v1/health');
    is(($r->{json} || {})->{namespace}, 'default', 'namespace default');
};

subtest 'a Unix socket that does not exist: 503, then 200 when it does' => sub {
    my $missing = $t->testdir . '/later.sock';
    with_address("unix:$missing");
    my $r = $t->http_get('/api/v1/health');
    $t->problem_ok($r, 503, 'redis-unavailable', 'health 503');

    $t->start_redis(name => 'later',
        args => [ '--unixsocket', $missing, '--unixsocketperm', '777' ]);
    $r = $t->wait_status('/api/v1/health', 200, 8);
    is($r->{status}, 200, 'health 200 once the socket exists');
};

$t->finish;
