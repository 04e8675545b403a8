#!/usr/bin/perl

# The whole life of one report with real officer tokens (two made by
# lua-free-scripts/lapor-token, one computed here): submit, dispatch,
# respond, follow_up, the reporter's comment that reopens it, follow_up
# again, feedback that closes it.  After every step: the action's answer
# and ETag, the report's status, version and deadline in every view
# (public, reporter, the agency, another agency, admin), the timeline and
# what each of them may read of it, the queues (GET queue for the admin and
# the agencies, and the raw sorted sets: the report is in exactly the right
# keys with the right scores), the event stream and the statistics.

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

###############################################################################
# Officers.

my ($admin_line, $ADMIN) = $t->lapor_token_script('admin', '-', 'admin-bali');
my ($pupr_line, $PUPR) = $t->lapor_token_script('agency', 'pupr-kim',
    'pupr.petugas-01');
my $TOK = $t->officer_tokens({ 'dinkes.petugas-07' => 'dinkes' });
my $DINKES = $TOK->{'dinkes.petugas-07'};

like($admin_line, qr/^[0-9a-f]{64} admin - admin-bali$/,
    'lapor-token prints the admin line');
like($pupr_line, qr/^[0-9a-f]{64} agency pupr-kim pupr\.petugas-01$/,
    'lapor-token prints the agency line');
like($ADMIN, qr/^[A-Za-z0-9_-]{32}$/, 'lapor-token prints a 32-character token');
isnt($ADMIN, $PUPR, 'every token is new');

$t->write_file('tokens', $t->read_file('tokens')
    . "$admin_line\n\n# made by lapor-token\n$pupr_line\n");

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
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $TIME = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;
my @ITEM = sort qw/ id status title type category agency created_at due_at
    overdue confidential anonymous flagged version /;
my @OPEN = qw/ submitted deferred dispatched in_progress followed_up /;
my @LABELS = ('admin-bali', 'pupr.petugas-01', 'dinkes.petugas-07');

###############################################################################
# The report and what we expect of it.

my $doc = $t->report_doc(category => 'infrastruktur',
    title => 'Jembatan Tukad Badung retak di sisi timur',
    body => 'Retakan memanjang di sisi timur jembatan Tukad Badung, makin '
        . 'lebar sejak hujan deras minggu lalu.');

my $t_submit = int time;
my $sub = $t->post_report($doc);
is($sub->{status}, 201, 'the report is submitted') or BAIL_OUT($sub->{body});

my $ID = $sub->{json}{id};
my $TRACK = $sub->{json}{tracking_token};

my %m = (
    status => 'submitted',
    version => 1,
    agency => 'pupr-kim',
    entered_at => $t->report_hash("${P}report:$ID")->{entered_at},
);
$m{due} = $t->catalog_due($m{entered_at},
    $t->catalog_sla('infrastruktur', 'dispatch_days'));

is($sub->{json}{due_at}, $t->catalog_time($m{due}),
    'submitted: due_at is the end of the third working day');

# The expected timeline: type, actor, from, status, agency, rating,
# resolved, and the words with who may read them.
my @timeline = ({ type => 'submitted', actor => 'reporter',
    status => 'submitted' });

# The expected event stream entries of the report.
my @stream = ({ event => 'report.submitted', status => 'submitted',
    agency => 'pupr-kim', type => 'pengaduan', category => 'infrastruktur',
    channel => 'web' });

# The expected statistics (absent counts as 0).
my %stats = (submitted => 1, 'status:submitted' => 1,
    'type:pengaduan' => 1, 'category:infrastruktur' => 1,
    'agency:pupr-kim' => 1, 'channel:web' => 1);
my (%yearly, %hist, %counted);

# The cohort of the report: the year and month it came in, local time.
my ($Y, $MO) = $t->catalog_time($t->report_hash("${P}report:$ID")
    ->{created_at}) =~ /^(\d{4})-(\d\d)/;
cohort('submitted');

sub cohort {
    my ($what) = @_;
    $yearly{"stats:$Y-$MO"}{$what}++;
}

