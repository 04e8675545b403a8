#!/usr/bin/perl

# Deadlines and the auto-close sweep.  due_at of every stage in working days
# (weekends and the catalog's holidays skipped, end of day +08:00, category
# overrides); the overdue queue and "overdue" in views, with deadlines moved
# into the past in Redis; a followed-up report past its auto-close time
# reads as closed before any sweep (lapor_auto_close_interval 3600s); the
# sweep (1s) closes exactly the due reports, once each; and two nginx
# processes sweeping the same Redis at the same time (their lock deleted
# again and again) still close each report exactly once.

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

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes', 'bpbd-1' => 'bpbd',
    'inspektorat-1' => 'inspektorat' });
my ($ADMIN, $PUPR, $DINKES) = @$TOK{qw/ admin-1 pupr-1 dinkes-1 /};
my %AGENCY_TOKEN = ('pupr-kim' => $PUPR, dinkes => $DINKES,
    bpbd => $TOK->{'bpbd-1'}, inspektorat => $TOK->{'inspektorat-1'});

my $CONF = <<'EOF';
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_auto_close_interval %%INTERVAL%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF

sub start {
    my ($h, $interval, $conf) = @_;
    (my $text = $conf || $CONF) =~ s/%%INTERVAL%%/$interval/;
    $h->write_conf($text);
    $h->start_nginx;
    $h->wait_status('/api/v1/health', 200, 10);
}

$t->start_redis;
start($t, '3600s');

my $TIME = qr/^\d{4}-\d\d-\d\dT23:59:59\+08:00$/;

# A report of a category, moved along a path of actions.
sub report {
    my ($category, @path) = @_;
    my $r = $t->post_report($t->report_doc(category => $category));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    my $rep = { id => $r->{json}{id}, track => $r->{json}{tracking_token},
        answer => $r->{json}, category => $category };

    for my $step (@path) {
        my ($action, $agency) = split /:/, $step;
        my ($token, $body);
        if ($action eq 'dispatch') {
            ($token, $body) = ($ADMIN, { agency => $agency });
            $rep->{agency} = $agency;
        } elsif ($action eq 'defer') {
            ($token, $body) = ($ADMIN, { reason => 'Perlu data tambahan.' });
        } else {
            ($token, $body) = ($AGENCY_TOKEN{$rep->{agency}},
                { message => "Langkah $action." });
        }
        my $a = $t->report_action($rep->{id}, $action, token => $token,
            body => $body);
        die "$action: $a->{status} $a->{body}\n" unless $a->{status} == 200;
        $rep->{answer} = $a->{json};
    }

    $rep->{hash} = $t->report_hash("${P}report:$rep->{id}");
    return $rep;
}

sub followed_up {
    my ($category, $agency) = @_;
    return report($category || 'infrastruktur',
        'dispatch:' . ($agency || 'pupr-kim'), 'respond', 'follow_up');
}

# Moves a report's deadline to $when in the hash and in every sorted set
# that orders it by deadline, as an operator (or time) would.
sub move_deadline {
    my ($rep, $when) = @_;
    my $id = $rep->{id};
    my $c = $t->redis_conn;
    my $z = $t->report_zsets($NS, $id);

    $c->command('MULTI');
    $c->command('HSET', "${P}report:$id", 'due_at', $when);
    for my $key (grep { /^(?:deadlines:\w+|autoclose|inbox:.*)$/ }
        keys %$z)
    {
        $c->command('ZADD', "$P$key", $t->queue_score($when, $id), $id);
    }
    my $r = $c->command('EXEC');
    $c->close;
    die "move_deadline: $r\n" unless ref $r eq 'ARRAY';
    return scalar grep { /^(?:deadlines:\w+|autoclose|inbox:.*)$/ } keys %$z;
}

# The reports moved past their auto-close time before the sweep runs.
my @MOVED;

# Long enough for two more sweeps (every 1 s, a tenth more at random).
my $SETTLE = $t->valgrind ? 4 : 2.3;

