#!/usr/bin/perl

# lapor-show, lapor-overdue and lapor-stats (lua-free-scripts/) against
# Redis started from the shipped files, on reports written by the module
# through the API, logged in as the read-only user "reader":
# - lapor-show: the hash, version, deadline, timeline and sorted sets of a
#   report, equal to what Redis and the API hold; the identity sealed
#   unless --reveal --key FILE, which opens it (AES-256-GCM, checked
#   against the API's admin view) and says so on stderr; an identity
#   copied to another report, or a wrong key, does not open; a report in
#   the wrong sorted sets is pointed out (exit 1);
# - lapor-overdue: the overdue reports by agency, latest first, late in the
#   catalog's working days (weekends and holidays of examples/catalog.json);
# - lapor-stats: the year, its months, p50/p90 and the deadline shares equal
#   GET stats on the same counters (rounding of the rates included).

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::Local ();
use MIME::Base64 ();

use Lapor::Test;
use Lapor::Ops qw/ ops_run /;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $API = '/api/v1';
my $CATALOG = "$Lapor::Test::REPO/examples/catalog.json";

my $TOK = $t->officer_tokens({
    'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim',
});
my $ADMIN = $TOK->{'admin-bali'};

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
$t->wait_status("$API/health", 200, 10);

my $KEYFILE = $t->testdir . '/identity.key';

# The timeline's first entry as the module stored it up to 0.1.0.
sub submission_entry {
    my ($at) = @_;
    return qq({"type":"submitted","at":$at,"actor":"reporter",)
        . q("status":"submitted","visibility":"public"});
}

sub submit {
    my (%o) = @_;
    my $r = $t->post_report($t->report_doc(%o));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    return $r->{json}{id};
}

my $name = "I Gusti \"Ngurah\" \x{c9}ka, S.T.";
my $contact = "+62 812-3456-7890";
my $r1 = submit(title => 'Jalan rusak, berlubang "besar" di desa',
    body => "Baris pertama.\nBaris kedua dengan koma, kutip \" dan \\.",
    reporter => { name => $name, contact => $contact });
my $r2 = submit(title => 'Laporan kedua untuk dinas kesehatan',
    category => 'kesehatan');
my $r3 = submit(title => 'Laporan ketiga tanpa identitas pelapor',
    reporter => undef, anonymous => JSON::PP::true);

is($t->report_action($r1, 'dispatch', token => $ADMIN,
    body => { agency => 'pupr-kim', message => 'Mohon dicek.' })->{status},
    200, 'report 1 dispatched');
is($t->report_action($r1, 'respond', token => $TOK->{'pupr.petugas'},
    body => { message => "Kami cek,\nbesok." })->{status}, 200,
    'report 1 in progress');

###############################################################################
# lapor-show.

