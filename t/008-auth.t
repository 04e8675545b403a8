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

$t->start_redis(password => $SECRET);
is($t->redis_cmd('ACL', 'SETUSER', 'lapor', 'on', ">lapor-pw-9", '~lapor:*',
    '+@all'), 'OK', 'ACL user lapor created');

sub with_options {
    my ($options) = @_;
    $t->stop_nginx;
    $t->write_conf(<<"EOF");
    lapor_redis 127.0.0.1:%%REDIS_PORT%% $options;
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
    return grep { ($_->{cmd} || '') ne 'debug' } $t->redis_clients;
}

subtest 'password=... authenticates' => sub {
    with_options("password=$SECRET");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    is(scalar @c, 1, 'one connection');
    is($c[0]{user}, 'default', 'as the default user') if @c;
};

subtest 'user=... password=... authenticates as an ACL user' => sub {
    with_options('user=lapor password=lapor-pw-9');
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    is($c[0]{user}, 'lapor', 'as user lapor') if @c;
};

subtest 'db=N selects the database' => sub {
    with_options("db=3 password=$SECRET");
    my $r = $t->wait_status('/api/v1/health', 200, 5);
    is($r->{status}, 200, 'health 200');
    my @c = nginx_clients();
    is($c[0]{db}, 3, 'connection uses db 3') if @c;
};

subtest 'db out of range: 503' => sub {
    with_options("db=99 password=$SECRET");
    my $r = $t->http_get('/api/v1/health');
    $t->problem_ok($r, 503, 'redis-unavailable', 'health 503');
    ok($t->wait_log(qr/\[error\]/, 3), 'an [error] is logged');
};

for my $case (
    [ 'wrong password', "password=$WRONG" ],
    [ 'no password', '' ],
    [ 'wrong user', "user=nobody-here password=$SECRET" ],
)
{
    my ($name, $options) = @$case;

    subtest "$name: 503 and a log line without the password" => sub {
        with_options($options);

        ok($t->wait_log(qr/\[error\]/, 3), 'an [error] is logged');
        my $r = $t->http_get('/api/v1/health');
        $t->problem_ok($r, 503, 'redis-unavailable', 'health 503');
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/, 'Retry-After');
        unlike($r->{body}, qr/\Q$WRONG\E|\Q$SECRET\E/,
            'no password in the answer');

        my @errors = grep { /\[error\]/ } split /\n/, $t->log_since_mark;
        note($errors[0]) if @errors;
        ok(!(grep { /\Q$WRONG\E|\Q$SECRET\E/ } @errors),
            'no password in the error log');
        unlike($t->error_log, qr/\Q$WRONG\E|\Q$SECRET\E/,
            'no password anywhere in error.log');

        ok(wait_until(sub { nginx_clients() == 0 }, 1),
            'no connection stays open');
    };
}

$t->stop_nginx;
unlike($t->error_log, qr/\Q$WRONG\E|\Q$SECRET\E/,
    'no password in error.log after shutdown');

$t->finish;
