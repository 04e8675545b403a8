#!/usr/bin/perl

# Redis in trouble, as docs/api.md ("Errors") promises: a Redis at its
# maxmemory with noeviction (OOM), a Redis that cannot persist (MISCONF:
# its snapshot failed; here its directory is made immutable, so the
# snapshot cannot be written), and a Redis that answers slowly (CLIENT
# PAUSE).  Each gives a clear problem+json (503 redis-unavailable with the
# condition's title and Retry-After, or 504 redis-timeout), nothing of a
# refused submission or action is stored (every key of the namespace is
# compared before and after), and once Redis is well again the same nginx,
# without a reload, stores and changes reports again.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'faults';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin' });
my $ADMIN = $TOK->{'admin-1'};

$t->start_redis;
my $port = $t->redis_port;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace faults;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $EN = { 'Accept-Language' => 'en' };

sub submit {
    my (%o) = @_;
    return $t->post_report($t->report_doc(), headers => { %$EN,
        %{$o{headers} || {}} });
}

# Everything of the namespace, as a canonical string.
sub snapshot {
    my $c = $t->redis_contents("${P}*");
    return JSON::PP->new->canonical->encode($c);
}

# The answers a sick Redis gives: a submission, a submission with an
# Idempotency-Key, an action; all refused with the same problem, nothing
# stored.  $report is an existing submitted report.
sub refused {
    my ($what, $report, $status, $type, $title) = @_;
    my $before = snapshot();

    my @res = (
        [ 'POST reports', submit() ],
        [ 'POST reports with Idempotency-Key',
          submit(headers => { 'Idempotency-Key' => "fault-$what" }) ],
        [ 'dispatch', $t->report_action($report, 'dispatch',
            token => $ADMIN, body => { agency => 'pupr-kim' },
            headers => $EN) ],
    );

    for my $r (@res) {
        my ($name, $res) = @$r;
        is($res->{status}, $status, "$what: $name: $status");
        like($res->{headers}{'content-type'} || '',
            qr{^application/problem\+json}, "$what: $name: problem+json");
        is($res->{json}{type}, "urn:lapor:problem:$type",
            "$what: $name: $type");
        is($res->{json}{title}, $title, "$what: $name: title '$title'")
            if defined $title;
        ok(($res->{headers}{'retry-after'} || '') =~ /^\d+$/,
            "$what: $name: Retry-After");
        unlike($res->{body}, qr/OOM|MISCONF|maxmemory|snapshot/i,
            "$what: $name: the Redis error text is not in the answer");
    }

    is(snapshot(), $before, "$what: nothing was stored");
}

# The same nginx stores and changes reports again.
sub recovered {
    my ($what) = @_;
    my $ok = wait_until(sub { submit()->{status} == 201 }, 10, 0.2);
    ok($ok, "$what: a submission is stored again, without a reload");
    my $r = submit();
    is($r->{status}, 201, "$what: and the next");
    my $a = $t->report_action($r->{json}{id}, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($a->{status}, 200, "$what: an action changes a report again");
    my $v = $t->report_view($r->{json}{id}, $ADMIN);
    is($v->{json}{status}, 'dispatched', "$what: the change is stored");
}

my $first = submit();
is($first->{status}, 201, 'a report before the faults')
    or diag($first->{body});
my $ID = $first->{json}{id};

###############################################################################
# OOM: maxmemory reached, noeviction (the shipped policy).

{
    my $used = $t->redis_cmd('INFO', 'memory') =~ /^used_memory:(\d+)/m
        ? $1 : die "no used_memory\n";
    is($t->redis_cmd('CONFIG', 'GET', 'maxmemory-policy')->[1],
        'noeviction', 'OOM: the policy is noeviction');
    $t->redis_cmd('CONFIG', 'SET', 'maxmemory', $used - 1024);

    refused('OOM', $ID, 503, 'redis-unavailable', 'Redis is out of memory');

    # reads need no memory
    my $v = $t->report_view($ID);
    is($v->{status}, 200, 'OOM: a report is still read');
    is($t->http_get('/api/v1/health')->{status}, 200, 'OOM: health 200');

    $t->redis_cmd('CONFIG', 'SET', 'maxmemory', 0);
    recovered('after OOM');
}

###############################################################################
# MISCONF: the last snapshot failed (stop-writes-on-bgsave-error, as
# shipped).  Redis runs as root here, so permissions do not stop it: the
# directory is made immutable (chattr +i), which stops root too.

my $IMMUTABLE;

# never leave an immutable directory behind, also when the file dies
END { system('chattr', '-i', $IMMUTABLE) if $IMMUTABLE }

SKIP: {
    my $dir = $t->testdir . "/redis-$port";
    skip 'MISCONF needs chattr +i (root, a file system with attributes)', 1
        unless $> == 0 && system('chattr', '+i', $dir) == 0;
    $IMMUTABLE = $dir;

    my $saved = $t->redis_cmd('LASTSAVE');
    $t->redis_cmd('BGSAVE');
    my $failed = wait_until(sub {
        $t->redis_cmd('INFO', 'persistence') =~ /^rdb_last_bgsave_status:err/m
    }, 10, 0.1);

    unless ($failed) {
        system('chattr', '-i', $dir);
        undef $IMMUTABLE;
        skip 'the snapshot did not fail', 1;
    }

    refused('MISCONF', $ID, 503, 'redis-unavailable',
        'Redis cannot persist writes');
    is($t->report_view($ID)->{status}, 200, 'MISCONF: a report is read');

    system('chattr', '-i', $dir) == 0 or die "chattr -i $dir failed\n";
    undef $IMMUTABLE;
    $t->redis_cmd('BGSAVE');
    ok(wait_until(sub {
        $t->redis_cmd('INFO', 'persistence')
            =~ /^rdb_last_bgsave_status:ok/m
            && $t->redis_cmd('INFO', 'persistence')
            =~ /^rdb_bgsave_in_progress:0/m
    }, 10, 0.1), 'MISCONF: a snapshot succeeds again');
    recovered('after MISCONF');
}

###############################################################################
# A slow Redis: paused for longer than lapor_redis_timeout (1 s).

{
    my $before = snapshot();
    $t->pause_redis(2.5);
    my $r = submit();
    is($r->{status}, 504, 'slow: a submission waits no longer than the '
        . 'timeout: 504');
    is($r->{json}{type}, 'urn:lapor:problem:redis-timeout',
        'slow: redis-timeout');
    like($r->{headers}{'content-type'} || '', qr{^application/problem\+json},
        'slow: problem+json');
    is($r->{headers}{'retry-after'}, 1, 'slow: Retry-After: 1');
    cmp_ok($r->{elapsed}, '<', $t->tmo(2.2), 'slow: answered within the '
        . 'timeout');
    $t->wait_redis(10);

    # a submission that timed out is either stored whole or not at all,
    # never in part: the report, its index entries and its event go
    # together (MULTI/EXEC)
    my $after = $t->redis_contents("${P}*");
    my @reports = grep { /^\Q${P}\Ereport:\d+$/ } keys %$after;
    my $old = JSON::PP->new->decode($before);
    my @new = grep { !exists $old->{$_} } @reports;
    for my $key (@new) {
        my %h = @{$after->{$key}};
        ok(defined $h{state} || defined $h{status},
            "slow: $key, stored after the pause, is whole");
    }
    ok(@new <= 1, 'slow: at most the one timed-out submission was stored');

    recovered('after the pause');
}

$t->finish;
