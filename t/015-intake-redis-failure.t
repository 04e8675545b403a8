#!/usr/bin/perl

# Report intake when Redis fails: stopped (503 + Retry-After, nothing
# stored), paused past lapor_redis_timeout (504/503), and killed with
# SIGKILL while 20 submissions are in flight.  Redis runs with the shipped
# settings but one: "appendfsync always" instead of "everysec".  With
# everysec, Redis may answer before its AOF write while an fsync is still
# running (redis.conf accepts losing about a second of writes), and a
# SIGKILL then loses a report that got its 201; with always, a restart on
# the same port and directory keeps everything it acknowledged.
#
# The invariant: a 201 is sent only after Redis acknowledged the whole
# write, so every id answered with 201 exists, complete, after the restart.
# The converse is weaker and accepted: when EXEC ran but its reply was lost
# (Redis killed or the connection timed out right after), a report can
# exist whose client got a 5xx.  Such a report must still be complete
# (MULTI/EXEC), and there are never more of them than 5xx answers.
#
# A SIGKILL during Redis's write(2) of a transaction leaves its beginning
# in the AOF.  Redis is restarted as the systemd drop-in of redis/README.md
# starts it: lapor-aof-check --fix first (redis.conf has aof-load-truncated
# no).  Before that, with "yes", a restart kept such a beginning, and the
# next one ran it with the next transaction: once, a report without its
# statistics (34 reports, "submitted" 33).  t/065-ops-aof-check.t makes
# such files on purpose.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Select;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'fail';
my $P = "lapor:{$NS}:";

$t->start_redis(conf => [ appendfsync => 'always' ]);
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace fail;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

###############################################################################

my %sent;       # title => { status, id } of every POST this file made
my $seq = 0;

# A raw POST of a valid report with a unique title; remembered in %sent.
sub post_req {
    my ($key) = @_;
    my $title = sprintf 'Laporan uji kegagalan Redis nomor %05d', ++$seq;
    $sent{$title} = { status => undef };
    my $body = $t->report_json($t->report_doc(title => $title));
    return ($title, $t->raw_request('POST', '/api/v1/reports',
        headers => { 'Content-Type' => 'application/json',
            (defined $key ? ('Idempotency-Key' => $key) : ()) },
        body => $body));
}

sub record {
    my ($title, $r) = @_;
    $sent{$title}{status} = $r->{status};
    $sent{$title}{id} = $r->{json}{id} if $r->{status} == 201;
    return $r;
}

sub post_one {
    my ($title, $req) = post_req(@_);
    return record($title, $t->http_raw($req));
}

sub report_ids {
    return sort { $a <=> $b }
        map { /:report:(\d+)$/ ? $1 : () } $t->redis_scan("${P}report:*");
}

# What a complete report has: the hash and its queue entries (its timeline
# follows from the hash until the first action: no list).
sub incomplete {
    my ($id) = @_;
    my $h = $t->report_hash("${P}report:$id");
    my @e;
    for my $f (qw/ id type category agency title body status created_at
        due_at token_sha256 reporter /)
    {
        push @e, "no $f" unless defined $h->{$f};
    }
    push @e, 'a timeline list'
        unless $t->redis_cmd('EXISTS', "${P}report:$id:events") == 0;
    push @e, 'not in queue:submitted'
        unless defined $t->redis_cmd('ZSCORE', "${P}queue:submitted", $id);
    push @e, 'not in deadlines:submitted'
        unless defined $t->redis_cmd('ZSCORE', "${P}deadlines:submitted",
            $id);
    return @e ? "report $id: @e" : ();
}

# The invariants over everything this file sent so far.
sub check_store {
    my ($name) = @_;

    my @ids = report_ids();
    my %title_of = map {
        $_ => $t->redis_cmd('HGET', "${P}report:$_", 'title') // ''
    } @ids;
    my %stored;
    push @{$stored{$title_of{$_}}}, $_ for @ids;

    my (@lost, @wrong, @twice, @extra_ok, @extra_bad, @broken);
    for my $title (sort keys %sent) {
        my $s = $sent{$title};
        my @where = @{$stored{$title} || []};
        push @twice, $title if @where > 1;
        if (defined $s->{status} && $s->{status} == 201) {
            push @lost, "$title (id $s->{id})" unless @where;
            push @wrong, "$title: 201 id $s->{id}, stored as @where"
                if @where && $where[0] != $s->{id};
        } elsif (@where) {
            if (defined $s->{status} && $s->{status} >= 500) {
                push @extra_ok, $title;
            } else {
                push @extra_bad, "$title (status "
                    . ($s->{status} // 'none') . ')';
            }
        }
    }
    push @broken, incomplete($_) for @ids;

    subtest "store invariants: $name" => sub {
        is_deeply(\@lost, [], 'every 201 id exists');
        is_deeply(\@wrong, [], 'every 201 id holds the report it answered');
        is_deeply(\@twice, [], 'no report was stored twice');
        is_deeply(\@extra_bad, [],
            'no report without its 201, except after a 5xx');
        is_deeply(\@broken, [], 'every stored report is complete');
        is($t->stats_hash("${P}stats")->{submitted} // 0, scalar @ids,
            'stats submitted = number of reports');
        note(scalar(@extra_ok) . ' report(s) stored although the client '
            . 'got a 5xx (EXEC applied, reply lost): acceptable');
    };
}

sub wait_ready {
    my $r = $t->wait_status('/api/v1/health', 200, 15);
    is($r->{status}, 200, 'the worker is ready again');
}

sub restart_redis {
    $t->start_redis;
}

###############################################################################

subtest 'Redis stopped between requests: 503 with Retry-After, no report' => sub {
    is(post_one()->{status}, 201, 'a report while Redis is up');
    my @before = report_ids();
    my $seq_before = $t->redis_cmd('GET', "${P}seq:report");

    $t->stop_redis;
    my $h = $t->wait_status('/api/v1/health', 503, 5);
    is($h->{status}, 503, 'the worker noticed');

    for my $i (1 .. 3) {
        my $r = post_one();
        $t->problem_ok($r, 503, 'redis-unavailable', "POST $i: 503");
        like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/,
            "POST $i: Retry-After");
        cmp_ok($r->{elapsed}, '<', $t->tmo(1), "POST $i: answered at once");
    }
    my $r = post_one('kunci-saat-mati');
    $t->problem_ok($r, 503, 'redis-unavailable', 'with an Idempotency-Key');

    restart_redis();
    wait_ready();

    is_deeply([report_ids()], \@before, 'no report was added');
    is($t->redis_cmd('GET', "${P}seq:report"), $seq_before,
        'the AOF kept the sequence, and no id was drawn');

    $r = post_one('kunci-saat-mati');
    is($r->{status}, 201, 'the same Idempotency-Key afterwards: a new 201');
    ok(!$r->{headers}{'idempotent-replayed'}, 'not a replay');

    check_store('after the stop');
};

