#!/usr/bin/perl

# Concurrent actions on one report: of 20 parallel dispatches with the same
# If-Match exactly one succeeds and the others get 412; without If-Match,
# when all of them read the same version (Redis is held in CLIENT PAUSE
# while they arrive), exactly one succeeds and the others get 409
# concurrent-change.  Whatever the interleaving, the version, the timeline,
# the event stream and the queues agree with the number of successes, and
# the report is never in two states' queues.

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
my $N = 20;

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes' });
my ($ADMIN, $PUPR) = @$TOK{qw/ admin-1 pupr-1 /};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 30s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

sub submit {
    my $r = $t->post_report($t->report_doc);
    die "submit: $r->{status}\n" unless $r->{status} == 201;
    return $r->{json};
}

sub act_ok {
    my ($id, $action, $token, $body) = @_;
    my $r = $t->report_action($id, $action, token => $token, body => $body);
    die "$action: $r->{status} $r->{body}\n" unless $r->{status} == 200;
    return $r;
}

sub burst {
    my (@reqs) = @_;
    return $t->http_parallel(\@reqs, timeout => $t->tmo(20));
}

sub statuses {
    my %n;
    $n{$_->{status}}++ for @_;
    return join ', ', map { "$_ x$n{$_}" } sort keys %n;
}

sub timeline {
    my ($id) = @_;
    return @{$t->report_events($id, $ADMIN)->{json}{events} || []};
}

# The report is in the sorted sets of exactly one state.
sub one_state_ok {
    my ($id, $state) = @_;
    my $z = $t->report_places($NS, $id);
    my @queues = grep { /^queue:/ } keys %$z;
    is_deeply(\@queues, ["queue:$state"], "only in queue:$state")
        or diag(explain($z));
    my @inboxes = grep { /^inbox:/ } keys %$z;
    if ($state eq 'dispatched' || $state eq 'in_progress') {
        my $a = $t->report_hash("${P}report:$id")->{agency};
        is_deeply([sort @inboxes], [sort "inbox:$a", "inbox:$a:$state"],
            "only in the $a inbox");
    } else {
        is_deeply(\@inboxes, [], 'in no inbox');
    }
    return $z;
}

# Holds Redis for $s seconds (CLIENT PAUSE ALL): every command sent
# meanwhile waits, then all run one after another.
sub hold_redis {
    my ($s) = @_;
    $t->pause_redis($s);
    sleep 0.05;
}

###############################################################################

subtest "$N dispatches with If-Match \"1\": one 200, the rest 412" => sub {
    my $rep = submit();
    my $id = $rep->{id};

    my @res = burst(map {
        $t->report_action_raw($id, 'dispatch', token => $ADMIN,
            if_match => '"1"',
            body => { agency => $_ % 2 ? 'dinkes' : 'pupr-kim' })
    } 1 .. $N);

    my @ok = grep { $_->{status} == 200 } @res;
    is(scalar @ok, 1, 'exactly one 200') or diag(statuses(@res));
    my @lost = grep { $_->{status} != 200 } @res;
    is(scalar(grep { !check_problem($_, 412, 'version-mismatch') } @lost),
        scalar @lost, 'every other one: 412 version-mismatch')
        or diag(statuses(@res));

    my $won = $ok[0] && $ok[0]{json} || {};
    is($won->{version}, 2, 'the winner made version 2');

    my $h = $t->report_hash("${P}report:$id");
    is($h->{version}, 2, 'the report is at version 2');
    is($h->{status}, 'dispatched', 'dispatched');

    my @d = grep { $_->{type} eq 'dispatch' } timeline($id);
    is(scalar @d, 1, 'one dispatch in the timeline');
    is($d[0] && $d[0]{agency}, $h->{agency}, '... to the stored agency');

    my @s = grep { $_->{event} eq 'report.dispatch' }
        $t->stream_events($NS, $id);
    is(scalar @s, 1, 'one report.dispatch in the stream');

    my $stats = $t->stats_hash("${P}stats");
    is($stats->{'action:dispatch'}, 1, 'stats: one dispatch');
    is($stats->{'status:dispatched'}, 1, 'stats: one dispatched');
    is($stats->{'status:submitted'}, 0, 'stats: none submitted');

    one_state_ok($id, 'dispatched');
};

subtest "$N dispatches without If-Match on one version: one 200" => sub {
    my $rep = submit();
    my $id = $rep->{id};
    my $before = $t->stats_hash("${P}stats");

    # They all read version 1: Redis answers nothing until all are in.
    hold_redis($t->tmo(0.6));
    my @res = burst(map {
        $t->report_action_raw($id, 'dispatch', token => $ADMIN,
            body => { agency => $_ % 2 ? 'dinkes' : 'pupr-kim' })
    } 1 .. $N);

    my @ok = grep { $_->{status} == 200 } @res;
    is(scalar @ok, 1, 'exactly one 200') or diag(statuses(@res));
    my @lost = grep { $_->{status} != 200 } @res;
    is(scalar(grep { !check_problem($_, 409, 'concurrent-change') } @lost),
        scalar @lost, 'every other one: 409 concurrent-change')
        or diag(statuses(@res));

    my $h = $t->report_hash("${P}report:$id");
    is($h->{version}, 2, 'version 2');
    is(scalar(grep { $_->{type} eq 'dispatch' } timeline($id)), 1,
        'one dispatch in the timeline');
    is(scalar(grep { $_->{event} eq 'report.dispatch' }
        $t->stream_events($NS, $id)), 1, 'one in the stream');

    my $after = $t->stats_hash("${P}stats");
    is($after->{'action:dispatch'} - $before->{'action:dispatch'}, 1,
        'stats: one dispatch more');

    one_state_ok($id, 'dispatched');
};