check_all('submitted', $t_submit, int time);

###############################################################################
# The path.

step('dispatch', $ADMIN, { agency => 'pupr-kim',
        message => 'Mohon segera ditinjau oleh tim jembatan.' },
    to => 'dispatched', vis => 'public',
    if_match => '"1"');

step('respond', $PUPR, { message => 'Tim kami akan meninjau lokasi besok; '
        . 'hubungi posko di 0812-3456-7890.' },
    to => 'in_progress', vis => 'public',
    public_message => 'Tim kami akan meninjau lokasi besok; hubungi posko '
        . 'di ****-****-****.',
    if_match => '2');

step('follow_up', $PUPR, { message => 'Retakan sudah ditambal dan '
        . 'jembatan dibuka kembali.' },
    to => 'followed_up', vis => 'public', if_match => '"3"');

step('comments', $TRACK, { message => 'Belum selesai: retakan baru muncul '
        . 'lagi. Kabari saya di made.wirawan@example.com' },
    to => 'in_progress', vis => 'reporter', if_match => 'W/"4"');

step('follow_up', $PUPR, { message => 'Retakan baru diperbaiki dengan '
        . 'lapisan beton.' },
    to => 'followed_up', vis => 'public');

step('feedback', $TRACK, { rating => 4, resolved => 'partial',
        comment => 'Terima kasih, tapi jalan masuknya masih rusak.' },
    to => 'closed', vis => 'reporter', if_match => '"6"');

subtest 'a closed report takes no more steps' => sub {
    for my $try (['feedback', $TRACK,
            { rating => 5, resolved => 'yes' }],
        ['comments', $TRACK, { message => 'Satu lagi' }],
        ['follow_up', $PUPR, { message => 'Lagi' }],
        ['clarify', $ADMIN, { message => 'Klarifikasi' }])
    {
        my $r = $t->report_action($ID, $try->[0], token => $try->[1],
            body => $try->[2]);
        $t->problem_ok($r, 409, 'invalid-transition',
            "$try->[0] on a closed report: 409");
    }

    my $h = $t->report_hash("${P}report:$ID");
    is($h->{version}, 7, 'version unchanged');
    is($h->{status}, 'closed', 'still closed');
    is(scalar(() = @{$t->redis_cmd('LRANGE', "${P}report:$ID:events", 0,
        -1)}), 6, 'no timeline entry added (six actions, the submission '
        . 'not stored)');
};

subtest 'deadlines:<state>: the deadline index of each clocked state, and '
    . 'no union of them (no "deadlines" set)' => sub {
    my $r = $t->post_report($t->report_doc);
    is($r->{status}, 201, 'a new report');
    my $id = $r->{json}{id};

    # every deadlines:* set the report is in, with its score
    my $in = sub {
        my %z;
        for my $k (qw/ deadlines deadlines:submitted deadlines:dispatched
            deadlines:in_progress /)
        {
            my $s = $t->redis_cmd('ZSCORE', "$P$k", $id);
            $z{$k} = $s + 0 if defined $s && !ref $s;
        }
        return \%z;
    };
    my $at = sub {
        my $due = $t->report_hash("${P}report:$id")->{due_at};
        return { "deadlines:$_[0]" => $t->queue_score($due, $id) };
    };

    is_deeply($in->(), $at->('submitted'), 'submitted: deadlines:submitted');
    for my $s (['dispatch', $ADMIN, { agency => 'pupr-kim' }, 'dispatched'],
        ['respond', $PUPR, { message => 'Kami tinjau.' }, 'in_progress'])
    {
        is($t->report_action($id, $s->[0], token => $s->[1],
            body => $s->[2])->{status}, 200, $s->[0]);
        is_deeply($in->(), $at->($s->[3]), "$s->[3]: deadlines:$s->[3]");
    }
    is($t->report_action($id, 'follow_up', token => $PUPR,
        body => { message => 'Selesai.' })->{status}, 200, 'follow_up');
    is_deeply($in->(), {}, 'followed_up: in no deadline index');
};