sub ids { [map { $_->{id} } @{($_[0]{json} || {})->{items} || []}] }

###############################################################################

subtest 'submitted: dispatch within 3 working days (catalog overrides)' => sub {
    for my $c (qw/ infrastruktur kesehatan perempuan-anak bencana /) {
        my $rep = report($c);
        my $days = $t->catalog_sla($c, 'dispatch_days');
        my $due = $t->catalog_due($rep->{hash}{created_at}, $days);

        is($rep->{answer}{due_at}, $t->catalog_time($due),
            "$c: $days working day" . ($days == 1 ? q{} : q{s})
            . " after the day of submission");
        like($rep->{answer}{due_at}, $TIME, "$c: the end of a day, +08:00");
        is($rep->{hash}{due_at}, $due, "$c: due_at in Redis");
        is($t->report_view($rep->{id}, undef)->{json}{due_at},
            $t->catalog_time($due), "$c: due_at in the public view");
        is($t->report_places($NS, $rep->{id})->{'deadlines:submitted'},
            $t->queue_score($due, $rep->{id}), "$c: in the deadline index");
    }
};

subtest 'dispatched and in progress: follow-up days of the category' => sub {
    for my $c (['kesehatan', 'dinkes'], ['infrastruktur', 'pupr-kim'],
        ['bencana', 'bpbd'], ['korupsi-pungli', 'inspektorat'])
    {
        my ($cat, $agency) = @$c;
        my $days = $t->catalog_sla($cat, 'follow_up_days');
        my $rep = report($cat, "dispatch:$agency");
        my $due = $t->catalog_due($rep->{hash}{entered_at}, $days);

        is($rep->{answer}{due_at}, $t->catalog_time($due),
            "$cat: follow-up $days working days after the dispatch");
        like($rep->{answer}{due_at}, $TIME, "$cat: end of a day");
        is($rep->{hash}{due_at}, $due, "$cat: due_at in Redis");

        my $z = $t->report_zsets($NS, $rep->{id});
        my $score = $t->queue_score($due, $rep->{id});
        is_deeply([@$z{'deadlines:dispatched', "inbox:$agency",
            "inbox:$agency:dispatched"}], [$score, $score, $score],
            "$cat: the inbox and the deadline index by this deadline");

        my $r = $t->report_action($rep->{id}, 'respond',
            token => $AGENCY_TOKEN{$agency}, body => { message => 'Kami '
                . 'tangani.' });
        is($r->{json}{due_at}, $t->catalog_time($due),
            "$cat: respond keeps the follow-up deadline of the dispatch");
        is($t->report_hash("${P}report:$rep->{id}")->{due_at}, $due,
            "$cat: in Redis too");
    }

    is($t->catalog_sla('kesehatan', 'follow_up_days'), 3,
        'kesehatan has 3 follow-up days');
};

subtest 'followed up: auto-close after 10 working days; deferred: none' => sub {
    my $rep = followed_up('kesehatan', 'dinkes');
    my $days = $t->catalog_sla('kesehatan', 'auto_close_days');
    is($days, 10, 'the catalog says 10');
    my $due = $t->catalog_due($rep->{hash}{followed_up_at}, $days);

    is($rep->{answer}{due_at}, $t->catalog_time($due),
        'due_at: 10 working days after the follow-up');
    is_deeply($t->report_places($NS, $rep->{id}), {
            'queue:followed_up' => $t->queue_score($rep->{hash}{entered_at},
                $rep->{id}),
            autoclose => $t->queue_score($due, $rep->{id}) },
        'in the auto-close index by that time, in no deadline index');

    my $v = $t->report_view($rep->{id}, $rep->{track})->{json};
    is($v->{due_at}, $t->catalog_time($due), 'the reporter sees it');
    is($v->{status}, 'followed_up', 'followed up');

    my $d = report('infrastruktur', 'defer');
    is($d->{answer}{due_at}, undef, 'deferred: no deadline');
    is($d->{hash}{due_at}, 0, 'deferred: due_at 0 in Redis');
    ok(!grep({ /^deadlines/ } keys %{$t->report_places($NS, $d->{id})}),
        'deferred: in no deadline index');
};