subtest 'lapor-show --json: the hash, timeline and sets as in Redis' => sub {
    my $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--json', $r1 ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    is($r->{err}, '', 'nothing on stderr');
    my $j = eval { Lapor::Test::json_decode($r->{out}) };
    ok($j, 'JSON') or return diag($r->{out});
    my %h = %{$t->redis_hash("${P}report:$r1")};
    my $sealed = delete $h{reporter};
    ok($sealed, 'the report has a sealed identity');
    is_deeply($j->{hash}, \%h, 'every field but the identity, decoded')
        or diag(explain($j->{hash}));
    unlike($r->{out}, qr/\Q$sealed\E/, 'the sealed value is not printed');
    is($j->{reporter}, 'sealed', 'reporter: sealed');
    is($j->{version}, $h{version}, 'version');
    is($j->{due_at}, $h{due_at}, 'due_at');
    is($j->{overdue}, JSON::PP::false, 'not overdue');

    # the list holds the actions; the submission entry is made up from
    # created_at, byte for byte the entry the module stored up to 0.1.0
    my $events = $t->redis_cmd('LRANGE', "${P}report:$r1:events", 0, -1);
    is(scalar @$events, 2, 'two stored entries: the actions');
    my $first = submission_entry($h{created_at});
    is_deeply($j->{timeline}, [ map { Lapor::Test::json_decode($_) }
        $first, @$events ], 'the timeline: the submission, then the list');
    like($r->{out}, qr/"timeline":\[\Q$first\E,/,
        'the submission entry as it was stored');
    is(scalar @{$j->{timeline}}, 3, 'three events');
    my $api = $t->report_events($r1, $ADMIN)->{json};
    is_deeply([ map { $_->{type} } @{$j->{timeline}} ],
        [ map { $_->{type} } @{$api->{events}} ], 'as GET events has them');

    my $zs = $t->report_zsets($NS, $r1);
    is_deeply($j->{sorted_sets}, $zs, 'the sorted sets and scores')
        or diag(explain($j->{sorted_sets}, $zs));
    is_deeply([ sort keys %{$j->{sorted_sets}} ],
        [ sort 'queue:in_progress', 'inbox:pupr-kim',
            'inbox:pupr-kim:in_progress',
            'deadlines:in_progress', 'public:status:in_progress',
            'public:agency:pupr-kim', 'public:category:infrastruktur:open',
            'updated' ],
        'those of in_progress and of the lists by creation time');
    is_deeply($j->{missing_from}, [], 'missing from none');
    is_deeply($j->{unexpected_in}, [], 'in no other');
};

subtest 'lapor-show as text' => sub {
    my $r = ops_run($t, 'lapor-show', [ '-n', $NS, $r2 ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    like($r->{out}, qr/^report $r2 \(lapor:\{bali\}:report:$r2\)$/m, 'head');
    like($r->{out}, qr/^  status      submitted, version 1$/m, 'status');
    like($r->{out}, qr/^  reporter      \(sealed\)$/m, 'identity sealed');
    like($r->{out}, qr/^reporter: sealed \(--reveal --key FILE opens it\)$/m,
        'and how to open it');
    like($r->{out}, qr/^  queue:submitted\s+\d+ \(\d{4}-\d\d-\d\dT[\d:]+Z, #$r2\)$/m,
        'queue:submitted');
    like($r->{out}, qr/^timeline \(1\):\n  \S+Z  \{"type":"submitted"/m,
        'timeline');

    $r = ops_run($t, 'lapor-show', [ '-n', $NS, $r3 ]);
    is($r->{rc}, 0, 'anonymous: exit 0') or diag($r->{err});
    like($r->{out}, qr/^reporter: none$/m, 'no identity');
};

subtest 'lapor-show --reveal --key FILE' => sub {
    my $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--json', '--reveal',
        '--key', $KEYFILE, $r1 ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    like($r->{err}, qr/^lapor-show: the reporter identity of lapor:\{bali\}:report:$r1 is revealed$/,
        'said on stderr');
    my $j = Lapor::Test::json_decode($r->{out});
    my $admin = $t->report_view($r1, $ADMIN)->{json};
    is_deeply($j->{reporter}, $admin->{reporter},
        'name and contact as in the admin view');
    is($j->{reporter}{name}, $name, 'the name, non-ASCII');
    is($j->{reporter}{contact}, $contact, 'the contact');

    $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--reveal', '--key',
        $KEYFILE, $r1 ]);
    is($r->{rc}, 0, 'text: exit 0');
    my $bytes = $name;
    utf8::encode($bytes);
    like($r->{out}, qr/^  name          \Q$bytes\E$/m, 'the name');

    # a base64url key file of the same key opens it too
    my $hex = $t->read_file($KEYFILE);
    $hex =~ s/\s+//g;
    my $b64 = MIME::Base64::encode_base64(pack('H*', $hex), '');
    $b64 =~ tr{+/}{-_};
    $b64 =~ s/=+$//;
    $t->write_file('identity.b64', "$b64\n");
    $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--json', '--reveal',
        '--key', $t->testdir . '/identity.b64', $r1 ]);
    is($r->{rc}, 0, 'base64url key file: exit 0') or diag($r->{err});
    is(Lapor::Test::json_decode($r->{out})->{reporter}{name}, $name,
        'opens');

    # another key
    $t->write_file('other.key', $t->new_key . "\n");
    $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--reveal', '--key',
        $t->testdir . '/other.key', $r1 ]);
    is($r->{rc}, 5, 'another key: exit 5');
    like($r->{err}, qr/does not open with/, 'does not open');
    is($r->{out}, '', 'nothing printed');

    # the sealed value copied to another report: the associated data (the
    # key name) differs
    my $sealed = $t->redis_cmd('HGET', "${P}report:$r1", 'reporter');
    $t->redis_cmd('HSET', "${P}report:$r3", 'reporter', $sealed);
    $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--reveal', '--key',
        $KEYFILE, $r3 ]);
    is($r->{rc}, 5, 'copied to another report: exit 5');
    like($r->{err}, qr/copied from another report/, 'does not open');
    is($t->report_view($r3, $ADMIN)->{json}{reporter}, undef,
        'nor for the module (reporter null)');
    $t->redis_cmd('HDEL', "${P}report:$r3", 'reporter');

    $t->write_file('bad.key', "not a key\n");
    $r = ops_run($t, 'lapor-show', [ '-n', $NS, '--reveal', '--key',
        $t->testdir . '/bad.key', $r1 ]);
    is($r->{rc}, 5, 'a bad key file: exit 5');
    like($r->{err}, qr/not a lapor_identity_key/, 'says so');
};

