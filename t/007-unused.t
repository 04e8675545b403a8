#!/usr/bin/perl

# The module loaded but not used: nginx runs as without it, no worker opens
# a Redis connection (not even to a default 127.0.0.1:6379), nothing is
# logged, and reload and stop are clean.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET;
use Test::More;
use Time::HiRes qw/ sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

# Something listening on the default Redis port would see a connection
# made to a built-in default.  Only if the port is free on this machine.
my $default = IO::Socket::INET->new(LocalAddr => '127.0.0.1:6379',
    Proto => 'tcp', Listen => 1, ReuseAddr => 1);
my $watch_default = defined $default;
if ($watch_default) {
    close $default;
    $t->fake_redis(name => 'default', port => 6379);
}

$t->start_redis;

$t->write_conf(<<'EOF', worker_processes => 2);
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { return 200 "ok"; }
    }
EOF
$t->start_nginx;
$t->log_mark;

subtest 'nginx serves as without the module' => sub {
    my %seen;
    $seen{$t->http_get("/x$_")->{status}}++ for 1 .. 10;
    is_deeply(\%seen, { 200 => 10 }, 'ten requests, all 200');
};

subtest 'no Redis connection is opened' => sub {
    sleep 0.5 * $t->scale;
    my @clients = $t->redis_clients;
    is(scalar @clients, 0, 'no client on the test Redis');

  SKIP: {
        skip '127.0.0.1:6379 is in use on this machine', 1
            unless $watch_default;
        unlike($t->fake_log('default'), qr/^accept/m,
            'nothing connected to 127.0.0.1:6379');
    }
};

subtest 'reload and stop are clean' => sub {
  SKIP: {
        skip 'valgrind mode: reload needs master_process on', 1
            if $t->valgrind;
        my @old = $t->reload;
        ok($t->wait_pids_gone(5, @old), 'old workers exit after reload');
    }
    is($t->http_get('/')->{status}, 200, 'serving after reload');
    ok($t->stop_nginx, 'stopped');
};

subtest 'nothing about Redis in the log' => sub {
    my @lines = grep { /\[(?:error|warn)\]|redis/i }
        split /\n/, $t->log_since_mark;
    ok(!@lines, 'no error, warning or Redis line') or diag(join "\n", @lines);
};

$t->finish;