$t->finish;

###############################################################################

sub step {
    my ($action, $token, $body, %o) = @_;

    my $from = $m{status};
    my $t0 = int time;
    my $r = $t->report_action($ID, $action, token => $token, body => $body,
        if_match => $o{if_match});
    my $t1 = int time;

    my $to = $o{to};
    my $v = $m{version} + 1;

    subtest "$action: $from -> $to" => sub {
        is($r->{status}, 200, 'answer 200') or diag($r->{body});
        like($r->{headers}{'content-type'} || '', qr{^application/json\b},
            'JSON');
        is($r->{headers}{etag}, qq{"$v"}, 'ETag is the new version');

        my $j = $r->{json} || {};
        is_deeply([sort keys %$j], [sort qw/ id action status version
            due_at /], 'members of the answer');
        is($j->{id}, $ID, 'id');
        is($j->{action}, $action, 'action');
        is($j->{status}, $to, 'status');
        is($j->{version}, $v, 'version');

        my $h = $t->report_hash("${P}report:$ID");
        my $at = $h->{updated_at};
        ok($at >= $t0 && $at <= $t1, 'updated_at is the time of the action')
            or diag("$at not in [$t0, $t1]");

        # The model: state, agency, clock.
        my $moved = $to ne $from || ($action eq 'dispatch'
            && $body->{agency} ne $m{agency});
        $m{agency} = $body->{agency} if $action eq 'dispatch';
        $m{entered_at} = $at if $moved;

        if ($to eq 'dispatched') {
            $m{due} = $t->catalog_due($at,
                $t->catalog_sla('infrastruktur', 'follow_up_days'));
        } elsif ($to eq 'in_progress' && $from eq 'dispatched') {
            # respond: the follow-up clock of the dispatch runs on
        } elsif ($to eq 'in_progress') {
            # reopened: a new follow-up clock from the comment
            $m{due} = $t->catalog_due($at,
                $t->catalog_sla('infrastruktur', 'follow_up_days'));
        } elsif ($to eq 'followed_up') {
            $m{due} = $t->catalog_due($at,
                $t->catalog_sla('infrastruktur', 'auto_close_days'));
        } elsif ($to eq 'closed') {
            $m{due} = 0;
        }

        is($j->{due_at}, $m{due} ? $t->catalog_time($m{due}) : undef,
            'due_at of the new stage');

        $m{status} = $to;
        $m{version} = $v;

        # Times the first dispatch and the responses are measured by.
        if ($action eq 'dispatch') {
            $m{dispatched_at} //= $at;
        }
        if ($action eq 'respond' || $action eq 'follow_up') {
            $m{responded_at} //= $at;
        }
        $m{followed_up_at} = $at if $action eq 'follow_up';
        $m{closed_at} = $at if $to eq 'closed';

        is($h->{dispatched_at}, $m{dispatched_at}, 'dispatched_at');
        is($h->{responded_at}, $m{responded_at}, 'responded_at');
        is($h->{followed_up_at}, $m{followed_up_at}, 'followed_up_at');
        is($h->{closed_at}, $m{closed_at}, 'closed_at');
        if ($action eq 'feedback') {
            is($h->{rating}, $body->{rating}, 'rating stored');
            is($h->{resolved}, $body->{resolved}, 'resolved stored');
        }

        # The timeline entry and the stream entry.
        my %e = (type => $action, actor => actor_of($token), from => $from,
            status => $to);
        $e{agency} = $body->{agency} if $action eq 'dispatch';
        if ($action eq 'feedback') {
            $e{rating} = $body->{rating};
            $e{resolved} = $body->{resolved};
        }
        my $words = $body->{message} // $body->{reason} // $body->{comment};
        if (defined $words) {
            $e{message} = $words;
            $e{vis} = $o{vis};
            $e{public_message} = $o{public_message} // $words;
        }
        push @timeline, \%e;

        push @stream, { event => "report.$action", from => $from,
            status => $to, agency => $m{agency}, actor => actor_of($token),
            version => $v };

        # The statistics: state moves and actions; per submission cohort
        # (the month the report came in) each report once; the speed of
        # the first dispatch and the first answer; satisfaction.
        if ($to ne $from) {
            $stats{"status:$from"}--;
            $stats{"status:$to"}++;
        }
        $stats{"action:$action"}++;

        if ($action eq 'dispatch' && !$counted{dispatched}++) {
            cohort('dispatched');
            $stats{dispatched_first}++;
            $stats{dispatched_in_time}++;
            $hist{'stats:hist:dispatch'}++;
        }
        if ($action =~ /^(?:respond|follow_up)$/ && !$counted{response}++) {
            $hist{'stats:hist:response'}++;
        }
        if ($action eq 'follow_up' && !$counted{followed_up}++) {
            cohort('followed_up');
            $stats{followed_up_first}++;
            $stats{followed_up_in_time}++;
        }
        cohort('closed') if $to eq 'closed';
        if ($action eq 'feedback') {
            $stats{rating_count}++;
            $stats{rating_sum} += $body->{rating};
            $stats{"resolved:$body->{resolved}"}++;
        }
    };

    check_all("after $action", $t0, $t1);
}