subtest 'lapor-show: errors' => sub {
    my $r = ops_run($t, 'lapor-show', [ '-n', $NS, 999 ]);
    is($r->{rc}, 1, 'no such report: exit 1');
    like($r->{err}, qr/report 999 not found in namespace bali/, 'says so');
    for my $bad ([ [ '-n', $NS ], qr/no report number/ ],
        [ [ '-n', $NS, '07' ], qr/invalid report number "07"/ ],
        [ [ '-n', $NS, 1, 2 ], qr/one report number only/ ],
        [ [ '-n', $NS, '--reveal', 1 ], qr/--reveal needs --key FILE/ ],
        [ [ '-n', $NS, '--key', $KEYFILE, 1 ], qr/--key is for --reveal/ ])
    {
        $r = ops_run($t, 'lapor-show', $bad->[0]);
        is($r->{rc}, 2, "'@{$bad->[0]}': exit 2");
        like($r->{err}, $bad->[1], 'message');
    }
    $r = ops_run($t, 'lapor-show', [ '-n', $NS, $r1 ], user => 'lapor');
    is($r->{rc}, 3, 'as lapor (no ZSCORE): exit 3');
    like($r->{err}, qr/refused a command to user "lapor": NOPERM.*zscore/,
        'the refusal named');
    $t->redis_cmd('ACL', 'LOG', 'RESET');
};

subtest 'lapor-show: a report in the wrong sorted sets' => sub {
    my $score = $t->redis_cmd('ZSCORE', "${P}deadlines:submitted", $r2);
    $t->redis_cmd('ZREM', "${P}deadlines:submitted", $r2);
    $t->redis_cmd('ZADD', "${P}autoclose", $score, $r2);
    my $r = ops_run($t, 'lapor-show', [ '-n', $NS, $r2 ]);
    is($r->{rc}, 1, 'exit 1');
    like($r->{out},
        qr/^NOT in \(its state needs them\): deadlines:submitted$/m,
        'missing from deadlines:submitted');
    like($r->{out}, qr/^ALSO in \(its state does not belong there\): autoclose$/m,
        'in autoclose');
    $t->redis_cmd('ZADD', "${P}deadlines:submitted", $score, $r2);
    $t->redis_cmd('ZREM', "${P}autoclose", $r2);
};

###############################################################################
# lapor-overdue.

# A local time in Bali (+08:00) as Unix time.
sub wita {
    my ($y, $m, $d, $H, $M, $S) = @_;
    return Time::Local::timegm($S, $M, $H, $d, $m - 1, $y) - 8 * 3600;
}

sub set_due {
    my ($id, $due, $state, $agency) = @_;
    $t->redis_cmd('HSET', "${P}report:$id", 'due_at', $due);
    my @keys = ("deadlines:$state");
    push @keys, "inbox:$agency", "inbox:$agency:$state" if $agency;
    $t->redis_cmd('ZADD', "$P$_", $t->queue_score($due, $id), $id)
        for @keys;
}

