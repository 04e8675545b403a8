#!/usr/bin/perl

# Configuration: `nginx -t` accepts the documented forms of every directive
# and rejects bad ones with a message that names the directive.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

# Builds an http{} body from the lapor directives and an API location.
sub conf {
    my ($directives, %o) = @_;
    my $location = exists $o{location} ? $o{location} : 'lapor_api;';
    return <<"EOF";
    $directives
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { $location }
    }
EOF
}

my $redis = 'lapor_redis %%REDIS%%;';

sub accepts {
    my ($http, $name) = @_;
    my ($rc, $out) = $t->nginx_t($http);
    ok($rc == 0, "accepted: $name") or diag($out);
}

# $what: the directive the message must name, or qr// of the message
sub rejects {
    my ($http, $what, $name) = @_;
    my ($rc, $out) = $t->nginx_t($http);
    my $ok = ok($rc != 0 && (ref $what ? $out =~ /\[emerg\] $what/
            : $out =~ /\[emerg\]/ && $out =~ /\Q$what\E/),
        ref $what ? "rejected: $name" : "rejected naming $what: $name");
    diag("rc=$rc\n$out") unless $ok;
}

subtest 'lapor_redis accepts every documented address form' => sub {
    accepts(conf($redis), 'IPv4 with port');
    accepts(conf('lapor_redis 127.0.0.1;'), 'IPv4 without port');
    accepts(conf('lapor_redis [::1]:6379;'), 'IPv6 in brackets');
    accepts(conf('lapor_redis localhost:6379;'), 'hostname resolved');
    accepts(conf('lapor_redis unix:/tmp/x.sock;'), 'unix socket');
    accepts(conf("lapor_redis 127.0.0.1:6379 db=15 user=lapor "
        . "password=secret;"), 'db, user and password');
    accepts(conf('lapor_redis 127.0.0.1:6379 "password=a b;c";'),
        'quoted password with space and semicolon');
    accepts(conf('lapor_redis 127.0.0.1:6379 db=0;'), 'db=0');
};

subtest 'lapor_redis rejects bad addresses and options' => sub {
    rejects(conf('lapor_redis 127.0.0.1:99999;'), 'lapor_redis',
        'port out of range');
    rejects(conf('lapor_redis 127.0.0.1:0;'), 'lapor_redis', 'port 0');
    rejects(conf('lapor_redis nonexistent.invalid:6379;'), 'lapor_redis',
        'unresolvable host');
    rejects(conf('lapor_redis unix:;'), 'lapor_redis', 'empty unix path');
    rejects(conf('lapor_redis 127.0.0.1:6379 db=x;'), 'lapor_redis',
        'db not a number');
    rejects(conf('lapor_redis 127.0.0.1:6379 db=-1;'), 'lapor_redis',
        'negative db');
    rejects(conf('lapor_redis 127.0.0.1:6379 foo=1;'), 'lapor_redis',
        'unknown option');
    rejects(conf('lapor_redis 127.0.0.1:6379 password=;'), 'lapor_redis',
        'empty password');
    rejects(conf("$redis\n    lapor_redis 127.0.0.1:6380;"), 'lapor_redis',
        'given twice');
    rejects(conf('lapor_redis;'), 'lapor_redis', 'no address');
};

subtest 'lapor_redis is an http-level directive' => sub {
    rejects(<<'EOF', 'lapor_redis', 'in server');
    server {
        listen 127.0.0.1:%%PORT%%;
        lapor_redis 127.0.0.1:6379;
        location /api/v1/ { lapor_api; }
    }
EOF
};

subtest 'timeouts accept nginx time values and reject bad ones' => sub {
    accepts(conf("$redis\n    lapor_redis_timeout 500ms;\n"
        . "    lapor_redis_connect_timeout 2s;"), 'ms and s');
    accepts(conf("$redis\n    lapor_redis_timeout 1m;"), 'minutes');

    for my $d (qw/ lapor_redis_timeout lapor_redis_connect_timeout /) {
        rejects(conf("$redis\n    $d abc;"), $d, "$d abc");
        rejects(conf("$redis\n    $d 0;"), $d, "$d 0");
        rejects(conf("$redis\n    $d 0s;"), $d, "$d 0s");
        rejects(conf("$redis\n    $d -1s;"), $d, "$d -1s");
    }
};

subtest 'lapor_namespace charset and length' => sub {
    accepts(conf("$redis\n    lapor_namespace bali;"), 'bali');
    accepts(conf("$redis\n    lapor_namespace a-b_c9;"), 'a-b_c9');
    accepts(conf("$redis\n    lapor_namespace " . ('n' x 64) . ';'),
        '64 characters');
    accepts(conf($redis, location => 'lapor_namespace denpasar; lapor_api;'),
        'in a location');
    accepts(<<"EOF", 'in a server');
    $redis
    server {
        listen 127.0.0.1:%%PORT%%;
        lapor_namespace badung;
        location /api/v1/ { lapor_api; }
    }
EOF

    rejects(conf("$redis\n    lapor_namespace Bali;"), 'lapor_namespace',
        'upper case');
    rejects(conf("$redis\n    lapor_namespace \"a b\";"), 'lapor_namespace',
        'space');
    rejects(conf("$redis\n    lapor_namespace \"a{b}\";"), 'lapor_namespace',
        'hash tag braces');
    rejects(conf("$redis\n    lapor_namespace a:b;"), 'lapor_namespace',
        'colon');
    rejects(conf("$redis\n    lapor_namespace \"\";"), 'lapor_namespace',
        'empty');
    rejects(conf("$redis\n    lapor_namespace " . ('n' x 65) . ';'),
        'lapor_namespace', '65 characters');
};

