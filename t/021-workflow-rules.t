#!/usr/bin/perl

# The rules of the lifecycle (SPEC section 4), table-driven: every action
# in every reachable state by every role (admin, the report's agency,
# another agency, the reporter) answers 200, 409 invalid-transition,
# 403 forbidden or 403 not-your-agency as the table says, and an illegal
# attempt writes nothing.  Then the particular rules: agencies see and act
# on their own reports only; defer and the reporter's comment; archive
# with its public reason; not_authority back to the admins, flagged;
# dispatch to another agency moves the report between inboxes; If-Match;
# invalid bodies; unknown actions and reports; wrong methods; tokens.

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

my $TOK = $t->officer_tokens({
    'admin-1' => 'admin',
    'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes',
});
my ($ADMIN, $PUPR, $DINKES) = @$TOK{qw/ admin-1 pupr-1 dinkes-1 /};

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

my @OPEN = qw/ submitted deferred dispatched in_progress followed_up /;
my @STATES = (@OPEN, qw/ archived closed /);

# The lifecycle as SPEC section 4 writes it: who may take each action, and
# from which state it leads where.
my %RULES = (
    dispatch => { roles => [qw/ admin /], from => { submitted => 'dispatched',
        deferred => 'dispatched', dispatched => 'dispatched' } },
    defer => { roles => [qw/ admin /], from => { submitted => 'deferred' } },
    archive => { roles => [qw/ admin /], from => { submitted => 'archived',
        deferred => 'archived' } },
    respond => { roles => [qw/ agency /],
        from => { dispatched => 'in_progress' } },
    clarify => { roles => [qw/ admin agency /],
        from => { map { $_ => $_ } @OPEN } },
    follow_up => { roles => [qw/ agency /],
        from => { in_progress => 'followed_up' } },
    not_authority => { roles => [qw/ agency /],
        from => { dispatched => 'submitted' } },
    comments => { roles => [qw/ reporter /], from => {
        submitted => 'submitted', deferred => 'submitted',
        dispatched => 'dispatched', in_progress => 'in_progress',
        followed_up => 'in_progress' } },
    feedback => { roles => [qw/ reporter /],
        from => { followed_up => 'closed' } },
);

# A valid body for each action (dispatch goes to another agency than the
# report's, so that it is a real move from "dispatched" too).
my %BODY = (
    dispatch => { agency => 'dinkes' },
    defer => { reason => 'Mohon lengkapi lokasi kejadian.' },
    archive => { reason => 'Laporan terlalu umum untuk ditindaklanjuti.' },
    respond => { message => 'Laporan diterima dan sedang diperiksa.' },
    clarify => { message => 'Klarifikasi: lokasi sudah kami pastikan.' },
    follow_up => { message => 'Perbaikan selesai dikerjakan.' },
    not_authority => { reason => 'Bukan wewenang instansi kami.' },
    comments => { message => 'Tambahan: lubangnya makin besar.' },
    feedback => { rating => 5, resolved => 'yes' },
);

# A new report (infrastruktur: pupr-kim is its agency) brought to a state.
sub bring {
    my ($state, %o) = @_;
    my $r = $t->post_report($t->report_doc(%{$o{doc} || {}}));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    my %rep = (id => $r->{json}{id}, track => $r->{json}{tracking_token});

    my @path = {
        submitted => [],
        deferred => [['defer', $ADMIN]],
        archived => [['archive', $ADMIN]],
        dispatched => [['dispatch', $ADMIN, { agency => 'pupr-kim' }]],
        in_progress => [['dispatch', $ADMIN, { agency => 'pupr-kim' }],
            ['respond', $PUPR]],
        followed_up => [['dispatch', $ADMIN, { agency => 'pupr-kim' }],
            ['respond', $PUPR], ['follow_up', $PUPR]],
        closed => [['dispatch', $ADMIN, { agency => 'pupr-kim' }],
            ['respond', $PUPR], ['follow_up', $PUPR],
            ['feedback', 'TRACK']],
    }->{$state};
    die "state $state\n" unless $path[0];

    for my $s (@{$path[0]}) {
        my ($action, $token, $body) = @$s;
        $token = $rep{track} if $token eq 'TRACK';
        my $a = $t->report_action($rep{id}, $action, token => $token,
            body => $body || $BODY{$action});
        die "$action: $a->{status} $a->{body}\n" unless $a->{status} == 200;
    }

    my $h = $t->report_hash("${P}report:$rep{id}");
    die "report $rep{id} is $h->{status}, not $state\n"
        unless $h->{status} eq $state;
    return \%rep;
}

sub token_of {
    my ($role, $rep) = @_;
    return { admin => $ADMIN, agency => $PUPR, other => $DINKES,
        reporter => $rep->{track} }->{$role};
}

# What the rules answer: [200, to] or [status, problem type].
sub expected {
    my ($state, $action, $role) = @_;
    my $rule = $RULES{$action};
    my $kind = $role eq 'other' ? 'agency' : $role;

    unless (grep { $_ eq $kind } @{$rule->{roles}}) {
        # A tracking token on an action only officers take: a role that
        # may not (403), or no valid token for it (401); both refuse.
        return [[401, 403], ['invalid-token', 'forbidden']]
            if $role eq 'reporter';
        return [403, 'forbidden'];
    }

    # an agency acts only on what is with it (pupr-kim's reports here;
    # never dinkes's) once dispatched, in progress, followed up or closed
    return [403, 'not-your-agency'] if $kind eq 'agency'
        && ($role eq 'other'
            || $state !~ /^(?:dispatched|in_progress|followed_up|closed)$/);

    return [409, 'invalid-transition'] unless $rule->{from}{$state};
    return [200, $rule->{from}{$state}];
}