sub actor_of {
    my ($token) = @_;
    return $token eq $ADMIN ? 'admin' : $token eq $TRACK ? 'reporter'
        : 'agency';
}

sub check_all {
    my ($when, $t0, $t1) = @_;

    subtest "$when: views" => sub { check_views() };
    subtest "$when: timeline for each viewer" => sub {
        check_timeline($t0, $t1);
    };
    subtest "$when: queues" => sub { check_queues() };
    subtest "$when: sorted sets in Redis" => sub { check_zsets() };
    subtest "$when: event stream" => sub { check_stream($t0, $t1) };
    subtest "$when: statistics" => sub { check_stats() };
}

sub check_views {
    my $with_pupr = $m{status} !~ /^(?:submitted|deferred|archived)$/;
    my $due_at = $m{due} ? $t->catalog_time($m{due}) : undef;

    for my $v (['public', undef], ['reporter', $TRACK], ['admin', $ADMIN],
        ['pupr-kim', $PUPR], ['dinkes', $DINKES])
    {
        my ($who, $token) = @$v;
        my $r = $t->report_view($ID, $token);

        if ($who eq 'dinkes' || ($who eq 'pupr-kim' && !$with_pupr)) {
            $t->problem_ok($r, 403, 'not-your-agency',
                "$who may not read a report that is not with it");
            next;
        }

        is($r->{status}, 200, "$who: 200") or next;
        my $j = $r->{json};
        is($j->{status}, $m{status}, "$who: status");
        is($j->{version}, $m{version}, "$who: version");
        is($r->{headers}{etag}, qq{"$m{version}"}, "$who: ETag");
        is($j->{due_at}, $due_at, "$who: due_at");
        ok(!$j->{overdue}, "$who: not overdue");
        is(ref $j->{agency} && $j->{agency}{code}, 'pupr-kim', "$who: agency");
        is($j->{title}, $doc->{title}, "$who: title");

        my $rep = $j->{reporter} || {};
        is($rep->{name}, 'Made Wirawan', "$who: reporter's name");
        if ($who eq 'public') {
            ok(!exists $rep->{contact}, 'public: no contact');
            ok(!exists $j->{flagged}, 'public: no flag');
        } else {
            is($rep->{contact}, 'made.wirawan@example.com',
                "$who: reporter's contact");
        }
        if ($who eq 'admin' || $who eq 'pupr-kim') {
            is($j->{flagged}, JSON::PP::false, "$who: not flagged");
        }

        my $text = $r->{body};
        ok(!grep({ index($text, $_) >= 0 } @LABELS),
            "$who: no officer's label in the view");
    }
}