subtest "$N dispatches without If-Match as they come: consistent" => sub {
    my $rep = submit();
    my $id = $rep->{id};

    my @res = burst(map {
        $t->report_action_raw($id, 'dispatch', token => $ADMIN,
            body => { agency => $_ % 2 ? 'dinkes' : 'pupr-kim' })
    } 1 .. $N);

    # Another dispatch of a dispatched report is legal: a late request may
    # move it again.  Every success is one version, one timeline entry, one
    # stream entry; every failure a 409 concurrent-change.
    my @ok = grep { $_->{status} == 200 } @res;
    cmp_ok(scalar @ok, '>=', 1, 'at least one 200') or diag(statuses(@res));
    note('successes: ' . scalar @ok);
    my @lost = grep { $_->{status} != 200 } @res;
    is(scalar(grep { !check_problem($_, 409, 'concurrent-change') } @lost),
        scalar @lost, 'every other one: 409 concurrent-change')
        or diag(statuses(@res));

    my @versions = sort { $a <=> $b } map { $_->{json}{version} } @ok;
    is_deeply(\@versions, [2 .. @ok + 1], 'each success its own version');

    my $h = $t->report_hash("${P}report:$id");
    is($h->{version}, @ok + 1, 'the report\'s version counts the successes');
    is(scalar(grep { $_->{type} eq 'dispatch' } timeline($id)), scalar @ok,
        'one timeline entry per success');
    is(scalar(grep { $_->{event} eq 'report.dispatch' }
        $t->stream_events($NS, $id)), scalar @ok,
        'one stream entry per success');

    my ($last) = sort { $res[$b]{json}{version} <=> $res[$a]{json}{version} }
        grep { $res[$_]{status} == 200 } 0 .. $#res;
    is($h->{agency}, ($last + 1) % 2 ? 'dinkes' : 'pupr-kim',
        'the agency of the last success');

    one_state_ok($id, 'dispatched');
};

subtest "$N responds without If-Match: one 200, the rest 409" => sub {
    my $rep = submit();
    my $id = $rep->{id};
    act_ok($id, 'dispatch', $ADMIN, { agency => 'pupr-kim' });

    my @res = burst(map {
        $t->report_action_raw($id, 'respond', token => $PUPR,
            body => { message => "Jawaban nomor $_" })
    } 1 .. $N);

    my @ok = grep { $_->{status} == 200 } @res;
    is(scalar @ok, 1, 'exactly one 200') or diag(statuses(@res));
    my @lost = grep { $_->{status} != 200 } @res;
    is(scalar(grep {
        !check_problem($_, 409, 'concurrent-change')
            || !check_problem($_, 409, 'invalid-transition')
    } @lost), scalar @lost,
        'every other one: 409 (concurrent-change or invalid-transition)')
        or diag(statuses(@res));

    my $h = $t->report_hash("${P}report:$id");
    is($h->{version}, 3, 'version 3');
    is($h->{status}, 'in_progress', 'in progress');
    my @r = grep { $_->{type} eq 'respond' } timeline($id);
    is(scalar @r, 1, 'one respond in the timeline');

    one_state_ok($id, 'in_progress');
};

subtest "dispatch, defer and archive race on version 1: one wins" => sub {
    my $rep = submit();
    my $id = $rep->{id};

    my @kinds = map { (qw/ dispatch defer archive /)[$_ % 3] } 1 .. $N;
    my %body = (dispatch => { agency => 'pupr-kim' },
        defer => { reason => 'Perlu data tambahan.' },
        archive => { reason => 'Laporan ganda.' });

    hold_redis($t->tmo(0.6));
    my @res = burst(map {
        $t->report_action_raw($id, $_, token => $ADMIN, body => $body{$_})
    } @kinds);

    my @ok = grep { $res[$_]{status} == 200 } 0 .. $#res;
    is(scalar @ok, 1, 'exactly one 200') or diag(statuses(@res));

    my $winner = @ok ? $kinds[$ok[0]] : 'none';
    my $state = { dispatch => 'dispatched', defer => 'deferred',
        archive => 'archived' }->{$winner} || 'none';

    my $h = $t->report_hash("${P}report:$id");
    is($h->{status}, $state, "the winner's state ($winner)");
    is($h->{version}, 2, 'version 2');

    my @steps = grep { $_->{type} ne 'submitted' } timeline($id);
    is_deeply([map { $_->{type} } @steps], [$winner],
        'the timeline has the winner only');

    my $z = $t->report_places($NS, $id);
    my @queues = grep { /^queue:/ } keys %$z;
    if ($state eq 'archived') {
        is_deeply(\@queues, [], 'archived: in no queue');
    } else {
        is_deeply(\@queues, ["queue:$state"], "only in queue:$state");
    }
};

subtest 'the claims expire: a later action goes through' => sub {
    my $rep = submit();
    my $id = $rep->{id};
    act_ok($id, 'dispatch', $ADMIN, { agency => 'pupr-kim' });

    my $ttl = $t->redis_cmd('PTTL', "${P}report:$id:claim:1");
    ok($ttl > 0 && $ttl <= 60000, "the claim of version 1 expires ($ttl ms)");

    my $r = $t->report_action($id, 'respond', token => $PUPR,
        body => { message => 'Sedang diperiksa.' }, if_match => '"2"');
    is($r->{status}, 200, 'the next version is free to claim');
};

$t->finish;

sub check_problem { Lapor::Test::check_problem(@_) }