# The problems of an answer that may have one of several statuses.
sub check_problem { Lapor::Test::check_problem(@_) }

# A problem answer with one of the statuses and one of the types.
sub problem_in {
    my ($r, $status, $type, $name) = @_;
    my @types = ref $type ? @$type : ($type);
    my @e = check_problem($r, $status, undef);
    my $got = ($r->{json} || {})->{type} // '';
    push @e, "type '$got' not in (@types)"
        unless grep { "urn:lapor:problem:$_" eq $got } @types;
    my $ok = ok(!@e, $name);
    diag(join("\n", @e) . "\nresponse: $r->{status} $r->{body}") unless $ok;
    return $ok;
}

# The body of an action breaks the field rules: 400 invalid-report (the
# brief; the module may name it invalid-action).
my @INVALID = qw/ invalid-report invalid-action /;

sub events_count {
    my ($id) = @_;
    my $l = $t->redis_cmd('LLEN', "${P}report:$id:events");
    return $l;
}

###############################################################################

my @legal;

for my $state (@STATES) {
    subtest "every action and role on a $state report" => sub {
        my $rep = bring($state);
        my $before = $t->report_hash("${P}report:$rep->{id}");
        my $n = events_count($rep->{id});
        my $streamed = () = $t->stream_events($NS, $rep->{id});

        for my $action (sort keys %RULES) {
            for my $role (qw/ admin agency other reporter /) {
                my $want = expected($state, $action, $role);

                if ($want->[0] == 200) {
                    push @legal, [$state, $action, $role, $want->[1]];
                    next;
                }

                my $r = $t->report_action($rep->{id}, $action,
                    token => token_of($role, $rep), body => $BODY{$action});
                problem_in($r, $want->[0], $want->[1], "$role $action on "
                    . "$state: " . join('/', map { ref ? @$_ : $_ }
                        @$want));
            }
        }

        my $after = $t->report_hash("${P}report:$rep->{id}");
        is_deeply($after, $before, 'the report hash is unchanged');
        is(events_count($rep->{id}), $n, 'no timeline entry was added');
        is(scalar(() = $t->stream_events($NS, $rep->{id})), $streamed,
            'no stream entry was added');
    };
}

subtest 'every legal action, each on a fresh report' => sub {
    is(scalar @legal, 23, 'the table has 23 legal moves');

    for my $l (@legal) {
        my ($state, $action, $role, $to) = @$l;
        my $rep = bring($state);
        my $v = $t->report_hash("${P}report:$rep->{id}")->{version};

        my $r = $t->report_action($rep->{id}, $action,
            token => token_of($role, $rep), body => $BODY{$action});
        is($r->{status}, 200, "$role $action on $state: 200")
            or diag($r->{body});
        is(($r->{json} || {})->{status}, $to, "... leads to $to");
        is(($r->{json} || {})->{version}, $v + 1, '... next version');

        my $h = $t->report_hash("${P}report:$rep->{id}");
        is($h->{status}, $to, "... stored $to");
    }
};

###############################################################################

subtest 'an agency sees and acts on its own reports only' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    # submitted, pupr-kim suggested by the category: not yet its report
    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'a submitted report is not the suggested agency\'s yet');
    $t->problem_ok($t->report_events($id, $PUPR), 403, 'not-your-agency',
        '... nor its timeline');

    my $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'dinkes' });
    is($r->{status}, 200, 'dispatched to dinkes');

    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'pupr-kim may not read a dinkes report');
    $t->problem_ok($t->report_events($id, $PUPR), 403, 'not-your-agency',
        'pupr-kim may not read its timeline');

    for my $q ('', 'status=dispatched', 'limit=100') {
        $r = $t->queue_get($PUPR, $q);
        is($r->{status}, 200, "pupr-kim queue?$q: 200");
        ok(!grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
            "... does not list the dinkes report");
    }

    $r = $t->queue_get($PUPR, 'agency=dinkes');
    $t->problem_ok($r, 403, 'not-your-agency',
        'pupr-kim may not ask for the dinkes inbox');
    ok(!grep({ $_->{id} == $id } @{($r->{json} || {})->{items} || []}),
        '... and does not get it');

    for my $action (qw/ respond clarify not_authority /) {
        $r = $t->report_action($id, $action, token => $PUPR,
            body => $BODY{$action});
        $t->problem_ok($r, 403, 'not-your-agency',
            "pupr-kim may not $action on it");
    }

    is($t->report_hash("${P}report:$id")->{version}, 2, 'nothing changed');

    # dinkes can
    is($t->report_view($id, $DINKES)->{status}, 200, 'dinkes reads it');
    is($t->report_events($id, $DINKES)->{status}, 200,
        'dinkes reads its timeline');
    $r = $t->queue_get($DINKES, '');
    ok(grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
        'dinkes lists it');

    # after a dispatch to pupr-kim, the roles swap
    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($r->{status}, 200, 'dispatched on to pupr-kim');

    is($t->report_view($id, $PUPR)->{status}, 200, 'pupr-kim reads it now');
    is($t->report_events($id, $PUPR)->{status}, 200,
        '... and its timeline');
    $r = $t->queue_get($PUPR, 'status=dispatched');
    ok(grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
        '... and lists it');

    $t->problem_ok($t->report_view($id, $DINKES), 403, 'not-your-agency',
        'dinkes may not read it any more');
    $r = $t->queue_get($DINKES, '');
    ok(!grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
        'dinkes no longer lists it');
    $r = $t->report_action($id, 'respond', token => $DINKES,
        body => $BODY{respond});
    $t->problem_ok($r, 403, 'not-your-agency', 'dinkes may not respond');

    $r = $t->report_action($id, 'respond', token => $PUPR,
        body => $BODY{respond});
    is($r->{status}, 200, 'pupr-kim responds');
    is($r->{json}{status}, 'in_progress', '... in progress');
};