sub check_timeline {
    my ($t0, $t1) = @_;
    my $with_pupr = $m{status} !~ /^(?:submitted|deferred|archived)$/;

    for my $v (['public', undef], ['reporter', $TRACK], ['admin', $ADMIN],
        ['pupr-kim', $PUPR], ['dinkes', $DINKES])
    {
        my ($who, $token) = @$v;
        my $r = $t->report_events($ID, $token);

        if ($who eq 'dinkes' || ($who eq 'pupr-kim' && !$with_pupr)) {
            $t->problem_ok($r, 403, 'not-your-agency',
                "$who may not read the timeline");
            next;
        }

        is($r->{status}, 200, "$who: 200") or next;
        my $j = $r->{json};
        is($j->{id}, $ID, "$who: id");

        my @got = @{$j->{events} || []};
        is(scalar @got, scalar @timeline, "$who: one entry per step");

        my @at = map { $_->{at} } @got;
        is(scalar(grep { defined && /$TIME/ } @at), scalar @got,
            "$who: every entry has a local RFC 3339 time");
        my $last = $t->rfc3339_time($at[-1]);
        ok(defined $last && $last >= $t0 && $last <= $t1,
            "$who: the newest entry is of this step");

        my @want = map { expected_entry($_, $who) } @timeline;
        delete $_->{at} for @got;
        is_deeply(\@got, \@want, "$who: entries and the words it may read")
            or diag(explain(\@got));

        ok(!grep({ index($r->{body}, $_) >= 0 } @LABELS),
            "$who: actors by role only, no officer's label");
    }
}

# An expected timeline entry as $who sees it.
sub expected_entry {
    my ($e, $who) = @_;
    my %out = map { $_ => $e->{$_} } grep { exists $e->{$_} }
        qw/ type actor from status agency rating resolved /;

    if (defined $e->{message}) {
        my $vis = $e->{vis};
        if ($who eq 'public') {
            $out{message} = $e->{public_message} if $vis eq 'public';
        } elsif ($who eq 'reporter') {
            $out{message} = $e->{message} if $vis ne 'officer';
        } else {
            $out{message} = $e->{message};
        }
    }

    return \%out;
}

sub in_queue {
    my ($r) = @_;
    my @items = grep { $_->{id} == $ID } @{($r->{json} || {})->{items} || []};
    return $items[0];
}

sub check_queues {
    my $inbox = $m{status} =~ /^(?:dispatched|in_progress)$/;

    # The admin: one queue per open state.
    for my $s (@OPEN) {
        my $r = $t->queue_get($ADMIN, "status=$s&limit=100");
        is($r->{status}, 200, "admin queue $s: 200") or next;
        my $item = in_queue($r);

        if ($s ne $m{status}) {
            ok(!$item, "not in queue:$s");
            next;
        }

        ok($item, "in queue:$s") or next;
        is_deeply([sort keys %$item], \@ITEM, 'the members of an item');
        is($item->{status}, $m{status}, 'item status');
        is($item->{version}, $m{version}, 'item version');
        is($item->{agency}, 'pupr-kim', 'item agency');
        is($item->{title}, $doc->{title}, 'item title');
        is($item->{type}, 'pengaduan', 'item type');
        is($item->{category}, 'infrastruktur', 'item category');
        is($item->{due_at}, $m{due} ? $t->catalog_time($m{due}) : undef,
            'item due_at');
        is($item->{overdue}, JSON::PP::false, 'item not overdue');
        is($item->{flagged}, JSON::PP::false, 'item not flagged');
        is($item->{anonymous}, JSON::PP::false, 'item not anonymous');
        is($item->{confidential}, JSON::PP::false, 'item not confidential');
        like($item->{created_at} || '', $TIME, 'item created_at');
        is($r->{json}{next_cursor}, undef, 'one page');
    }

    my $r = $t->queue_get($ADMIN, '');
    is(!!in_queue($r), $m{status} eq 'submitted',
        'the default queue is submitted');

    $r = $t->queue_get($ADMIN, 'agency=pupr-kim');
    is($r->{status}, 200, 'admin: the pupr-kim inbox');
    is(!!in_queue($r), !!$inbox, 'in the pupr-kim inbox exactly when '
        . 'dispatched or in progress');

    # The agency: its own inbox, whole and by state.
    $r = $t->queue_get($PUPR, '');
    is($r->{status}, 200, 'pupr-kim: its inbox');
    is(!!in_queue($r), !!$inbox, 'pupr-kim sees it in its inbox when it '
        . 'is to act');

    for my $s (qw/ dispatched in_progress /) {
        $r = $t->queue_get($PUPR, "status=$s");
        is($r->{status}, 200, "pupr-kim: inbox $s");
        is(!!in_queue($r), $m{status} eq $s, "in pupr-kim's $s inbox "
            . "exactly when $s");
    }

    $r = $t->queue_get($DINKES, '');
    is($r->{status}, 200, 'dinkes: its inbox');
    ok(!in_queue($r), 'never in the dinkes inbox');
}

