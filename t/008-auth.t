#!/usr/bin/perl

# Logging in to Redis: password, ACL user and database.  A wrong password
# or user makes health 503 and logs an [error] that never shows the
# password.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $SECRET = 'Rahasia-s3cret';
my $WRONG = 'Salah-wr0ng-pw';
my $LAPOR = $t->acl_password('lapor');

# The shipped redis.conf and users.acl: nginx logs in as "lapor".  The
# wrong passwords and users tried below are failed logins in its ACL LOG;
# the test reads that log itself and resets it (see the end).
$t->start_redis;

# A looser Redis: the other form of password=, the password of the stock
# "default" user (requirepass), which the shipped ACL switches off.
$t->start_redis(name => 'plain', acl => 0, password => $SECRET);

sub with_options {
    my ($redis, $options) = @_;
    my $port = $t->redis_port($redis);
    $t->stop_nginx;
    $t->write_conf(<<"EOF");
    lapor_redis 127.0.0.1:$port $options;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
    $t->start_nginx;
    $t->log_mark;
}

sub nginx_clients {
    my ($redis) = @_;
    return $t->redis_clients(name => $redis || 'redis');
}

subtest 'password=... authenticates as the default user' => sub {
    with_options('plain', "password=$SECRET");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients('plain');
    is(scalar @c, 1, 'one connection');
    is($c[0]{user}, 'default', 'as the default user') if @c;
};

subtest 'user=lapor password=... authenticates as the shipped ACL user' => sub {
    with_options('redis', "user=lapor password=$LAPOR");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    is(scalar @c, 1, 'one connection');
    is($c[0]{user}, 'lapor', 'as user lapor') if @c;
};

subtest 'db=N selects the database' => sub {
    with_options('redis', "db=3 user=lapor password=$LAPOR");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    is($c[0]{db}, 3, 'connection uses db 3') if @c;
};

subtest 'db out of range: 503' => sub {
    with_options('redis', "db=99 user=lapor password=$LAPOR");
    my $r = $t->http_get('/api/v1/health');
    $t->problem_ok($r, 503, 'redis-unavailable', 'health 503');
    ok($t->wait_log(qr/\[error\]/, 3), 'an [error] is logged');
};

for my $case (
    [ 'wrong password', 'redis', "user=lapor password=$WRONG" ],
    [ 'wrong password of the default user', 'plain', "password=$WRONG" ],
    [ 'no password', 'redis', '' ],
    [ 'wrong user', 'redis', "user=nobody-here password=$LAPOR" ],
)
{
    my ($name, $redis, $options) = @$case;

    subtest "$name: 503 and a log line without the password" => sub {
        with_options($redis, $options);

        ok($t->wait_log(qr/\[error\]/, 3), 'an [error] is logged');
        my $r = $t->http_get('/api/v1/health');
        $t->problem_ok($r, 503, 'redis-unavailable', 'health 503');
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/, 'Retry-After');
        unlike($r->{body}, qr/\Q$WRONG\E|\Q$SECRET\E|\Q$LAPOR\E/,
            'no password in the answer');

        my @errors = grep { /\[error\]/ } split /\n/, $t->log_since_mark;
        note($errors[0]) if @errors;
        ok(!(grep { /\Q$WRONG\E|\Q$SECRET\E|\Q$LAPOR\E/ } @errors),
            'no password in the error log');
        unlike($t->error_log, qr/\Q$WRONG\E|\Q$SECRET\E|\Q$LAPOR\E/,
            'no password anywhere in error.log');

        ok(wait_until(sub { nginx_clients($redis) == 0 }, 1),
            'no connection stays open');
    };
}

$t->stop_nginx;
unlike($t->error_log, qr/\Q$WRONG\E|\Q$SECRET\E|\Q$LAPOR\E/,
    'no password in error.log after shutdown');

subtest 'ACL LOG of the shipped ACL: the failed logins, nothing else' => sub {
    my @log = $t->acl_log;
    ok(scalar @log, 'failed logins logged');
    my @other = grep { $_->{reason} ne 'auth' } @log;
    ok(!@other, 'no denied command or key')
        or diag(join "\n", map { Lapor::Test::acl_log_text($_) } @other);
    my %users = map { $_->{username} => 1 } @log;
    is_deeply([ sort keys %users ], [ 'lapor', 'nobody-here' ],
        'as lapor and as nobody-here');
    is($t->redis_cmd('ACL', 'LOG', 'RESET'), 'OK', 'ACL LOG RESET');
};

$t->finish;