subtest 'defer, then the reporter\'s comment sends it back' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};
    my $reason = 'Mohon sertakan foto dan alamat lengkap.';

    my $r = $t->report_action($id, 'defer', token => $ADMIN,
        body => { reason => $reason });
    is($r->{status}, 200, 'deferred');
    is($r->{json}{status}, 'deferred', 'status deferred');
    is($r->{json}{due_at}, undef, 'no deadline while it waits for the '
        . 'reporter');

    my $h = $t->report_hash("${P}report:$id");
    is_deeply($t->report_places($NS, $id),
        { 'queue:deferred' => $t->queue_score($h->{entered_at}, $id) },
        'only in queue:deferred, by the time it came there');

    $r = $t->queue_get($ADMIN, 'status=deferred');
    ok(grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
        'the admins list it among the deferred');

    my $v = $t->report_view($id, undef);
    is($v->{json}{status}, 'deferred', 'public view: deferred');
    is($v->{json}{due_at}, undef, 'public view: no due_at');
    ok(!$v->{json}{overdue}, 'public view: not overdue');

    my $defer = sub {
        my ($token) = @_;
        my ($e) = grep { $_->{type} eq 'defer' }
            @{$t->report_events($id, $token)->{json}{events} || []};
        return $e || {};
    };
    is($defer->(undef)->{status}, 'deferred', 'the public sees the step');
    ok(!exists $defer->(undef)->{message}, '... not the reason');
    is($defer->($rep->{track})->{message}, $reason,
        'the reporter reads the reason');
    is($defer->($ADMIN)->{message}, $reason, 'so does the admin');

    my $t0 = int time;
    $r = $t->report_action($id, 'comments', token => $rep->{track},
        body => { message => 'Foto terlampir; alamat Jl. Teuku Umar 12.' });
    my $t1 = int time;
    is($r->{status}, 200, 'the reporter comments');
    is($r->{json}{status}, 'submitted', 'back to submitted');

    $h = $t->report_hash("${P}report:$id");
    ok($h->{entered_at} >= $t0 && $h->{entered_at} <= $t1,
        'it entered submitted now');
    my $due = $t->catalog_due($h->{entered_at},
        $t->catalog_sla('infrastruktur', 'dispatch_days'));
    is($r->{json}{due_at}, $t->catalog_time($due),
        'a new dispatch deadline: three working days');
    is_deeply($t->report_places($NS, $id), {
            'queue:submitted' => $t->queue_score($h->{entered_at}, $id),
            'deadlines:submitted' => $t->queue_score($due, $id) },
        'in queue:submitted and the deadline index');

    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($r->{status}, 200, 'then it can be dispatched');
};