subtest 'lapor-overdue: working days of the catalog' => sub {
    # due Tuesday 17 March 2026 23:59:59 WITA; now Thursday 26 March 10:00:
    # 18 (cuti bersama), 19 (Nyepi), 20 (cuti bersama), 21-22 (Idul Fitri,
    # weekend), 23, 24 (cuti bersama) are no working days; 25 and 26 are
    my $now = wita(2026, 3, 26, 10, 0, 0);
    set_due($r1, wita(2026, 3, 17, 23, 59, 59), 'in_progress', 'pupr-kim');
    # due Wednesday 25 March: one working day late (26)
    set_due($r2, wita(2026, 3, 25, 23, 59, 59), 'submitted');

    my $r = ops_run($t, 'lapor-overdue', [ '-n', $NS, '--catalog', $CATALOG,
        '--now', $now, '--json' ]);
    is($r->{rc}, 1, 'exit 1: some are overdue') or diag($r->{err});
    my @rows = map { Lapor::Test::json_decode($_) } split /\n/, $r->{out};
    is(scalar @rows, 2, 'two');
    is_deeply([ map { "$_->{id} $_->{who} $_->{status}" } @rows ],
        [ "$r2 admin submitted", "$r1 pupr-kim in_progress" ],
        'by agency (admin first)');
    is($rows[1]{late_working_days}, 2, 'report 1: 2 working days late');
    is($rows[0]{late_working_days}, 1, 'report 2: 1 working day late');
    is($rows[1]{late_seconds}, $now - wita(2026, 3, 17, 23, 59, 59),
        'late in seconds');

    $r = ops_run($t, 'lapor-overdue', [ '-n', $NS, '--catalog', $CATALOG,
        '--now', $now ]);
    is($r->{rc}, 1, 'text: exit 1');
    like($r->{out}, qr/^namespace bali: 2 overdue \(working days of .*catalog\.json, time zone Asia\/Makassar\)$/m,
        'headline');
    like($r->{out}, qr/^pupr-kim: 1\n.*\n\s+#$r1\s+in_progress\s+2026-03-17T23:59:59\s+2\s+8\.4$/m,
        'pupr-kim: the deadline in local time, 2 working days, 8.4 days');

    $r = ops_run($t, 'lapor-overdue', [ '-n', $NS, '--catalog', $CATALOG,
        '--now', $now, '--agency', 'pupr-kim', '--json' ]);
    is(scalar(split /\n/, $r->{out}), 1, '--agency pupr-kim: one');

    $r = ops_run($t, 'lapor-overdue', [ '-n', $NS, '--catalog', $CATALOG,
        '--now', wita(2026, 3, 1, 0, 0, 0) ]);
    is($r->{rc}, 0, 'earlier: exit 0');
    like($r->{out}, qr/^namespace bali: nothing overdue$/m, 'nothing');

    $r = ops_run($t, 'lapor-overdue', [ '-n', $NS ]);
    is($r->{rc}, 2, 'no --catalog: exit 2');
    like($r->{err}, qr/--catalog FILE is needed/, 'says so');
    $r = ops_run($t, 'lapor-overdue', [ '-n', $NS, '--catalog', '/nonexistent' ]);
    is($r->{rc}, 2, 'unreadable catalog: exit 2');
};

###############################################################################
# lapor-stats.

