#!/usr/bin/perl

# Group commit: the submissions a worker finishes in one turn of its event
# loop are written in one MULTI/EXEC, ZADDs to one key merged into one
# ZADD of all their pairs, HINCRBYs of one field into one of the sum.
# Many submissions at once over one worker: every 201 is a complete report
# in every set and counter it belongs to, nothing more is stored, and
# MONITOR shows a transaction with several reports.  A member that repeats
# an Idempotency-Key is answered from its record; one client's rate-limit
# counters of one group are one INCRBY, and the limit stays exact; with
# Redis stopped every member of a group gets 503 and nothing is stored.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    # the bursts wait for a paused Redis; slow under valgrind
    lapor_redis_timeout 30s;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /api/v1/ {
            lapor_namespace grp;
            lapor_api;
        }

        location /lim/ {
            lapor_namespace grplim;
            lapor_limit submit 20r/m burst=5;
            lapor_api;
        }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200);

my $NS = 'lapor:{grp}:';
my @CATEGORIES = qw/ infrastruktur kesehatan pendidikan transportasi /;

sub burst {
    my ($n, %headers) = @_;
    my $path = $headers{path} || '/api/v1/reports';
    my @reqs = map {
        # one body for one Idempotency-Key
        my $i = $headers{same} ? 0 : $_;
        my $doc = $t->report_doc(category => $CATEGORIES[$i % @CATEGORIES],
            title => "Laporan serentak nomor $i dari $n");
        $t->raw_request('POST', $path,
            headers => { 'Content-Type' => 'application/json',
                (ref $headers{key} ? ('Idempotency-Key' => $headers{key}[$_])
                    : ()) },
            body => $t->report_json($doc));
    } 0 .. $n - 1;
    return $t->http_parallel(\@reqs);
}

# the commands of MONITOR, each as [name, args...], until it is quiet
sub monitor_read {
    my ($mon) = @_;
    my @cmds;
    my $end = time + $t->tmo(5);
    while (time < $end) {
        my $line = eval { $mon->read_reply(0.5) };
        last if !defined $line && @cmds;
        next if !defined $line || ref $line;
        my ($c) = $line =~ /^[\d.]+ \[\d+ [^\]]+\] (.*)$/ or next;
        my @args = $c =~ /"((?:[^"\\]|\\.)*)"/g;
        next if !@args || $args[0] =~ /^(?:PING|ROLE)$/;
        push @cmds, \@args;
    }
    $mon->close;
    return @cmds;
}

# the transactions among the commands: each a list of its commands
sub transactions {
    my (@cmds) = @_;
    my (@tx, $cur);
    for my $c (@cmds) {
        if ($c->[0] eq 'MULTI') { $cur = []; next }
        if ($c->[0] eq 'EXEC') { push @tx, $cur if $cur; undef $cur; next }
        push @$cur, $c if $cur;
    }
    return @tx;
}