subtest 'archive: the reason is public, the report is done' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};
    my $reason = 'Di luar kewenangan pemerintah provinsi; silakan ke '
        . 'pemerintah kota.';

    my $stats = $t->stats_hash("${P}stats");

    my $r = $t->report_action($id, 'archive', token => $ADMIN,
        body => { reason => $reason });
    is($r->{status}, 200, 'archived');
    is($r->{json}{status}, 'archived', 'status archived');
    is($r->{json}{due_at}, undef, 'no deadline');

    is_deeply($t->report_places($NS, $id), {}, 'in no queue or index');

    my $after = $t->stats_hash("${P}stats");
    is(($after->{'status:archived'} // 0) - ($stats->{'status:archived'}
        // 0), 1, 'stats: one more archived');
    is(($stats->{'status:submitted'} // 0) - ($after->{'status:submitted'}
        // 0), 1, 'stats: one less submitted');

    my $v = $t->report_view($id, undef);
    is($v->{json}{status}, 'archived', 'public view: archived');
    is($v->{json}{due_at}, undef, 'public view: no due_at');

    my ($e) = grep { $_->{type} eq 'archive' }
        @{$t->report_events($id, undef)->{json}{events} || []};
    is($e && $e->{message}, $reason, 'the public reads the reason');
    is($e && $e->{actor}, 'admin', 'actor: admin');

    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'the suggested agency may not read an archived report');

    $r = $t->report_action($id, 'comments', token => $rep->{track},
        body => { message => 'Mohon ditinjau ulang.' });
    $t->problem_ok($r, 409, 'invalid-transition',
        'the reporter cannot reopen it');
};

subtest 'not_authority: back to the admins, flagged; dispatched on' => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};
    my $reason = 'Jalan ini jalan nasional, bukan wewenang provinsi.';

    my $t0 = int time;
    my $r = $t->report_action($id, 'not_authority', token => $PUPR,
        body => { reason => $reason });
    my $t1 = int time;
    is($r->{status}, 200, 'handed back');
    is($r->{json}{status}, 'submitted', 'status submitted');

    my $h = $t->report_hash("${P}report:$id");
    is($h->{flagged}, 1, 'flagged in Redis');
    ok($h->{entered_at} >= $t0 && $h->{entered_at} <= $t1,
        'it entered submitted now');
    my $due = $t->catalog_due($h->{entered_at},
        $t->catalog_sla('infrastruktur', 'dispatch_days'));
    is($r->{json}{due_at}, $t->catalog_time($due),
        'a new dispatch deadline');
    is_deeply($t->report_places($NS, $id), {
            'queue:submitted' => $t->queue_score($h->{entered_at}, $id),
            'deadlines:submitted' => $t->queue_score($due, $id) },
        'back in queue:submitted, out of every inbox');

    my $v = $t->report_view($id, $ADMIN);
    is($v->{json}{flagged}, JSON::PP::true, 'the admin view shows the flag');

    $r = $t->queue_get($ADMIN, 'status=submitted&limit=100');
    my ($item) = grep { $_->{id} == $id } @{$r->{json}{items} || []};
    ok($item, 'in the admins\' queue');
    is($item && $item->{flagged}, JSON::PP::true, '... flagged');

    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'the agency no longer reads it');
    $r = $t->queue_get($PUPR, '');
    ok(!grep({ $_->{id} == $id } @{$r->{json}{items} || []}),
        'nor lists it');

    my $entry = sub {
        my ($token) = @_;
        my ($e) = grep { $_->{type} eq 'not_authority' }
            @{$t->report_events($id, $token)->{json}{events} || []};
        return $e || {};
    };
    is($entry->($ADMIN)->{message}, $reason, 'the admin reads the reason');
    is($entry->($ADMIN)->{actor}, 'agency', 'actor: agency');
    is($entry->(undef)->{status}, 'submitted', 'the public sees the step');
    ok(!exists $entry->(undef)->{message}, '... not the reason');
    ok(!exists $entry->($rep->{track})->{message},
        'neither does the reporter');

    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'dinkes' });
    is($r->{status}, 200, 'dispatched to another agency');

    $h = $t->report_hash("${P}report:$id");
    is($h->{flagged}, 0, 'the flag is cleared');
    is($h->{agency}, 'dinkes', 'agency dinkes');
    is($t->report_view($id, $DINKES)->{json}{flagged}, JSON::PP::false,
        'dinkes reads it, not flagged');
    ok(exists $t->report_places($NS, $id)->{'inbox:dinkes'},
        'in the dinkes inbox');
};

# The agency of a report as a view shows it: its code, or undef.
sub agency_of {
    my ($res, $member) = @_;
    my $a = ($res->{json} || {})->{$member || 'agency'};
    return ref $a eq 'HASH' ? $a->{code} : $a;
}

subtest 'not_authority keeps the agency that handed it back' => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};
    my $before = $t->stats_hash("${P}stats")->{'returned_by:pupr-kim'} // 0;

    my $r = $t->report_action($id, 'not_authority', token => $PUPR,
        body => { reason => 'Jalan nasional, bukan wewenang provinsi.' });
    is($r->{status}, 200, 'handed back');

    my $h = $t->report_hash("${P}report:$id");
    is($h->{agency}, 'pupr-kim', 'the hash keeps the agency');
    is($h->{returned_by}, 'pupr-kim', '... and says who handed it back');
    ok(!grep({ /^inbox:/ } keys %{$t->report_places($NS, $id)}),
        'in no inbox');

    for my $who ([admin => $ADMIN], [reporter => $rep->{track}],
        [public => undef])
    {
        my $v = $t->report_view($id, $who->[1]);
        is(agency_of($v), 'pupr-kim', "$who->[0] view: agency pupr-kim");
        is(agency_of($v, 'returned_by'), 'pupr-kim',
            "$who->[0] view: returned_by pupr-kim");
        like($v->{json}{returned_by}{name} // '', qr/Pekerjaan Umum/,
            '... with its name');
    }
    ok(!exists $t->report_view(bring('dispatched')->{id}, $ADMIN)
        ->{json}{returned_by}, 'a report never handed back has none');

    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'the agency that handed it back no longer reads it');
    $t->problem_ok($t->report_events($id, $PUPR), 403, 'not-your-agency',
        '... nor its timeline');

    for my $who ([admin => $ADMIN], [public => undef]) {
        my ($e) = grep { $_->{type} eq 'not_authority' }
            @{$t->report_events($id, $who->[1])->{json}{events} || []};
        is($e && $e->{agency}, 'pupr-kim',
            "$who->[0] timeline: the hand-back names the agency");
    }

    my ($s) = grep { $_->{event} eq 'report.not_authority' }
        $t->stream_events($NS, $id);
    is($s && $s->{agency}, 'pupr-kim', 'the stream entry names the agency');

    is($t->stats_hash("${P}stats")->{'returned_by:pupr-kim'}, $before + 1,
        'stats: one more hand-back by pupr-kim, in Redis');
    my $st = $t->http_get('/api/v1/stats')->{json} || {};
    is($st->{totals}{by_returning_agency}{'pupr-kim'}, $before + 1,
        '... and in GET stats');
};