subtest 'the overdue queue and "overdue" in views' => sub {
    # a namespace of its own: only this subtest's reports are in it
    my $now = time;

    my $s = report('infrastruktur');
    my $d = report('kesehatan', 'dispatch:dinkes');
    my $i = report('infrastruktur', 'dispatch:pupr-kim', 'respond');
    my $ok1 = report('infrastruktur');
    my $ok2 = report('kesehatan', 'dispatch:dinkes');

    is(move_deadline($s, int($now) - 7200), 1, 'submitted: 2 hours late');
    is(move_deadline($d, int($now) - 3600), 3, 'dispatched: 1 hour late');
    is(move_deadline($i, int($now) - 1800), 3, 'in progress: 30 min late');

    my $late = ids($t->queue_get($ADMIN, 'overdue=1&limit=100'));
    my @mine = grep { my $x = $_; grep { $x == $_->{id} }
        $s, $d, $i, $ok1, $ok2 } @$late;
    is_deeply(\@mine, [$s->{id}, $d->{id}, $i->{id}],
        'overdue=1: the late ones, most overdue first');

    my $r = $t->queue_get($ADMIN, 'overdue=1&limit=100');
    my %item = map { $_->{id} => $_ } @{$r->{json}{items}};
    is($item{$s->{id}}{overdue}, JSON::PP::true, 'items say overdue');
    is($item{$s->{id}}{due_at}, $t->catalog_time(int($now) - 7200),
        'with the due_at from Redis');

    # paging by the keyset cursor
    my (@paged, $cursor);
    for (1 .. 10) {
        $r = $t->queue_get($ADMIN, 'overdue=1&limit=1'
            . (defined $cursor ? "&cursor=$cursor" : ''));
        push @paged, @{ids($r)};
        $cursor = $r->{json}{next_cursor};
        last unless defined $cursor;
    }
    is_deeply(\@paged, $late, 'a page at a time: the same list');

    is_deeply(ids($t->queue_get($ADMIN, 'overdue=1&status=submitted')),
        [$s->{id}], 'overdue=1&status=submitted: the late submitted one only');

    $r = $t->queue_get($ADMIN, 'overdue=1&status=dispatched');
    if ($r->{status} == 200) {
        is_deeply(ids($r), [$d->{id}],
            'overdue=1&status=dispatched: the late dispatched one');
    } else {
        $t->problem_ok($r, 400, 'invalid-query',
            'overdue=1&status=dispatched: refused with 400');
    }

    is_deeply(ids($t->queue_get($ADMIN, 'overdue=1&agency=dinkes')),
        [$d->{id}], 'admin, overdue=1&agency=dinkes');
    is_deeply(ids($t->queue_get($ADMIN, 'overdue=1&agency=pupr-kim')),
        [$i->{id}], 'admin, overdue=1&agency=pupr-kim');
    is_deeply(ids($t->queue_get($ADMIN,
        'overdue=1&agency=pupr-kim&status=in_progress')),
        [$i->{id}], '... &status=in_progress');
    is_deeply(ids($t->queue_get($ADMIN,
        'overdue=1&agency=pupr-kim&status=dispatched')),
        [], '... &status=dispatched: none');
    is_deeply(ids($t->queue_get($DINKES, 'overdue=1')), [$d->{id}],
        'dinkes: its own late report');
    is_deeply(ids($t->queue_get($PUPR, 'overdue=1')), [$i->{id}],
        'pupr-kim: its own late report');

    my %five = map { $_->{id} => 1 } $s, $d, $i, $ok1, $ok2;
    is_deeply([grep { $five{$_} } @{ids($t->queue_get($DINKES,
        'limit=100'))}], [$d->{id}, $ok2->{id}],
        'the dinkes inbox by deadline: the late one first');

    for my $v ([$s, undef, 'public'], [$s, $ADMIN, 'admin'],
        [$d, $DINKES, 'agency'], [$i, $i->{track}, 'reporter'])
    {
        my ($rep, $token, $who) = @$v;
        my $j = $t->report_view($rep->{id}, $token)->{json};
        is($j->{overdue}, JSON::PP::true, "$who view: overdue");
    }
    for my $rep ($ok1, $ok2) {
        is($t->report_view($rep->{id}, undef)->{json}{overdue},
            JSON::PP::false, 'a report in time: not overdue');
    }

    # in time again
    move_deadline($_, int($now) + 86400) for $s, $d, $i;
    is_deeply(ids($t->queue_get($ADMIN, 'overdue=1')), [],
        'deadlines in the future: nothing overdue');
};

