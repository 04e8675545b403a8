#!/usr/bin/perl

# lapor_redis_wait on one Redis without replicas: every write transaction
# (a submission, each action, the auto-close sweep) is followed by WAIT,
# which counts 0 of 1 replicas, so each is answered 503 with Retry-After
# although it was written: the Idempotency-Key retry replays the report,
# an If-Match retry of an action gets 412, the sweep closes the report and
# says so in the log.  Reads never wait.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin',
    'pupr-1' => 'pupr-kim' });
my ($ADMIN, $PUPR) = @$TOK{qw/ admin-1 pupr-1 /};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_redis_wait 1 50ms;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_auto_close_interval 1s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location = /metrics { lapor_metrics; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, $t->tmo(10));

sub waits {
    my $s = $t->redis_cmd('INFO', 'commandstats');
    return $s =~ /^cmdstat_wait:calls=(\d+)/m ? $1 : 0;
}

sub unreplicated_ok {
    my ($r, $what) = @_;
    subtest "$what: 503, written" => sub {
        $t->problem_ok($r, 503, 'redis-unavailable', '503 redis-unavailable');
        like($r->{headers}{'retry-after'} || '', qr/^\d+$/, 'Retry-After');
    };
}

my $id;

subtest 'a submission: 503, the Idempotency-Key retry replays it' => sub {
    $t->log_mark;
    my $before = waits();
    my $doc = $t->report_doc(title => 'Lampu jalan mati di Jalan Teuku Umar');
    my %key = (headers => { 'Idempotency-Key' => 'wait-1' });
    my $r = $t->post_report($doc, %key);
    unreplicated_ok($r, 'the submission');
    is(waits() - $before, 1, 'one WAIT, after the transaction');
    like($t->log_since_mark,
        qr/a write reached 0 of 1 replicas within 50 ms, answering 503/,
        'logged');

    my $again = $t->post_report($doc, %key);
    is($again->{status}, 201, 'the retry: 201');
    is($again->{headers}{'idempotent-replayed'}, 'true', 'replayed');
    $id = $again->{json}{id};
    is($t->report_hash("${P}report:$id")->{title},
        'Lampu jalan mati di Jalan Teuku Umar', 'stored by the first');
    is(waits() - $before, 1, 'a replay is a read: no WAIT');

    is($t->http_get("/api/v1/reports/$id")->{status}, 200,
        'a read answers 200');
    is(waits() - $before, 1, 'and sends no WAIT');
};

subtest 'actions: 503, applied; the If-Match retry gets 412' => sub {
    my $before = waits();
    my $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        if_match => '"1"', body => { agency => 'pupr-kim' });
    unreplicated_ok($r, 'dispatch');
    is($t->report_hash("${P}report:$id")->{status}, 'dispatched',
        'dispatched in Redis');
    my $again = $t->report_action($id, 'dispatch', token => $ADMIN,
        if_match => '"1"', body => { agency => 'pupr-kim' });
    $t->problem_ok($again, 412, 'version-mismatch', 'the retry: 412');

    for my $step ([ 'respond', '"2"' ], [ 'follow_up', '"3"' ]) {
        my ($action, $version) = @$step;
        $r = $t->report_action($id, $action, token => $PUPR,
            if_match => $version, body => { message => "Langkah $action." });
        unreplicated_ok($r, $action);
    }
    is($t->report_hash("${P}report:$id")->{status}, 'followed_up',
        'followed up in Redis');
    is(waits() - $before, 3, 'one WAIT per action');
};

subtest 'the sweep: the report closed, the short WAIT logged' => sub {
    my $before = waits();
    $t->log_mark;

    # its auto-close time moved into the past, as time would
    my $past = int(time) - 3600;
    my $c = $t->redis_conn;
    $c->command('HSET', "${P}report:$id", 'due_at', $past);
    $c->command('ZADD', "${P}autoclose", $t->queue_score($past, $id), $id);
    $c->close;

    ok(wait_until(sub {
        $t->report_hash("${P}report:$id")->{status} eq 'closed' },
        $t->tmo(10)), 'closed by the sweep');
    ok(wait_until(sub { waits() > $before }, $t->tmo(5)),
        'the sweep waited for replicas');
    ok(wait_until(sub { $t->log_since_mark
            =~ /a write reached 0 of 1 replicas/ }, $t->tmo(5)),
        'and logged that it fell short');
};

like($t->http_get('/metrics')->{body},
    qr/^lapor_redis_unreplicated_writes_total ([5-9]|\d\d+)$/m,
    'metrics: every short WAIT counted');

$t->finish;
