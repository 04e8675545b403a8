#!/usr/bin/perl

# GET stats "agencies": the officers' dashboard figures per agency of the
# catalog.  "open" and "overdue" from the agency's live inbox (ZCARD,
# ZCOUNT of lapor:{NS}:inbox:<agency>), "first_responses" and
# "first_response_p50_seconds" from the counters
# lapor:{NS}:stats:response:YYYY-MM (month of the answer, catalog time
# zone), written in the transaction of a report's first agency answer.
# Checked through dispatches, a late deadline, answers after known delays,
# a follow-up, a second answer that does not count again, a hand-back, a
# counter changed by hand and a report hash deleted (the figures come from
# counters and inboxes, never from reports).  docs/statistics.md defines
# the figures.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $API = '/api/v1';

my $TOK = $t->officer_tokens({
    'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim',
    'dinkes.petugas' => 'dinkes',
});
my $ADMIN = $TOK->{'admin-bali'};
my $PUPR = $TOK->{'pupr.petugas'};
my $DINKES = $TOK->{'dinkes.petugas'};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location /other/v1/ { lapor_namespace other; lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status("$API/health", 200, 10);

my $DAY = 86400;
my ($MONTH) = $t->catalog_time(int time) =~ /^(\d{4}-\d\d)/;
my @AGENCIES = map { $_->{code} }
    @{$t->http_get("$API/catalog")->{json}{agencies}};

sub agencies {
    my ($prefix) = @_;
    my $r = $t->http_get(($prefix || $API) . '/stats');
    is($r->{status}, 200, 'GET stats 200') or diag($r->{body});
    return $r->{json}{agencies};
}

sub of {
    my ($a, $code) = @_;
    my ($x) = grep { $_->{agency} eq $code } @{$a->{by_agency}};
    return $x;
}

sub row {
    my ($code, %n) = @_;
    return { agency => $code, open => $n{open} || 0,
        overdue => $n{overdue} || 0,
        first_responses => $n{first_responses} || 0,
        first_response_p50_seconds => $n{p50} };
}

sub submit {
    my (%doc) = @_;
    my $r = $t->post_report($t->report_doc(%doc));
    is($r->{status}, 201, 'submitted') or BAIL_OUT($r->{body});
    return $r->{json}{id};
}

sub act {
    my ($id, $action, $token, $body) = @_;
    my $r = $t->report_action($id, $action, token => $token, body => $body);
    is($r->{status}, 200, "report $id: $action") or diag($r->{body});
    return $r;
}

sub hset {
    my ($id, %f) = @_;
    my $r = $t->redis_cmd('HSET', "${P}report:$id", %f);
    die "HSET: $r\n" if is_redis_error($r);
}

# A follow-up deadline in the past: the hash and every deadline index
# that holds the report (score = due_at * 2^20 + (id & 0xFFFFF)).
sub set_due {
    my ($id, $agency, $state, $due) = @_;
    hset($id, due_at => $due);
    for my $key ("deadlines:$state", "inbox:$agency",
        "inbox:$agency:$state")
    {
        my $r = $t->redis_cmd('ZADD', "$P$key",
            $t->queue_score($due, $id), $id);
        die "ZADD: $r\n" if is_redis_error($r);
    }
}

subtest 'no reports: every agency of the catalog, zeros' => sub {
    my $a = agencies();
    is($a->{month}, $MONTH, 'month: this month in the catalog time zone');
    is_deeply([map { $_->{agency} } @{$a->{by_agency}}], \@AGENCIES,
        'every agency, in the catalog order');
    is_deeply($a->{by_agency}, [map { row($_) } @AGENCIES], 'all zero');
};

my ($R1, $R2, $R3, $R4);

subtest 'dispatches fill the inboxes; a passed deadline is overdue' => sub {
    $R1 = submit();
    $R2 = submit();
    $R3 = submit(category => 'kesehatan');
    $R4 = submit();
    act($R1, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    act($R2, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    act($R3, 'dispatch', $ADMIN, { agency => 'dinkes' });

    my $a = agencies();
    is_deeply(of($a, 'pupr-kim'), row('pupr-kim', open => 2), 'pupr-kim');
    is_deeply(of($a, 'dinkes'), row('dinkes', open => 1), 'dinkes');
    is_deeply(of($a, 'dishub'), row('dishub'), 'dishub: nothing');

    set_due($R2, 'pupr-kim', 'dispatched', int(time) - 60);
    is_deeply(of(agencies(), 'pupr-kim'), row('pupr-kim', open => 2,
        overdue => 1), 'pupr-kim: one of two overdue');

    set_due($R2, 'pupr-kim', 'dispatched', int(time) + 3600);
    is(of(agencies(), 'pupr-kim')->{overdue}, 0, 'a future deadline: 0');
    set_due($R2, 'pupr-kim', 'dispatched', int(time) - 60);
    is(of(agencies(), 'pupr-kim')->{overdue}, 1, 'past again: 1');

    my $q = $t->http_get("$API/queue?overdue=1",
        headers => { Authorization => "Bearer $PUPR" });
    is_deeply([map { $_->{id} } @{$q->{json}{items}}], [$R2],
        'the same report as the agency\'s overdue inbox');
};

subtest 'first answers: counted once, by the agency, in the month' => sub {
    # R1 answered three days after its dispatch: the 259200 bucket.
    hset($R1, dispatched_at => int(time) - 3 * $DAY + 600);
    act($R1, 'respond', $PUPR, { message => 'Tim kami meninjau lokasi.' });
    # R3 answered at once (follow_up is no answer before respond here:
    # respond first, then follow_up, which must not count again).
    act($R3, 'respond', $DINKES, { message => 'Sedang kami periksa.' });
    act($R3, 'follow_up', $DINKES, { message => 'Sudah ditangani.' });

    my $a = agencies();
    is_deeply(of($a, 'pupr-kim'), row('pupr-kim', open => 2, overdue => 1,
        first_responses => 1, p50 => 259200),
        'pupr-kim: in progress stays open, p50 three days');
    is_deeply(of($a, 'dinkes'), row('dinkes', first_responses => 1,
        p50 => 3600), 'dinkes: followed up leaves the inbox, p50 an hour');

    is_deeply($t->redis_hash("${P}stats:response:$MONTH"),
        { 'pupr-kim:le:259200' => 1, 'dinkes:le:3600' => 1 },
        "the counters in stats:response:$MONTH");

    # a follow-up as the first answer counts too
    act($R4, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    hset($R4, dispatched_at => int(time) - 7200);
    $t->report_action($R4, 'respond', token => $PUPR,
        body => { message => 'x' x 5 });
    act($R4, 'follow_up', $PUPR, { message => 'Selesai diperbaiki.' });
    $a = agencies();
    is_deeply(of($a, 'pupr-kim'), row('pupr-kim', open => 2, overdue => 1,
        first_responses => 2, p50 => 14400),
        'pupr-kim: two answers, p50 the upper bound of the first half');
};

subtest 'a hand-back leaves the inbox; answers stay counted' => sub {
    act($R2, 'not_authority', $PUPR,
        { reason => 'Bukan kewenangan dinas kami.' });
    is_deeply(of(agencies(), 'pupr-kim'), row('pupr-kim', open => 1,
        first_responses => 2, p50 => 14400), 'pupr-kim after the hand-back');
};

subtest 'figures come from the counters and the inboxes' => sub {
    my $before = agencies();
    $t->redis_cmd('DEL', "${P}report:$R1");
    is_deeply(agencies(), $before, 'a report hash deleted: the same');

    $t->redis_cmd('HINCRBY', "${P}stats:response:$MONTH",
        'dishub:le:864000', 3);
    is_deeply(of(agencies(), 'dishub'), row('dishub', first_responses => 3,
        p50 => 864000), 'a counter changed by hand shows at once');

    is_deeply(agencies('/other/v1')->{by_agency},
        [map { row($_) } @AGENCIES], 'another namespace: zeros');
};

subtest 'without Redis: 503, not zeros' => sub {
    $t->stop_redis;
    my $r = $t->http_get("$API/stats");
    is($r->{status}, 503, 'GET stats answers 503');
    ok(!exists(($r->{json} || {})->{agencies}), 'no figures');
};

$t->finish;