subtest 'no union of the deadline sets: each clocked state its own, '
    . 'read together' => sub {
    my $DL = qr/^\Q$P\Edeadlines(?::|$)/;
    my %rep;

    # what a submission and every step write about deadlines
    my @cmds = $t->redis_monitor(sub {
        $rep{s} = report('infrastruktur');
        $rep{d} = report('kesehatan', 'dispatch:dinkes');
        $rep{f} = report('infrastruktur', 'dispatch:pupr-kim', 'respond',
            'follow_up');
    });
    my %written;
    for my $c (grep { $_->[0] =~ /^Z(?:ADD|REM)$/ && $_->[1] =~ $DL } @cmds) {
        $written{$c->[0]}{substr $c->[1], length $P} = 1;
    }
    is_deeply(\%written, {
            ZADD => { map { ("deadlines:$_" => 1) }
                qw/ submitted dispatched in_progress / },
            ZREM => { map { ("deadlines:$_" => 1) }
                qw/ submitted dispatched in_progress / } },
        'submit, dispatch, respond, follow up: ZADD and ZREM of '
        . 'deadlines:<state> only, never of "deadlines"')
        or diag(explain(\%written));
    is($t->redis_cmd('EXISTS', "${P}deadlines"), 0, 'no "deadlines" key');

    # two of them late: the overdue queue and its count read the three sets
    my $now = int(time);
    is(move_deadline($rep{s}, $now - 600), 1, 'submitted: 10 minutes late');
    is(move_deadline($rep{d}, $now - 300), 3, 'dispatched: 5 minutes late');

    my ($list, $stats);
    @cmds = $t->redis_monitor(sub {
        $list = $t->queue_get($ADMIN, 'overdue=1&limit=100');
        $stats = $t->http_get('/api/v1/stats');
    });
    my @late = @{ids($list)};
    is_deeply([grep { $_ == $rep{s}{id} || $_ == $rep{d}{id} } @late],
        [$rep{s}{id}, $rep{d}{id}], 'overdue=1: both, most overdue first');
    ok(@late < 100, scalar(@late) . ' overdue in all');
    is($stats->{json}{queues}{overdue}, scalar @late,
        'GET stats: overdue counts the same reports');

    my %read;
    for my $c (grep { grep { $_ =~ $DL } @$_[1 .. $#$_] } @cmds) {
        $read{$c->[0]}{substr $c->[1], length $P}++;
    }
    is_deeply(\%read, {
            ZRANGE => { map { ("deadlines:$_" => 1) }
                qw/ submitted dispatched in_progress / },
            ZCOUNT => { map { ("deadlines:$_" => 1) }
                qw/ submitted dispatched in_progress / } },
        'read: one ZRANGE (the queue) and one ZCOUNT (stats) of each '
        . 'deadlines:<state>, nothing of "deadlines"')
        or diag(explain(\%read));

    move_deadline($_, $now + 86400) for $rep{s}, $rep{d};
};

subtest 'past its auto-close time a report reads as closed before any '
    . 'sweep' => sub {
    my $rep = followed_up();
    my $id = $rep->{id};
    my $past = int(time) - 60;

    is(move_deadline($rep, $past), 1, 'auto-close time moved into the past');

    for my $v ([undef, 'public'], [$rep->{track}, 'reporter'],
        [$ADMIN, 'admin'], [$PUPR, 'agency'])
    {
        my ($token, $who) = @$v;
        my $j = $t->report_view($id, $token)->{json};
        is($j->{status}, 'closed', "$who view: closed");
        is($j->{due_at}, undef, "$who view: no due_at");
        is($j->{overdue}, JSON::PP::false, "$who view: not overdue");
    }

    my $h = $t->report_hash("${P}report:$id");
    is($h->{status}, 'followed_up', 'Redis still says followed_up: no '
        . 'sweep ran (interval 3600s)');
    ok(!grep({ $_->{type} eq 'auto_close' }
        @{$t->report_events($id, $ADMIN)->{json}{events}}),
        'no auto_close in the timeline yet');

    push @MOVED, $rep;
};

subtest 'a report that reads as closed takes no more steps' => sub {
    for my $try (['comments', 'reporter', { message => 'Masih rusak.' }],
        ['feedback', 'reporter', { rating => 3, resolved => 'no' }],
        ['clarify', 'agency', { message => 'Klarifikasi tambahan.' }],
        ['clarify', 'admin', { message => 'Klarifikasi admin.' }])
    {
        my ($action, $who, $body) = @$try;
        my $rep = followed_up();
        my $id = $rep->{id};
        move_deadline($rep, int(time) - 60);
        push @MOVED, $rep;
        my $token = { reporter => $rep->{track}, agency => $PUPR,
            admin => $ADMIN }->{$who};
        is($t->report_view($id, $token)->{json}{status}, 'closed',
            "the $who is told report $id is closed");

        my $r = $t->report_action($id, $action, token => $token,
            body => $body);
        if ($r->{status} == 200) {
            fail("$who $action on a report closed by time: 409");
            diag("got 200: $r->{body}");
        } else {
            $t->problem_ok($r, 409, 'invalid-transition',
                "$who $action on a report closed by time: 409");
        }

        my $h = $t->report_hash("${P}report:$id");
        is($h->{version}, $rep->{hash}{version}, '... nothing written');
        is($t->report_view($id, undef)->{json}{status}, 'closed',
            '... it still reads as closed');
    }
};

###############################################################################
# The sweep, every second.

$t->stop_nginx;

# What is due now, as it is before the first sweep.
my @CARRY = grep { $_->{hash}{status} eq 'followed_up' }
    map { { %$_, hash => $t->report_hash("${P}report:$_->{id}") } } @MOVED;
my $STATS0 = $t->stats_hash("${P}stats");
my $T0 = int time;

start($t, '1s');

subtest 'the sweep closes what is due, exactly once' => sub {
    ok(@CARRY, scalar(@CARRY) . ' reports already due when it starts');
    my @due = map { followed_up() } 1 .. 3;
    my @later = (followed_up(), followed_up('kesehatan', 'dinkes'));

    my $before = { %$STATS0 };
    for my $rep (@due, @later) {
        # what these add before any of them is closed
        $before->{'status:followed_up'}++;
    }
    move_deadline($_, int(time) - 5) for @due;

    my @all = (@CARRY, @due);
    my $closed = wait_until(sub {
        !grep { $t->report_hash("${P}report:$_->{id}")->{status} ne 'closed' }
            @all
    }, $t->tmo(8), 0.1);
    ok($closed, 'the due reports were closed by the sweep');

    # two more intervals: nothing is closed twice
    sleep $SETTLE;

    my $after = $t->stats_hash("${P}stats");
    is($after->{'action:auto_close'} - ($before->{'action:auto_close'} // 0),
        scalar @all, 'stats: one auto_close per report');
    is($after->{'status:closed'} - ($before->{'status:closed'} // 0),
        scalar @all, 'stats: that many more closed');
    is(($before->{'status:followed_up'} // 0)
        - $after->{'status:followed_up'}, scalar @all,
        'stats: that many less followed up');

    for my $rep (@all) {
        my $id = $rep->{id};
        my $h = $t->report_hash("${P}report:$id");
        is($h->{status}, 'closed', "report $id closed");
        is($h->{version}, $rep->{hash}{version} + 1, "report $id: one more "
            . 'version');
        ok($h->{closed_at} >= $T0, "report $id: closed_at of now");
        is($h->{due_at}, 0, "report $id: no deadline");
        is_deeply($t->report_places($NS, $id), {}, "report $id: in no "
            . 'queue or index');

        my @ac = grep { $_->{type} eq 'auto_close' }
            @{$t->report_events($id, undef)->{json}{events}};
        is(scalar @ac, 1, "report $id: one auto_close in the timeline");
        is_deeply([map { @$_{qw/ actor from status /} } @ac],
            ['system', 'followed_up', 'closed'],
            "report $id: by the system, followed_up to closed");

        my @s = grep { $_->{event} eq 'report.auto_close' }
            $t->stream_events($NS, $id);
        is(scalar @s, 1, "report $id: one report.auto_close in the stream");
        is($s[0] && $s[0]{actor}, 'system', "report $id: actor system");

        my $v = $t->report_view($id, undef)->{json};
        is($v->{status}, 'closed', "report $id: the view says closed");
    }

    for my $rep (@later) {
        my $id = $rep->{id};
        my $h = $t->report_hash("${P}report:$id");
        is($h->{status}, 'followed_up', "report $id, not due: followed up");
        is($h->{version}, $rep->{hash}{version}, "report $id: unchanged");
        ok(exists $t->report_places($NS, $id)->{autoclose},
            "report $id: still in the auto-close index");
    }

    like($t->error_log, qr/auto-closed \d+ followed-up report/,
        'the sweep logs how many it closed');
};

subtest 'the sweep drops a damaged report from its index, and says so' => sub {
    my $rep = followed_up();
    my $id = $rep->{id};
    move_deadline($rep, int(time) - 5);
    $t->log_mark;
    # a category no longer in the catalog: the report cannot be read
    $t->redis_cmd('HSET', "${P}report:$id", 'category', 'tidak-ada');

    ok($t->wait_log(qr/lapor: auto-close drops damaged report $id of "bali" from its index/, 8),
        'logged as documented');
    ok(wait_until(sub { !defined $t->redis_cmd('ZSCORE', "${P}autoclose",
        $id) }, $t->tmo(5), 0.1), 'out of the auto-close index');
    is($t->report_hash("${P}report:$id")->{status}, 'followed_up',
        'the report itself is left as it is');
    $t->redis_cmd('HSET', "${P}report:$id", 'category', 'infrastruktur');
};

###############################################################################
# Two nginx processes, one Redis.

my $t2 = Lapor::Test->new;
$t2->port('http');
my $conf2 = $CONF;
my $rport = $t->redis_port;
my $dir = $t->testdir;
$conf2 =~ s/%%REDIS%%/127.0.0.1:$rport %%REDIS_LOGIN%%/;
$conf2 =~ s/%%TESTDIR%%/$dir/;
$conf2 = "    lapor_identity_key $dir/identity.key;\n$conf2";
start($t2, '1s', $conf2);

subtest 'two nginx processes sweeping together close each report once' => sub {
    my @reps = map { followed_up() } 1 .. 20;
    my %rep = map { $_->{id} => 1 } @reps;
    my $before = $t->stats_hash("${P}stats");

    isnt($t2->nginx_pid, $t->nginx_pid, 'two nginx processes');
    is($t2->report_view($reps[0]{id}, $ADMIN)->{json}{status},
        'followed_up', 'the second one serves the same namespace');

    # What Redis is asked, and by whom, while the sweeps run.
    my $monitor = "$dir/monitor.log";
    my $mon = fork();
    die "fork: $!\n" unless defined $mon;
    if ($mon == 0) {
        my $c = $t->redis_conn(timeout => 60);
        $c->send('MONITOR');
        open my $out, '>', $monitor or POSIX::_exit(1);
        $out->autoflush(1);
        my $end = time + $t->tmo(30);
        while (time < $end && !-e "$dir/monitor.stop") {
            my $line = eval { $c->read_reply(0.2) };
            print $out "$line\n" if defined $line && !ref $line;
        }
        POSIX::_exit(0);
    }
    wait_until(sub { -s $monitor }, 5);

    # Both sweep at once: their lock is deleted as soon as it is taken,
    # and Redis is slowed (CLIENT PAUSE 20 ms, again and again) so that a
    # sweep of 20 reports outlasts the interval.
    my $slow = fork();
    die "fork: $!\n" unless defined $slow;
    if ($slow == 0) {
        my $c = $t->redis_conn(timeout => 10);
        my $end = time + $t->tmo(15);
        while (time < $end && !-e "$dir/slow.stop") {
            $c->command('DEL', "${P}sweep:lock");
            $c->command('CLIENT', 'PAUSE', 20, 'ALL');
        }
        POSIX::_exit(0);
    }

    my $c = $t->redis_conn;
    $c->command('MULTI');
    my $past = int(time) - 5;
    for my $rep (@reps) {
        $c->command('HSET', "${P}report:$rep->{id}", 'due_at', $past);
        $c->command('ZADD', "${P}autoclose",
            $t->queue_score($past, $rep->{id}), $rep->{id});
    }
    $c->command('EXEC');
    $c->close;

    my $closed = wait_until(sub {
        !grep { $t->report_hash("${P}report:$_->{id}")->{status} ne 'closed' }
            @reps
    }, $t->tmo(15), 0.1);
    ok($closed, 'all 20 were closed');

    $t->write_file('slow.stop', '');
    waitpid($slow, 0);
    sleep $SETTLE;
    $t->write_file('monitor.stop', '');
    waitpid($mon, 0);

    my $after = $t->stats_hash("${P}stats");
    is($after->{'action:auto_close'} - $before->{'action:auto_close'}, 20,
        'stats: 20 auto_close');
    is($after->{'status:closed'} - $before->{'status:closed'}, 20,
        'stats: 20 more closed');

    my ($once, $versions, $streamed) = (0, 0, 0);
    for my $rep (@reps) {
        my $id = $rep->{id};
        my @ac = grep { $_->{type} eq 'auto_close' }
            @{$t->report_events($id, $ADMIN)->{json}{events}};
        $once++ if @ac == 1;
        $versions++ if $t->report_hash("${P}report:$id")->{version}
            == $rep->{hash}{version} + 1;
        $streamed++ if 1 == grep { $_->{event} eq 'report.auto_close' }
            $t->stream_events($NS, $id);
    }
    is($once, 20, 'every timeline has exactly one auto_close');
    is($versions, 20, 'every report moved one version');
    is($streamed, 20, 'every report has one report.auto_close in the stream');

    # Who swept: the clients that took the lock, and the reports that
    # both of them read or claimed.
    my (%lockers, %readers);
    for (split /\n/, $t->read_file($monitor)) {
        my ($client, $cmd) = /^[\d.]+ \[\d+ ([^\]]+)\] (.*)$/ or next;
        $lockers{$client}++
            if $cmd =~ /^"SET" "\Q${P}\Esweep:lock" .*"NX"/;
        if ($cmd =~ /^"(?:HMGET|SET)" "\Q${P}\Ereport:(\d+)(?::claim:\d+)?"/
            && $rep{$1})
        {
            $readers{$1}{$client} = 1;
        }
    }
    is(scalar keys %lockers, 2, 'both processes took the sweep lock')
        or diag(explain(\%lockers));
    # How much the two sweeps overlapped depends on timing; exactly-once
    # closing above must hold whatever it was.
    my $both = grep { keys %{$readers{$_}} == 2 } keys %readers;
    note("reports both processes looked at: $both of 20");
};

$t2->stop_nginx;
$t2->check_alerts('second nginx: no alerts in error.log');

$t->finish;

sub check_problem { Lapor::Test::check_problem(@_) }