subtest 'a dispatch after a hand-back goes to the new agency alone' => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};
    my $stats = $t->stats_hash("${P}stats");

    my $r = $t->report_action($id, 'not_authority', token => $PUPR,
        body => { reason => 'Bukan wewenang instansi kami.' });
    is($r->{status}, 200, 'pupr-kim hands it back');
    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'dinkes' });
    is($r->{status}, 200, 'dispatched to dinkes');

    my $h = $t->report_hash("${P}report:$id");
    is($h->{agency}, 'dinkes', 'agency dinkes');
    is($h->{flagged}, 0, 'no longer flagged');
    is($h->{returned_by}, 'pupr-kim', 'returned_by stays pupr-kim');
    is_deeply([sort grep { /^inbox:/ } keys %{$t->report_places($NS, $id)}],
        [qw/ inbox:dinkes inbox:dinkes:dispatched /],
        'in the dinkes inbox only');

    my $v = $t->report_view($id, $DINKES);
    is($v->{status}, 200, 'dinkes reads it');
    is(agency_of($v, 'returned_by'), 'pupr-kim',
        '... and sees that pupr-kim handed it back');
    $t->problem_ok($t->report_view($id, $PUPR), 403, 'not-your-agency',
        'pupr-kim does not');
    my @s = $t->stream_events($NS, $id);
    is($s[-1]{agency}, 'dinkes', 'the stream entry of the dispatch: dinkes');

    $r = $t->report_action($id, 'not_authority', token => $DINKES,
        body => { reason => 'Bukan wewenang kami juga.' });
    is($r->{status}, 200, 'dinkes hands it back too');
    $h = $t->report_hash("${P}report:$id");
    is_deeply([@$h{qw/ agency returned_by /}], [qw/ dinkes dinkes /],
        'agency and returned_by: dinkes');

    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($r->{status}, 200, 'dispatched back to pupr-kim');
    is($t->report_view($id, $PUPR)->{status}, 200, 'pupr-kim reads it again');
    ok(exists $t->report_places($NS, $id)->{'inbox:pupr-kim'},
        'in the pupr-kim inbox');
    $t->problem_ok($t->report_view($id, $DINKES), 403, 'not-your-agency',
        'dinkes does not');

    my $after = $t->stats_hash("${P}stats");
    my %d = map { $_ => ($after->{$_} // 0) - ($stats->{$_} // 0) }
        qw/ returned_by:pupr-kim returned_by:dinkes dispatched_to:dinkes
        dispatched_to:pupr-kim /;
    is_deeply(\%d, { 'returned_by:pupr-kim' => 1, 'returned_by:dinkes' => 1,
        'dispatched_to:dinkes' => 1, 'dispatched_to:pupr-kim' => 1 },
        'stats: each hand-back and each dispatch counted once');
};

subtest 'dispatch to another agency moves it between inboxes' => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};

    my $h = $t->report_hash("${P}report:$id");
    my $due = $h->{due_at};
    ok(exists $t->report_places($NS, $id)->{'inbox:pupr-kim:dispatched'},
        'first in the pupr-kim inbox');

    # a past entry time makes the restart of the clocks visible
    $t->redis_cmd('HSET', "${P}report:$id", 'entered_at', $h->{entered_at}
        - 7 * 86400);
    $t->redis_cmd('ZADD', "${P}queue:dispatched",
        $t->queue_score($h->{entered_at} - 7 * 86400, $id), $id);

    my $t0 = int time;
    my $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'dinkes', message => 'Ini urusan kesehatan.' });
    my $t1 = int time;
    is($r->{status}, 200, 'dispatched to dinkes');
    is($r->{json}{status}, 'dispatched', 'still dispatched');
    is($r->{json}{version}, 3, 'version 3');

    $h = $t->report_hash("${P}report:$id");
    is($h->{agency}, 'dinkes', 'agency dinkes');
    ok($h->{entered_at} >= $t0 && $h->{entered_at} <= $t1,
        'the dispatch clock starts again');
    my $new_due = $t->catalog_due($h->{entered_at},
        $t->catalog_sla('infrastruktur', 'follow_up_days'));
    is($h->{due_at}, $new_due, 'a new follow-up deadline');

    is_deeply($t->report_places($NS, $id), {
            'queue:dispatched' => $t->queue_score($h->{entered_at}, $id),
            'inbox:dinkes' => $t->queue_score($new_due, $id),
            'inbox:dinkes:dispatched' => $t->queue_score($new_due, $id),
            'deadlines:dispatched' => $t->queue_score($new_due, $id) },
        'out of the pupr-kim inbox, into the dinkes inbox');

    my @d = grep { $_->{type} eq 'dispatch' }
        @{$t->report_events($id, undef)->{json}{events} || []};
    is_deeply([map { $_->{agency} } @d], ['pupr-kim', 'dinkes'],
        'the timeline shows both dispatches');
    is($d[-1]{from}, 'dispatched', 'from dispatched');
    is($d[-1]{message}, 'Ini urusan kesehatan.', 'with the public message');

    my @s = grep { $_->{event} eq 'report.dispatch' }
        $t->stream_events($NS, $id);
    is_deeply([map { $_->{agency} } @s], ['pupr-kim', 'dinkes'],
        'the stream too');
};

###############################################################################