subtest 'lapor_api needs lapor_redis and takes no arguments' => sub {
    rejects(conf(''), 'lapor_redis', 'lapor_api without lapor_redis');
    rejects(conf($redis, location => 'lapor_api on;'), 'lapor_api',
        'with an argument');
    rejects(<<"EOF", 'lapor_api', 'in server context');
    $redis
    server {
        listen 127.0.0.1:%%PORT%%;
        lapor_api;
    }
EOF
};

subtest 'lapor_metrics: a location directive without arguments' => sub {
    accepts(<<'EOF', 'lapor_metrics in a location, without lapor_redis');
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /metrics { lapor_metrics; }
    }
EOF
    accepts(conf($redis) . <<'EOF', 'next to lapor_api');
    server {
        listen 127.0.0.1:%%PORT_m%%;
        location = /metrics { lapor_metrics; }
    }
EOF
    rejects(<<'EOF', 'lapor_metrics', 'with an argument');
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /metrics { lapor_metrics on; }
    }
EOF
    rejects(<<'EOF', 'lapor_metrics', 'in server context');
    server {
        listen 127.0.0.1:%%PORT%%;
        lapor_metrics;
    }
EOF
};

subtest 'a parameter or directive given twice, or where it means nothing' => sub {
    rejects(conf('lapor_redis 127.0.0.1:6379 db=1 db=2;'),
        qr/duplicate "db" in "lapor_redis"/, 'db= twice');
    rejects(conf('lapor_redis cluster=127.0.0.1:7000,127.0.0.1:7001 '
        . 'db=1 db=0;'), qr/duplicate "db" in "lapor_redis"/,
        'db= twice with cluster=, the last 0');
    rejects(conf('lapor_redis cluster=127.0.0.1:7000 db=0;'),
        qr/"lapor_redis" with cluster= cannot have db=/,
        'db=0 with cluster=');
    rejects(conf("$redis\n    lapor_limit submit 10r/m burst=1 burst=2;"),
        qr/duplicate "burst" in "lapor_limit"/, 'burst= twice');
    rejects(conf("$redis\n    lapor_limit read 10r/m "
        . 'key=$binary_remote_addr key=$remote_user;'),
        qr/duplicate "key" in "lapor_limit"/, 'key= twice');
    accepts(conf("$redis\n    lapor_limit submit 10r/m burst=1 "
        . 'key=$binary_remote_addr;'), 'burst= and key= once each');

    # one content handler per location: the later directive took it over
    # and the other was gone without a word
    rejects(conf($redis, location => 'lapor_api; lapor_metrics;'),
        qr/"lapor_metrics" directive cannot be combined with "lapor_api" or "lapor_open311" in one location/,
        'lapor_metrics after lapor_api');
    rejects(conf($redis, location => 'lapor_metrics; lapor_api;'),
        qr/"lapor_api" directive cannot be combined with "lapor_metrics" in one location/,
        'lapor_api after lapor_metrics');
    rejects(conf($redis, location => 'lapor_metrics; lapor_open311;'),
        qr/"lapor_open311" directive cannot be combined with "lapor_metrics" in one location/,
        'lapor_open311 after lapor_metrics');
    rejects(conf($redis, location => 'lapor_open311; lapor_metrics;'),
        qr/"lapor_metrics" directive cannot be combined/,
        'lapor_metrics after lapor_open311');
    rejects(conf($redis, location => 'lapor_metrics; lapor_metrics;'),
        qr/"lapor_metrics" directive is duplicate/, 'lapor_metrics twice');

    # the message names the directive the configuration has
    rejects(conf('', location => 'lapor_open311;'),
        qr/"lapor_open311" requires "lapor_redis" in the http block/,
        'lapor_open311 without lapor_redis');
    rejects(conf(''), qr/"lapor_api" requires "lapor_redis"/,
        'lapor_api without lapor_redis');

    rejects(conf("lapor_redis_wait 1 100ms;", location => ''),
        qr/"lapor_redis_wait" requires "lapor_redis" in the http block/,
        'lapor_redis_wait without lapor_redis');
    accepts(conf("lapor_redis_wait off;", location => ''),
        'lapor_redis_wait off without lapor_redis');

    # a sentinel has no default port: 6379 is Redis's, not a sentinel's
    rejects(conf('lapor_redis sentinel=127.0.0.1 master=m;'),
        qr/invalid sentinel address "127.0.0.1" in "lapor_redis": host:port expected/,
        'a sentinel without a port');
    rejects(conf('lapor_redis sentinel=127.0.0.1:26379,[::1] master=m;'),
        qr/invalid sentinel address "\[::1\]" in "lapor_redis": host:port expected/,
        'an IPv6 sentinel without a port');
    rejects(conf('lapor_redis sentinel= master=m;'),
        qr/invalid sentinel address "" in "lapor_redis": host:port expected/,
        'an empty sentinel list');
    accepts(conf('lapor_redis sentinel=127.0.0.1:26379,[::1]:26379 '
        . 'master=m;'), 'sentinels with their ports');
    accepts(conf('lapor_redis cluster=127.0.0.1,127.0.0.1:7001;'),
        'a cluster node without a port: 6379, as documented');
};

subtest 'the module loads with no lapor directive at all' => sub {
    accepts(<<'EOF', 'no lapor directive');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { return 200 "ok"; }
    }
EOF
};

$t->finish;