subtest 'lapor-stats --json equals GET stats' => sub {
    # counters with every kind of figure: the module's own, and more set
    # by hand (the rates' rounding: 1/32 = 0.03125 is 0.0313)
    my $y = 2025;
    $t->redis_cmd('HSET', "${P}stats:$y-03", submitted => 32,
        followed_up => 1, dispatched => 20, closed => 1);
    $t->redis_cmd('HSET', "${P}stats:$y-07", submitted => 3,
        followed_up => 2, archived => 1);
    $t->redis_cmd('HSET', "${P}stats:hist:dispatch", 'le:3600' => 3,
        'le:86400' => 2, 'le:1728000' => 4, 'le:inf' => 1);
    $t->redis_cmd('HSET', "${P}stats:hist:response", 'le:inf' => 5,
        'le:14400' => 4);
    $t->redis_cmd('HSET', "${P}stats", dispatched_first => 7,
        dispatched_in_time => 5, followed_up_first => 3,
        followed_up_in_time => 1);

    for my $year ($y, (gmtime)[5] + 1900) {
        my $api = $t->http_get("$API/stats?year=$year")->{json};
        my $r = ops_run($t, 'lapor-stats', [ '-n', $NS, '--json',
            '--year', $year ]);
        is($r->{rc}, 0, "$year: exit 0") or diag($r->{err});
        my $j = Lapor::Test::json_decode($r->{out});
        is_deeply($j->{years}[0], $api->{year}, "$year: the year as GET stats")
            or diag(explain($j->{years}[0], $api->{year}));
        is_deeply($j->{speed}, $api->{speed}, "$year: speed as GET stats")
            or diag(explain($j->{speed}, $api->{speed}));
    }
    my $r = ops_run($t, 'lapor-stats', [ '-n', $NS, '--json', '--years',
        "$y-" . ($y + 1) ]);
    my $j = Lapor::Test::json_decode($r->{out});
    is_deeply([ map { $_->{year} } @{$j->{years}} ], [ $y, $y + 1 ],
        '--years: two');
    is($j->{years}[0]{months}[2]{follow_up_rate}, '0.0313',
        '1/32 rounded half up');
};

subtest 'lapor-stats as a table' => sub {
    my $r = ops_run($t, 'lapor-stats', [ '-n', $NS, '--year', 2025 ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    like($r->{out}, qr/^2025-03\s+32\s+20\s+1\s+1\s+0\s+0\.0313$/m, 'March');
    like($r->{out}, qr/^2025-04\s+0\s+0\s+0\s+0\s+0\s+null$/m, 'April');
    like($r->{out}, qr/^2025\s+35\s+20\s+3\s+1\s+1\s+0\.0857$/m, 'the year');
    like($r->{out}, qr/^time to dispatch\s+10\s+1d\s+20d$/m, 'p50, p90');
    like($r->{out}, qr/^time to first response\s+10\s+4h\s+-$/m,
        'over 30 days: -');
    like($r->{out}, qr/^dispatched within deadline\s+7\s+5\s+0\.7143$/m,
        'share');

    for my $bad ([ '--year', 99 ], [ '--year', '20260' ],
        [ '--years', '2026-2020' ], [ '--year' ])
    {
        $r = ops_run($t, 'lapor-stats', [ '-n', $NS, @$bad ]);
        is($r->{rc}, 2, "@$bad: exit 2");
    }
};

subtest 'lapor-show: a report of 0.1.0 keeps its stored submission entry'
    => sub {
    my $id = submit(title => 'Laporan yang ditulis oleh rilis lama');
    is($t->redis_cmd('EXISTS', "${P}report:$id:events"), 0, 'no list');
    my $new = ops_run($t, 'lapor-show', [ '-n', $NS, '--json', $id ]);
    is($new->{rc}, 0, 'exit 0') or diag($new->{err});
    my $text = ops_run($t, 'lapor-show', [ '-n', $NS, $id ]);

    # the list 0.1.0 wrote with the report
    my $h = $t->redis_hash("${P}report:$id");
    $t->redis_cmd('RPUSH', "${P}report:$id:events",
        submission_entry($h->{created_at}));
    my $old = ops_run($t, 'lapor-show', [ '-n', $NS, '--json', $id ]);
    is($old->{out}, $new->{out}, '--json: the same output, byte for byte');
    is(ops_run($t, 'lapor-show', [ '-n', $NS, $id ])->{out}, $text->{out},
        'text: the same');
    like($text->{out}, qr/^timeline \(1\):$/m, 'one entry');

    is($t->report_action($id, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' })->{status}, 200, 'dispatched');
    my $j = Lapor::Test::json_decode(ops_run($t, 'lapor-show',
        [ '-n', $NS, '--json', $id ])->{out});
    is_deeply([ map { $_->{type} } @{$j->{timeline}} ],
        [ 'submitted', 'dispatch' ], 'then the action: no second submission');
};

$t->finish;