subtest 'If-Match' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    for my $stale ('"2"', '2', '"7"', 'W/"3"') {
        my $r = $t->report_action($id, 'clarify', token => $ADMIN,
            body => $BODY{clarify}, if_match => $stale);
        $t->problem_ok($r, 412, 'version-mismatch',
            "If-Match: $stale on version 1: 412");
    }

    for my $bad ('"abc"', 'abc', '"0"', '0', '-1', '"1', '1"', '""',
        '"1.5"', '1 2', 'W/')
    {
        my $r = $t->report_action($id, 'clarify', token => $ADMIN,
            body => $BODY{clarify}, if_match => $bad);
        $t->problem_ok($r, 400, 'invalid-if-match', "If-Match: $bad: 400");
    }

    is($t->report_hash("${P}report:$id")->{version}, 1, 'nothing changed');

    my $r = $t->report_action($id, 'clarify', token => $ADMIN,
        body => $BODY{clarify}, if_match => '"1"');
    is($r->{status}, 200, 'If-Match: "1" on version 1: 200');
    is($r->{headers}{etag}, '"2"', 'ETag "2"');

    $r = $t->report_action($id, 'clarify', token => $ADMIN,
        body => $BODY{clarify}, if_match => '2');
    is($r->{status}, 200, 'bare If-Match: 2: 200');

    $r = $t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' }, if_match => '"2"');
    $t->problem_ok($r, 412, 'version-mismatch', 'the old version again: 412');

    $r = $t->report_action($id, 'comments', token => $rep->{track},
        body => $BODY{comments}, if_match => '"3"');
    is($r->{status}, 200, 'the reporter uses If-Match too');

    is($t->report_view($id, undef)->{headers}{etag}, '"4"',
        'GET gives the ETag to use next');
};

subtest 'If-Match: * is refused, as it would match every version' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    for my $bad ('*', '"1", "2"', '"1", *') {
        my $r = $t->report_action($id, 'dispatch', token => $ADMIN,
            body => { agency => 'pupr-kim' }, if_match => $bad);
        $t->problem_ok($r, 400, 'invalid-if-match', "If-Match: $bad: 400");
    }

    my $h = $t->report_hash("${P}report:$id");
    is_deeply([@$h{qw/ status version /}], ['submitted', 1], 'nothing changed');
};

subtest 'GET reports/{id}: If-None-Match and If-Match are ignored' => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};

    for my $token (undef, $ADMIN, $rep->{track}) {
        my $who = defined $token ? ($token eq $ADMIN ? 'admin' : 'reporter')
            : 'public';
        my $v = $t->report_view($id, $token);
        is($v->{headers}{etag}, '"2"', "$who: ETag \"2\"");

        for my $h ([ 'If-None-Match' => '"2"' ], [ 'If-None-Match' => '*' ],
            [ 'If-Match' => '"1"' ])
        {
            my $r = $t->report_view($id, $token, headers => { @$h });
            is($r->{status}, 200, "$who, $h->[0]: $h->[1]: 200");
            is($r->{json} && $r->{json}{id}, $id, '... with the report');
        }
    }

    my $r = $t->report_events($id, undef, headers => { 'If-Match' => '"9"' });
    is($r->{status}, 200, 'GET events with If-Match: 200');
};

subtest 'a reporter\'s action: "reporter" in the claim and the log' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    $t->log_mark;
    my $r = $t->report_action($id, 'comments', token => $rep->{track},
        body => $BODY{comments});
    is($r->{status}, 200, 'commented');
    is($t->redis_cmd('GET', "${P}report:$id:claim:1"), 'reporter',
        'the claim of version 1 holds "reporter"');
    ok($t->wait_log(qr/lapor: report $id: comments by reporter\b/),
        'the log line names the role, "by reporter"');

    $r = $t->report_action($id, 'clarify', token => $ADMIN,
        body => $BODY{clarify});
    is($t->redis_cmd('GET', "${P}report:$id:claim:2"), 'admin-1',
        'an officer\'s claim holds its label');
};