subtest 'Redis paused past lapor_redis_timeout: 504/503, then ready' => sub {
    my @batch;
    push @batch, [ post_req() ] for 1 .. 5;
    my @socks = map { $t->http_start($_->[1]) } @batch;

    my $c = $t->redis_conn;
    is($c->command('CLIENT', 'PAUSE', 3000, 'ALL'), 'OK',
        'CLIENT PAUSE 3000 ALL');
    my $paused = time;
    $c->close;

    my @during;
    for my $round (1, 2) {
        for (1 .. 5) {
            my ($title, $req) = post_req();
            push @during, $title;
            push @batch, [ $title, $req ];
            push @socks, $t->http_start($req);
        }
        sleep 0.5;
    }

    my @res = map { $t->http_end($_, timeout => $t->tmo(10)) } @socks;
    record($batch[$_][0], $res[$_]) for 0 .. $#res;

    my %seen;
    $seen{$_->{status}}++ for @res;
    note('answers: ' . join ', ', map { "$_ x$seen{$_}" } sort keys %seen);

    my @odd = grep { !($_->{status} == 201 || $_->{status} == 503
        || $_->{status} == 504) } @res;
    is(scalar @odd, 0, 'every answer is 201, 503 or 504')
        or diag(join "\n", map { "$_->{status} $_->{body}" } @odd);

    my %during = map { $_ => 1 } @during;
    my @late = grep { $during{$batch[$_][0]} } 0 .. $#res;
    my @fail = grep { $res[$_]{status} >= 500 } @late;
    is(scalar @fail, scalar @late, 'every POST sent during the pause: 5xx');
    my @errors = map {
        my $r = $res[$_];
        my $type = $r->{status} == 504 ? 'redis-timeout'
            : 'redis-unavailable';
        my @e = Lapor::Test::check_problem($r, $r->{status}, $type);
        push @e, 'no Retry-After' unless $r->{headers}{'retry-after'};
        @e ? "$r->{status}: @e" : ();
    } @fail;
    is_deeply(\@errors, [], 'as problems with Retry-After');
    my @slow = grep { $res[$_]{elapsed} > $t->tmo(1) + 1 } @late;
    is(scalar @slow, 0, 'each within lapor_redis_timeout, not the pause')
        or diag(join ', ', map { sprintf '%.2fs', $res[$_]{elapsed} }
            @slow);

    sleep(3.2 - (time - $paused)) if time - $paused < 3.2;
    wait_ready();
    is(post_one()->{status}, 201, 'a report after the pause: 201');

    check_store('after the pause');
};

subtest 'Redis killed with 20 submissions in flight: every 201 survives' => sub {
    my %total;

    for my $round (1 .. 3) {
        $t->collect_acl_log;    # the KILL below loses what ACL LOG holds
        my @batch = map { [ post_req() ] } 1 .. 20;
        my @socks = map { $t->http_start($_->[1]) } @batch;

        if ($round == 2) {
            # after the first answer is on its way
            IO::Select->new(@socks)->can_read($t->tmo(5));
        } elsif ($round == 3) {
            sleep 0.005;
        }
        $t->stop_redis(signal => 'KILL');

        my @res = map { $t->http_end($_, timeout => $t->tmo(10)) } @socks;
        record($batch[$_][0], $res[$_]) for 0 .. $#res;

        my %seen;
        $seen{$_->{status}}++ for @res;
        $total{$_} += $seen{$_} for keys %seen;
        note("round $round: "
            . join ', ', map { "$_ x$seen{$_}" } sort keys %seen);

        my @odd = grep { $_->{status} != 201
            && !($_->{status} >= 502 && $_->{status} <= 504) } @res;
        is(scalar @odd, 0, "round $round: every answer is 201 or 502..504")
            or diag(join "\n", map { "'$_->{status}' $_->{body}" } @odd);

        restart_redis();
        wait_ready();
        check_store("SIGKILL round $round");
    }

    note('all rounds: ' . join ', ',
        map { "$_ x$total{$_}" } sort keys %total);
    is(post_one()->{status}, 201, 'a report after the restarts: 201');
};

check_store('at the end');

$t->finish;