sub check_zsets {
    my $s = $m{status};
    my $A = $m{agency};
    my %want;

    my $age = $t->queue_score($m{entered_at}, $ID);
    my $due = $t->queue_score($m{due}, $ID);

    if ($s eq 'submitted') {
        %want = ('queue:submitted' => $age, 'deadlines:submitted' => $due);
    } elsif ($s eq 'dispatched' || $s eq 'in_progress') {
        %want = ("queue:$s" => $age, "inbox:$A" => $due,
            "inbox:$A:$s" => $due, "deadlines:$s" => $due);
    } elsif ($s eq 'followed_up') {
        %want = ('queue:followed_up' => $age, autoclose => $due);
    }

    is_deeply($t->report_places($NS, $ID), \%want,
        "exactly the sorted sets of $s, with their scores");

    my $h = $t->report_hash("${P}report:$ID");
    is($h->{status}, $s, 'hash: status');
    is($h->{version}, $m{version}, 'hash: version');
    is($h->{agency}, $A, 'hash: agency');
    is($h->{entered_at}, $m{entered_at}, 'hash: entered_at');
    is($h->{due_at}, $m{due}, 'hash: due_at');
    is($h->{flagged}, 0, 'hash: not flagged');
}

sub check_stream {
    my ($t0, $t1) = @_;
    my @got = $t->stream_events($NS);

    is(scalar @got, scalar @stream, 'one stream entry per step');
    is(scalar(grep { $_->{id} eq $ID } @got), scalar @got,
        'all of them about this report');

    my $last = $got[-1] || {};
    ok($last->{at} >= $t0 && $last->{at} <= $t1, 'the newest is of now');

    my @plain = map {
        my %e = %$_;
        delete @e{qw/ _id at id /};
        \%e;
    } @got;
    is_deeply(\@plain, \@stream, 'event, from, status, agency, actor, '
        . 'version') or diag(explain(\@plain));

    my $all = join ' ', map { values %$_ } @got;
    ok(index($all, 'Made Wirawan') < 0 && index($all, '@example.com') < 0,
        'no personal data in the stream');
    ok(!grep({ index($all, $_) >= 0 } @LABELS), 'no officer label in the '
        . 'stream');
}

sub check_stats {
    my $got = $t->stats_hash("${P}stats");
    my %keys = map { $_ => 1 } keys %stats,
        grep { /^(?:status|action|resolved):|_(?:first|in_time)$|^rating_/ }
        keys %$got;

    for my $k (sort keys %keys) {
        is($got->{$k} // 0, $stats{$k} // 0, "stats $k");
    }

    for my $key (sort keys %yearly) {
        my $y = $t->redis_hash("${P}$key");
        my %f = map { $_ => 1 } keys %{$yearly{$key}}, keys %$y;
        for my $f (sort keys %f) {
            is($y->{$f} // 0, $yearly{$key}{$f} // 0, "$key $f");
        }
    }
    is($t->redis_cmd('EXISTS', "${P}stats:$Y"), 0,
        'no year counter: GET stats adds the months up');

    for my $key (qw/ stats:hist:dispatch stats:hist:response /) {
        my $h = $t->redis_hash("${P}$key");
        my $sum = 0;
        $sum += $_ for values %$h;
        is($sum, $hist{$key} // 0, "$key counts each report once");
    }
}