subtest 'invalid bodies: 400 with the fields' => sub {
    my %rep = map { $_ => bring($_) } qw/ submitted dispatched in_progress
        followed_up /;

    my $long = 'x' x 1001;
    my @cases = (
        [submitted => dispatch => $ADMIN, {}, ['agency']],
        [submitted => dispatch => $ADMIN, { agency => 'tidak-ada' },
            ['agency']],
        [submitted => dispatch => $ADMIN, { agency => 7 }, ['agency']],
        [submitted => dispatch => $ADMIN, { agency => 'dinkes',
            message => 'ok' }, ['message']],
        [submitted => dispatch => $ADMIN, { agency => 'dinkes',
            reason => 'alasan panjang' }, ['reason']],
        [submitted => defer => $ADMIN, {}, ['reason']],
        [submitted => defer => $ADMIN, { reason => 'abcd' }, ['reason']],
        [submitted => defer => $ADMIN, { reason => $long }, ['reason']],
        [submitted => defer => $ADMIN, { reason => '     ' }, ['reason']],
        [submitted => archive => $ADMIN, { reason => undef }, ['reason']],
        [submitted => archive => $ADMIN, { reason => ['alasan panjang'] },
            ['reason']],
        [submitted => archive => $ADMIN, { reason => 'alasan panjang',
            extra => 1 }, ['extra']],
        [dispatched => respond => $PUPR, {}, ['message']],
        [dispatched => respond => $PUPR, { message => '' }, ['message']],
        [dispatched => respond => $PUPR, { message => 'y' x 4001 },
            ['message']],
        [dispatched => respond => $PUPR, { message => 42 }, ['message']],
        [dispatched => not_authority => $PUPR, { message => 'bukan kami' },
            ['message', 'reason']],
        [in_progress => clarify => $ADMIN, { message => { a => 1 } },
            ['message']],
        [in_progress => follow_up => $PUPR, {}, ['message']],
        [in_progress => comments => 'TRACK', {}, ['message']],
        [followed_up => feedback => 'TRACK', {}, ['rating', 'resolved']],
        [followed_up => feedback => 'TRACK', { rating => 0,
            resolved => 'yes' }, ['rating']],
        [followed_up => feedback => 'TRACK', { rating => 6,
            resolved => 'yes' }, ['rating']],
        [followed_up => feedback => 'TRACK', { rating => '5',
            resolved => 'yes' }, ['rating']],
        [followed_up => feedback => 'TRACK', { rating => 4.5,
            resolved => 'yes' }, ['rating']],
        [followed_up => feedback => 'TRACK', { rating => 5,
            resolved => 'maybe' }, ['resolved']],
        [followed_up => feedback => 'TRACK', { rating => 5,
            resolved => 'yes', comment => 'z' x 2001 }, ['comment']],
    );

    for my $c (@cases) {
        my ($state, $action, $token, $body, $fields) = @$c;
        $token = $rep{$state}{track} if $token eq 'TRACK';
        my $r = $t->report_action($rep{$state}{id}, $action,
            token => $token, body => $body);
        my $name = "$action " . $t->report_json($body);
        $name = substr($name, 0, 70) . '...' if length $name > 70;
        problem_in($r, 400, \@INVALID, "$name: 400");
        my @errors = @{($r->{json} || {})->{errors} || []};
        my %f = map { $_->{field} => 1 } @errors;
        is_deeply([sort keys %f], [sort @$fields], '... errors name '
            . join(', ', @$fields));
        ok(!grep({ !length($_->{message} // '') } @errors),
            '... each with a message');
    }

    # the messages say what is wrong: an optional text given as "" is not
    # "required", and 4.0 is a number but not the integer asked for
    for my $c (['{"rating":4.0,"resolved":"yes"}', 'rating',
            qr/^must be of type integer$/],
        ['{"rating":4e0,"resolved":"yes"}', 'rating',
            qr/^must be of type integer$/],
        ['{"rating":9,"resolved":"yes"}', 'rating', qr/^must be within 1\.\.5$/],
        ['{"rating":4,"resolved":"yes","comment":""}', 'comment',
            qr/^must not be empty: give a text or leave the field out$/])
    {
        my $r = $t->report_action($rep{followed_up}{id}, 'feedback',
            token => $rep{followed_up}{track}, body => $c->[0],
            headers => { 'Accept-Language' => 'en' });
        problem_in($r, 400, \@INVALID, "feedback $c->[0]: 400");
        my @e = @{($r->{json} || {})->{errors} || []};
        is(scalar @e, 1, '... one error');
        is($e[0]{field}, $c->[1], "... on $c->[1]");
        like($e[0]{message}, $c->[2], '... saying so');
    }

    for my $raw (['{', ['invalid-json']], ['[]', \@INVALID],
        ['"reason"', \@INVALID], ['', [@INVALID, 'invalid-json']])
    {
        my $r = $t->report_action($rep{submitted}{id}, 'defer',
            token => $ADMIN, body => $raw->[0]);
        problem_in($r, 400, $raw->[1], "defer with body '$raw->[0]': 400");
    }

    my $r = $t->report_action($rep{submitted}{id}, 'defer', token => $ADMIN,
        body => $BODY{defer}, headers => { 'Content-Type' => 'text/plain' });
    $t->problem_ok($r, 415, undef, 'text/plain: 415');

    for my $state (sort keys %rep) {
        is($t->report_hash("${P}report:$rep{$state}{id}")->{status}, $state,
            "the $state report is unchanged");
    }
};

subtest 'unknown actions and reports: 404' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    for my $action (qw/ approve DISPATCH auto_close submit dispatch_ x /) {
        my $r = $t->report_action($id, $action, token => $ADMIN,
            body => { agency => 'dinkes' });
        $t->problem_ok($r, 404, 'unknown-action', "$action: 404");
    }

    my $r = $t->report_action(999999, 'dispatch', token => $ADMIN,
        body => { agency => 'dinkes' });
    $t->problem_ok($r, 404, 'report-not-found', 'no such report: 404');
    $r = $t->report_action(999999, 'comments', token => 'not-a-token',
        body => { message => 'halo' });
    ok(!check_problem($r, [401, 404]), 'a comment on no report: 401 or 404')
        or diag($r->{body});

    is($t->report_hash("${P}report:$id")->{version}, 1, 'nothing changed');
    is($t->redis_cmd('EXISTS', "${P}report:999999"), 0,
        'no report was made up');
};

subtest 'wrong methods: 405 with Allow' => sub {
    my $rep = bring('submitted');
    my $id = $rep->{id};

    for my $c (['GET', "reports/$id/dispatch", 'POST'],
        ['PUT', "reports/$id/dispatch", 'POST'],
        ['DELETE', "reports/$id/comments", 'POST'],
        ['PATCH', "reports/$id/feedback", 'POST'],
        ['POST', "reports/$id/events", 'GET, HEAD'],
        ['DELETE', "reports/$id", 'GET, HEAD'],
        ['POST', 'queue', 'GET, HEAD'],
        ['PUT', 'queue', 'GET, HEAD'])
    {
        my ($method, $path, $allow) = @$c;
        my $r = $t->http_request($method, "/api/v1/$path",
            headers => { Authorization => "Bearer $ADMIN",
                'Content-Type' => 'application/json' },
            body => '{"agency":"dinkes"}');
        $t->problem_ok($r, 405, 'method-not-allowed', "$method $path: 405");
        is($r->{headers}{allow}, $allow, "... Allow: $allow");
    }

    is($t->report_hash("${P}report:$id")->{version}, 1, 'nothing changed');
};

subtest 'tokens: 401 without or with a bad one, 403 for a wrong role' => sub {
    my $rep = bring('dispatched');
    my $other = bring('followed_up');
    my $id = $rep->{id};

    for my $action (sort keys %RULES) {
        my $r = $t->report_action($id, $action, body => $BODY{$action});
        $t->problem_ok($r, 401, 'invalid-token', "$action without a token: "
            . '401');
        like($r->{headers}{'www-authenticate'} || '', qr/^Bearer\b/,
            '... WWW-Authenticate: Bearer');

        $r = $t->report_action($id, $action, token => 'no-such-token-123',
            body => $BODY{$action});
        $t->problem_ok($r, 401, 'invalid-token', "$action with a bad token: "
            . '401');
        like($r->{headers}{'www-authenticate'} || '', qr/^Bearer\b/,
            '... WWW-Authenticate: Bearer');
    }

    for my $auth ('Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer    ',
        $ADMIN)
    {
        my $r = $t->report_action($id, 'clarify', body => $BODY{clarify},
            headers => { Authorization => $auth });
        $t->problem_ok($r, 401, 'invalid-token', "Authorization: "
            . substr($auth, 0, 12) . '...: 401');
    }

    # the tracking token of another report is no token for this one
    my $r = $t->report_action($id, 'comments', token => $other->{track},
        body => $BODY{comments});
    ok(!check_problem($r, [401, 403]),
        'another report\'s tracking token: 401 or 403') or diag($r->{body});

    # the report's own tracking token is a reporter's, not an officer's
    for my $action (qw/ dispatch respond clarify not_authority /) {
        $r = $t->report_action($id, $action, token => $rep->{track},
            body => $BODY{$action});
        problem_in($r, [401, 403], ['invalid-token', 'forbidden'],
            "the reporter may not $action: 403 (or 401)");
    }

    # officers' queues
    $r = $t->queue_get(undef, '');
    ok(!check_problem($r, 401), 'queue without a token: 401');
    $r = $t->queue_get($rep->{track}, '');
    ok(!check_problem($r, [401, 403]), 'queue with a tracking token: 401 '
        . 'or 403');
    $r = $t->queue_get('no-such-token-123', '');
    $t->problem_ok($r, 401, 'invalid-token', 'queue with a bad token: 401');

    is($t->report_hash("${P}report:$id")->{version}, 2, 'nothing changed');
};

subtest 'GET queue without Authorization: 401 invalid-token' => sub {
    my $rep = bring('submitted');
    for my $token (undef, $rep->{track}, 'no-such-token-123') {
        my $r = $t->queue_get($token, '');
        $t->problem_ok($r, 401, 'invalid-token', 'queue with '
            . (defined $token ? "token $token" : 'no token') . ': 401');
        like($r->{headers}{'www-authenticate'} // '',
            qr/^Bearer error="invalid_token"/, '... WWW-Authenticate');
    }
};

subtest '401 for a token that is no officer\'s, 403 for a role that may not act'
    => sub {
    my $rep = bring('dispatched');
    my $id = $rep->{id};

    for my $action (qw/ dispatch defer archive respond clarify follow_up
        not_authority /)
    {
        my $r = $t->report_action($id, $action, token => $rep->{track},
            body => $BODY{$action});
        $t->problem_ok($r, 401, 'invalid-token',
            "the report's tracking token on $action: 401");
    }

    for my $c ([$PUPR, 'agency', 'dispatch'], [$PUPR, 'agency', 'defer'],
        [$ADMIN, 'admin', 'respond'], [$ADMIN, 'admin', 'comments'],
        [$PUPR, 'agency', 'feedback'])
    {
        my ($token, $role, $action) = @$c;
        my $r = $t->report_action($id, $action, token => $token,
            body => $BODY{$action});
        $t->problem_ok($r, 403, 'forbidden', "$role on $action: 403");
    }
    is($t->report_hash("${P}report:$id")->{version}, 2, 'nothing changed');
};

subtest 'queue parameters: 400 invalid-query' => sub {
    for my $q ('status=closed', 'status=archived', 'status=nope',
        'overdue=2', 'overdue=yes', 'limit=0', 'limit=101', 'limit=x',
        'cursor=abc', 'agency=tidak-ada', 'agency=dinkes&status=submitted',
        'overdue=1&status=followed_up')
    {
        my $r = $t->queue_get($ADMIN, $q);
        $t->problem_ok($r, 400, 'invalid-query', "queue?$q: 400");
        ok(@{($r->{json} || {})->{errors} || []}, '... with errors');
    }

    for my $q ('status=submitted', 'limit=1', 'limit=100', 'overdue=0',
        'overdue=1', 'agency=dinkes', 'agency=dinkes&status=in_progress')
    {
        is($t->queue_get($ADMIN, $q)->{status}, 200, "queue?$q: 200");
    }
};

$t->finish;