subtest 'many submissions at once: grouped, and each report complete' => sub {
    # Each with its own Idempotency-Key, so each waits for its claim
    # transaction; Redis paused meanwhile answers all the claims in one go,
    # and the worker finishes the 40 in one turn of its loop.
    my (@ok, $grouped);
    for my $round (1 .. 3) {
        my $mon = $t->redis_conn;
        $mon->command('MONITOR');
        $t->pause_redis($t->tmo(1));
        my @res = burst(40, key => [ map { "grp-$round-$_-" . int(rand(1e9)) }
            0 .. 39 ]);
        my @cmds = monitor_read($mon);
        is(scalar(grep { $_->{status} != 201 } @res), 0,
            "round $round: 40 times 201")
            or diag(join ' ', map { $_->{status} } @res);
        push @ok, map { $_->{json}{id} } grep { $_->{status} == 201 } @res;

        for my $tx (transactions(@cmds)) {
            my $hsets = grep { $_->[0] eq 'HSET' } @$tx;
            next unless $hsets >= 2;
            $grouped = $tx;
            last;
        }
        last if $grouped;
    }

    ok($grouped, 'a transaction with several reports') or return;
    my $reports = grep { $_->[0] eq 'HSET' } @$grouped;
    my @queue = grep { $_->[0] eq 'ZADD' && $_->[1] eq "${NS}queue:submitted" }
        @$grouped;
    is(scalar @queue, 1, "one ZADD queue:submitted for its $reports reports");
    is((scalar(@{ $queue[0] // [] }) - 2) / 2, $reports,
        'with a score and member pair per report');
    my @count = grep { $_->[0] eq 'HINCRBY' && $_->[2] eq 'status:submitted' }
        @$grouped;
    is(scalar @count, 1, 'one HINCRBY of status:submitted');
    is($count[0][3], $reports, 'by the number of reports');
    is(scalar(grep { $_->[0] eq 'XADD' } @$grouped), $reports,
        'an XADD per report (one stream entry each)');

    my %seen;
    is(scalar(grep { $seen{$_}++ } @ok), 0, 'every id once');
    my $n = scalar @ok;
    is($t->stats_hash("${NS}stats")->{submitted}, $n, "stats submitted = $n");
    is($t->redis_cmd('ZCARD', "${NS}queue:submitted"), $n,
        "queue:submitted holds $n");
    is($t->redis_cmd('ZCARD', "${NS}public:status:submitted"), $n,
        "public:status:submitted holds $n");
    is($t->redis_cmd('XLEN', "${NS}events"), $n, "$n stream entries");
    my @hashes = $t->redis_scan("${NS}report:*");
    is(scalar(grep { /:report:\d+$/ } @hashes), $n, "$n report hashes");

    my @bad;
    for my $id (@ok) {
        my %h = @{ $t->redis_cmd('HGETALL', "${NS}report:$id") };
        my $score = $t->redis_cmd('ZSCORE', "${NS}queue:submitted", $id);
        my $want = $h{created_at} * 1048576 + ($id % 1048576);
        my $in_cat = $t->redis_cmd('ZSCORE',
            "${NS}public:category:$h{category}:open", $id);
        my $in_agency = $t->redis_cmd('ZSCORE',
            "${NS}public:agency:$h{agency}", $id);
        push @bad, $id unless ($h{status} // '') eq 'submitted'
            && defined $score && $score == $want
            && defined $in_cat && $in_cat == $want
            && defined $in_agency && $in_agency == $want;
    }
    is_deeply(\@bad, [], 'each report in its queue, category and agency '
        . 'lists with its own score');
};

subtest 'the rate limit of one client: one INCRBY for the group, exact' => sub {
    # the claims answered in one go: the 40 limit transactions of this
    # client in one group, merged into one INCRBY of its counter
    # all in one minute window
    my $left = 60 - (time % 60);
    sleep($left + 0.1) if $left < $t->tmo(6);
    my $mon = $t->redis_conn;
    $mon->command('MONITOR');
    $t->pause_redis($t->tmo(1));
    my @res = burst(40, path => '/lim/reports',
        key => [ map { "lim-$_-" . int(rand(1e9)) } 0 .. 39 ]);
    my @cmds = monitor_read($mon);
    my @st = map { $_->{status} } @res;
    is(scalar(grep { $_ == 201 } @st), 25, '20r/m burst=5: 25 times 201')
        or diag("@st");
    is(scalar(grep { $_ == 429 } @st), 15, 'and 15 times 429');
    is($t->stats_hash('lapor:{grplim}:stats')->{submitted}, 25,
        '25 reports stored');

    my @incr = grep { $_->[0] =~ /^INCR(?:BY)?$/ && $_->[1] =~ /:rl:submit:/ }
        @cmds;
    my $sum = 0;
    $sum += ($_->[0] eq 'INCR' ? 1 : $_->[2]) for @incr;
    is($sum, 40, 'the counter counted all 40');
    ok(scalar(@incr) < 40, 'in fewer commands (' . scalar(@incr) . ')');
    ok(scalar(grep { $_->[0] eq 'INCRBY' && $_->[2] >= 2 } @incr),
        'an INCRBY of several requests')
        or diag(join ' | ', map { "@$_" } @incr);
    my ($key) = $t->redis_scan('lapor:{grplim}:rl:submit:*');
    is($t->redis_cmd('GET', $key // 'none'), 40, 'the counter: 40');
    my $ttl = $t->redis_cmd('PTTL', $key // 'none');
    ok($ttl > 0 && $ttl <= 61_000, "it expires ($ttl ms)");
};

subtest 'an Idempotency-Key repeated inside a burst' => sub {
    my $key = 'grp-' . int(rand(1e9));
    my @res = burst(10, key => [ ($key) x 10 ], same => 1);
    my @created = grep { $_->{status} == 201 } @res;
    my %ids = map { $_->{json}{id} => 1 } @created;
    is(scalar(keys %ids), 1, 'one report for the key')
        or diag(join ' ', map { $_->{status} } @res);
    is(scalar(grep { $_->{status} != 201 && $_->{status} != 409 } @res), 0,
        'the others: the same 201 or 409 while it is pending');
};

subtest 'Redis stopped: every member 503, nothing stored' => sub {
    my $before = $t->stats_hash("${NS}stats")->{submitted};
    $t->stop_redis;
    my @res = burst(12);
    is(scalar(grep { $_->{status} == 503 } @res), 12, '12 times 503')
        or diag(join ' ', map { $_->{status} } @res);
    $t->start_redis;
    $t->wait_status('/api/v1/health', 200);
    is($t->stats_hash("${NS}stats")->{submitted}, $before, 'nothing stored');
};

$t->check_alerts('no alerts in error.log');

$t->finish;
