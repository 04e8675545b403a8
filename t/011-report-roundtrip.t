#!/usr/bin/perl

# A report's round trip: POST reports (201, Location, tracking token,
# due_at), GET reports/{id} as the public sees it (masking, anonymity,
# confidentiality) and as its reporter sees it with the tracking token, and
# what lands in Redis: the identity only encrypted, the token only hashed,
# the timeline, queues, event stream and statistics.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Digest::SHA qw/ sha256_hex /;
use JSON::PP;
use Time::Local qw/ timegm /;
use Time::HiRes qw/ time /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $catalog = json_decode($t->read_file(
    "$Lapor::Test::REPO/examples/catalog.json"));
my %holiday = map { $_->{date} => 1 } @{$catalog->{holidays}};
my %agency = map { $_->{code} => $_ } @{$catalog->{agencies}};

# What the public view may contain, and the confidential one.  `version`
# (the revision that If-Match and ETag use) is neither content nor identity
# and may appear in both.
my @PUBLIC = qw/ id status created_at updated_at due_at overdue agency
    confidential anonymous type category channel title body location
    occurred_on reporter version /;
my @CONFIDENTIAL = qw/ id status created_at updated_at due_at overdue agency
    confidential /;

# The members of a view, without `version`.
sub members {
    my ($j) = @_;
    return [sort grep { $_ ne 'version' } keys %{$j || {}}];
}

# The documented fields of a new report's hash (one with a location and an
# identity has all of them); the fields at their first value are left out
# (redis/README.md).
my @HASH_FIELDS = qw/ id type category agency title body place lat lon
    occurred_on channel status created_at due_at token_sha256 reporter /;
my @FIRST_VALUE = qw/ anonymous confidential flagged version updated_at
    entered_at /;

my $TIME = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;

sub post {
    my ($doc, %o) = @_;
    my $r = $t->post_report($doc, %o);
    return $r;
}

# POST a report that must succeed; returns the 201 answer.
sub created {
    my ($doc, $name) = @_;
    my $r = post($doc);
    is($r->{status}, 201, "201: $name") or diag($r->{body});
    return $r;
}

sub view {
    my ($id, %headers) = @_;
    return $t->http_get("/api/v1/reports/$id", headers => \%headers);
}

sub owner_view {
    my ($id, $token, %headers) = @_;
    return view($id, Authorization => "Bearer $token", %headers);
}

# Days since the epoch of a YYYY-MM-DD date, and back.
sub days_of {
    my ($y, $m, $d) = $_[0] =~ /^(\d{4})-(\d\d)-(\d\d)/ or die "date $_[0]";
    return timegm(0, 0, 0, $d, $m - 1, $y) / 86400;
}

sub date_of {
    my @tm = gmtime($_[0] * 86400);
    return sprintf '%04d-%02d-%02d', $tm[5] + 1900, $tm[4] + 1, $tm[3];
}

# The end of the Nth working day after the local day of $created.
sub expected_due {
    my ($created, $n) = @_;
    my $day = days_of($created);
    while ($n > 0) {
        $day++;
        my $wday = ($day + 4) % 7;    # 1970-01-01 was a Thursday
        next if $wday == 0 || $wday == 6 || $holiday{date_of($day)};
        $n--;
    }
    return date_of($day) . 'T23:59:59+08:00';
}

# Seconds since the epoch of an RFC 3339 time with an offset.
sub epoch_of {
    my ($y, $mo, $d, $h, $mi, $s, $sign, $oh, $om) = $_[0] =~
        /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)$/
        or return undef;
    my $off = ($oh * 3600 + $om * 60) * ($sign eq '+' ? 1 : -1);
    return timegm($s, $mi, $h, $d, $mo - 1, $y) - $off;
}

sub stats { $t->stats_hash("${P}stats") }

###############################################################################

my $doc = $t->report_doc(
    reporter => { name => 'Ni Luh Putu Sekarwangi',
        contact => 'sekarwangi.luh@example.org' },
);

my ($id, $token, $created);
my $stats0 = stats();

subtest 'POST reports answers 201 with Location and the tracking data' => sub {
    my $t0 = time;
    my $r = created($doc, 'a complete report');
    my $j = $r->{json} || {};

    like($r->{headers}{'content-type'} || '', qr{^application/json\b},
        'content type application/json');
    is($r->{headers}{'cache-control'}, 'no-store', 'Cache-Control: no-store');
    is_deeply([sort keys %$j],
        [sort qw/ id tracking_token status created_at due_at /],
        'exactly id, tracking_token, status, created_at, due_at');

    like($j->{id} // '', qr/^[1-9]\d*$/, 'a positive numeric id');
    like($r->{body}, qr/"id"\s*:\s*\d+[,}]/, 'id is a JSON number');
    is($r->{headers}{location}, "/api/v1/reports/$j->{id}",
        'Location is the report below the API prefix');
    like($j->{tracking_token} // '', qr/^[A-Za-z0-9_-]{32}$/,
        'tracking token: 32 characters of base64url');
    is($j->{status}, 'submitted', 'status submitted');
    like($j->{created_at} // '', $TIME, 'created_at in +08:00');
    like($j->{due_at} // '', qr/T23:59:59\+08:00$/,
        'due_at is the end of a day in +08:00');

    my $c = epoch_of($j->{created_at} // '') // 0;
    ok(abs($c - $t0) <= 2 + $t->tmo(1), 'created_at is now')
        or diag("created_at $j->{created_at}, now " . int $t0);

    ($id, $token, $created) = @$j{qw/ id tracking_token created_at /};
};

subtest 'due_at: end of the 3rd working day after the day of submission' => sub {
    my $r = view($id);
    my $due = $r->{json}{due_at} // '';
    my $c = epoch_of($created);

    cmp_ok(epoch_of($due) // 0, '>=', $c + 3 * 86400,
        'at least three days after created_at');
    like($due, qr/T23:59:59\+08:00$/, 'ends at 23:59:59 +08:00');
    is($due, expected_due($created, 3),
        'weekends and the catalog holidays skipped (dispatch_days 3)');

    # categories that override dispatch_days
    for my $cat (qw/ bencana perempuan-anak /) {
        my $r = created($t->report_doc(category => $cat), $cat);
        is($r->{json}{due_at}, expected_due($r->{json}{created_at}, 1),
            "$cat: dispatch_days 1 from the category");
    }
};

subtest 'GET reports/{id}: the public view' => sub {
    my $r = view($id);
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'} || '', qr{^application/json\b},
        'application/json');
    my $j = $r->{json} || {};

    my %allowed = map { $_ => 1 } @PUBLIC;
    my @extra = grep { !$allowed{$_} } keys %$j;
    is_deeply(\@extra, [], 'no member beyond the public ones');

    is($j->{id}, $id, 'id');
    is($j->{status}, 'submitted', 'status');
    is($j->{created_at}, $created, 'created_at as in the 201');
    is($j->{updated_at}, $created, 'updated_at = created_at');
    like($j->{due_at} // '', $TIME, 'due_at');
    ok(defined $j->{overdue} && !$j->{overdue}, 'overdue false');
    is_deeply($j->{agency}, { code => 'pupr-kim',
            name => $agency{'pupr-kim'}{name}{id} },
        "the category's default agency, Indonesian name");
    ok(JSON::PP::is_bool($j->{confidential}) && !$j->{confidential},
        'confidential false');
    ok(JSON::PP::is_bool($j->{anonymous}) && !$j->{anonymous},
        'anonymous false');
    is($j->{type}, 'pengaduan', 'type');
    is($j->{category}, 'infrastruktur', 'category');
    is($j->{channel}, 'web', 'channel');
    is($j->{title}, $doc->{title}, 'title');
    is($j->{body}, $doc->{body}, 'body');
    is($j->{location}{text}, $doc->{location}{text}, 'location.text');
    ok(abs(($j->{location}{lat} // 0) - $doc->{location}{lat}) < 1e-9
        && abs(($j->{location}{lon} // 0) - $doc->{location}{lon}) < 1e-9,
        'lat and lon');
    is($j->{occurred_on}, $doc->{occurred_on}, 'occurred_on');
    is_deeply($j->{reporter}, { name => $doc->{reporter}{name} },
        'reporter: the name only');
    ok(index($r->{body}, $doc->{reporter}{contact}) < 0,
        'the contact appears nowhere');
    ok(!grep({ /token/ } keys %$j), 'no token');
};

subtest 'GET with the tracking token: the reporter sees everything' => sub {
    my $r = owner_view($id, $token);
    is($r->{status}, 200, 'status 200');
    my $j = $r->{json} || {};
    is_deeply($j->{reporter}, $doc->{reporter}, 'reporter name and contact');
    ok(defined $j->{version}, 'version');
    is($j->{title}, $doc->{title}, 'title');
    is($j->{id}, $id, 'id');
    ok(index($r->{body}, $token) < 0, 'the token is not repeated');

    $r = owner_view($id, $token, 'Accept-Language' => 'en');
    is($r->{json}{agency}{name}, $agency{'pupr-kim'}{name}{en},
        'agency name in English with Accept-Language: en');
};

subtest 'a wrong tracking token is 401' => sub {
    my $wrong = $token;
    substr($wrong, 0, 1) = substr($wrong, 0, 1) eq 'A' ? 'B' : 'A';
    $t->problem_ok(owner_view($id, $wrong), 401, 'invalid-token',
        'one character changed');
    $t->problem_ok(owner_view($id, 'x' x 32), 401, 'invalid-token',
        'a made-up token');
    $t->problem_ok(owner_view($id, substr($token, 0, 31)), 401,
        'invalid-token', 'a prefix of the token');

    my $other = created($t->report_doc, 'another report')->{json};
    $t->problem_ok(owner_view($id, $other->{tracking_token}), 401,
        'invalid-token', "another report's token");
    is(owner_view($other->{id}, $other->{tracking_token})->{status}, 200,
        'which opens its own report');
};

subtest 'report numbers: 404 for bad paths and unknown reports' => sub {
    for my $p (qw{ reports/0 reports/01 reports/abc reports/1x reports/-1
        reports/1.0 reports/ reports/1/ })
    {
        $t->problem_ok($t->http_get("/api/v1/$p"), 404, 'not-found', $p);
    }
    $t->problem_ok(view(987654321), 404, 'report-not-found',
        'a number no report has');
    $t->problem_ok(view('9' x 15), 404, 'report-not-found', '15 digits');
    $t->problem_ok($t->http_get('/api/v1/reports/' . ('9' x 40)), 404, undef,
        '40 digits');
};

subtest 'HEAD reports/{id}' => sub {
    my $r = $t->http_raw($t->raw_request('HEAD', "/api/v1/reports/$id"));
    is($r->{status}, 200, 'status 200');
    is($r->{body}, '', 'no body');
};

subtest 'Redis holds the identity encrypted and the token hashed' => sub {
    my $h = $t->redis_hash("${P}report:$id");
    ok(%$h, "the hash ${P}report:$id exists") or return;

    my @missing = grep { !defined $h->{$_} } @HASH_FIELDS;
    is_deeply(\@missing, [], 'every documented field');
    my %known = map { $_ => 1 } @HASH_FIELDS, @FIRST_VALUE;
    is_deeply([sort grep { !$known{$_} } keys %$h], [], 'no other field');
    is_deeply([grep { defined $h->{$_} } @FIRST_VALUE], [],
        'fields at their first value left out');
    is($h->{id}, $id, 'id');
    is($h->{status}, 'submitted', 'status');
    is($t->report_hash("${P}report:$id")->{version}, '1',
        'version 1 (absent)');
    is($h->{category}, 'infrastruktur', 'category');
    is($h->{agency}, 'pupr-kim', 'agency');
    is($h->{token_sha256}, sha256_hex($token), 'token_sha256');
    like($h->{reporter} // '', qr/^v1\.[A-Za-z0-9_-]+$/,
        'reporter: v1. and base64url');

    my $all = $t->redis_contents('*');
    my %secret = (
        name => $doc->{reporter}{name},
        contact => $doc->{reporter}{contact},
        'name (lower case)' => lc $doc->{reporter}{name},
        'contact local part' => 'sekarwangi.luh',
        'tracking token' => $token,
    );
    for my $what (sort keys %secret) {
        my @where = grep {
            my $k = $_;
            index($k, $secret{$what}) >= 0
                || grep { index($_, $secret{$what}) >= 0 } @{$all->{$k}}
        } sort keys %$all;
        is_deeply(\@where, [], "no $what in any Redis key or value");
    }
};

subtest 'an anonymous report never shows its reporter publicly' => sub {
    my $anon = $t->report_doc(anonymous => JSON::PP::true,
        reporter => { name => 'Komang Ayu Anonim',
            contact => '+62 812 3456 7890' });
    my $c = created($anon, 'anonymous with an identity')->{json};

    my $r = view($c->{id});
    is($r->{status}, 200, 'public view 200');
    ok($r->{json}{anonymous}, 'anonymous true');
    ok(!defined $r->{json}{reporter}, 'no reporter in the public view');
    ok(index($r->{body}, 'Komang') < 0, 'the name appears nowhere');
    ok(index($r->{body}, '3456') < 0, 'the contact appears nowhere');

    $r = owner_view($c->{id}, $c->{tracking_token});
    is_deeply($r->{json}{reporter}, $anon->{reporter},
        'the reporter sees the identity given');

    my $all = $t->redis_contents("${P}*");
    ok(!grep({ grep { /Komang|3456 7890/ } @$_ } values %$all),
        'the identity is not in Redis in plaintext');

    my $bare = $t->report_doc(anonymous => JSON::PP::true,
        reporter => undef);
    $c = created($bare, 'anonymous without an identity')->{json};
    $r = view($c->{id});
    ok(!defined $r->{json}{reporter}, 'public: no reporter');
    my $h = $t->report_hash("${P}report:$c->{id}");
    ok(!exists $h->{reporter}, 'no reporter field in the hash');
    is($h->{anonymous}, '1', 'anonymous stored');
    $r = owner_view($c->{id}, $c->{tracking_token});
    is($r->{status}, 200, 'the reporter can still follow it');
    ok(!$r->{json}{reporter}, 'with no identity to show');
};

subtest "a confidential report's public view: status, dates, agency" => sub {
    my $conf = $t->report_doc(confidential => JSON::PP::true,
        category => 'korupsi-pungli',
        title => 'Pungutan liar RahasiaJudul di loket Samsat',
        body => 'Petugas RahasiaIsi meminta uang tambahan tanpa kuitansi '
            . 'setiap kali perpanjangan STNK.',
        location => { text => 'Kantor RahasiaTempat', lat => -8.6,
            lon => 115.2 },
        reporter => { name => 'Wayan RahasiaNama',
            contact => 'wayan@example.net' });
    my $c = created($conf, 'confidential')->{json};

    my $r = view($c->{id});
    is($r->{status}, 200, 'status 200');
    is_deeply(members($r->{json}), [sort @CONFIDENTIAL],
        'exactly id, status, dates, overdue, agency, confidential');
    ok($r->{json}{confidential}, 'confidential true');
    is($r->{json}{agency}{code}, 'inspektorat', 'the agency');
    for my $secret (qw/ RahasiaJudul RahasiaIsi RahasiaTempat RahasiaNama
        korupsi-pungli pengaduan wayan@ /)
    {
        ok(index($r->{body}, $secret) < 0, "no $secret in the public JSON");
    }

    $r = owner_view($c->{id}, $c->{tracking_token});
    is($r->{json}{title}, $conf->{title}, 'the reporter sees the title');
    is($r->{json}{body}, $conf->{body}, 'and the body');
    is_deeply($r->{json}{reporter}, $conf->{reporter}, 'and the identity');

    my $both = $t->report_doc(confidential => JSON::PP::true,
        anonymous => JSON::PP::true,
        title => 'Keduanya RahasiaAnonim judul laporan');
    $c = created($both, 'confidential and anonymous')->{json};
    $r = view($c->{id});
    is_deeply(members($r->{json}), [sort @CONFIDENTIAL],
        'both: the confidential view');
    ok(index($r->{body}, 'RahasiaAnonim') < 0, 'no title');
    ok(index($r->{body}, 'Wirawan') < 0, 'no reporter');
};

subtest 'personal data in free text is masked publicly' => sub {
    my %pii = (
        nik => '5171012345678901',
        phone1 => '0812-3456-7890',
        phone2 => '+62 361 222 333',
        email => 'budi.santoso@mail.example.com',
    );
    my $m = $t->report_doc(
        title => "Pungli KTP, hubungi $pii{phone1} segera",
        body => "Saya dimintai uang untuk KTP dengan NIK $pii{nik} di "
            . "kantor RT 05. Telepon kantor $pii{phone2}, e-mail "
            . "$pii{email}. Kejadian 2 Juni 2025 pukul 10.",
        location => { text => "Dekat rumah $pii{email}" },
    );
    my $c = created($m, 'a report with personal data in its text')->{json};

    my $r = view($c->{id});
    my $j = $r->{json} || {};
    for my $what (sort keys %pii) {
        my $p = $pii{$what};
        ok(index($r->{body}, $p) < 0, "public: no $what");
    }
    ok($r->{body} !~ /5171012345678901|3456|7890|222 333|santoso/,
        'no digit group or e-mail part of them either');
    like($j->{body} // '', qr/Saya dimintai uang untuk KTP dengan NIK \*/,
        'the rest of the body is intact');
    like($j->{body} // '', qr/RT 05\./, 'short numbers stay');
    like($j->{body} // '', qr/2 Juni 2025 pukul 10\./, 'dates stay');
    like($j->{title} // '', qr/^Pungli KTP, hubungi [*\s-]+ segera$/,
        'the phone number in the title is masked');
    like($j->{location}{text} // '', qr/^Dekat rumah \S*\*/,
        'the e-mail in location.text is masked');
    is(length($j->{body} // ''), length($m->{body}),
        'masking keeps the length');
    my $stars = () = ($j->{body} // '') =~ /\*/g;
    cmp_ok($stars, '>=', 16 + 9 + 9, 'with stars for the digits');

    $r = owner_view($c->{id}, $c->{tracking_token});
    is($r->{json}{title}, $m->{title}, 'the reporter: title unmasked');
    is($r->{json}{body}, $m->{body}, 'body unmasked');
    is($r->{json}{location}{text}, $m->{location}{text},
        'location.text unmasked');
};

subtest 'problem texts: Indonesian by default, English on request' => sub {
    my $r = view(999999);
    $t->problem_ok($r, 404, 'report-not-found', 'default');
    is($r->{headers}{'content-language'}, 'id', 'Content-Language: id');
    my $title_id = $r->{json}{title} // '';

    $r = view(999999, 'Accept-Language' => 'en');
    $t->problem_ok($r, 404, 'report-not-found', 'en');
    is($r->{headers}{'content-language'}, 'en', 'Content-Language: en');
    like($r->{json}{title} // '', qr/not found/i, 'English title');
    isnt($r->{json}{title}, $title_id, 'not the Indonesian title');

    $r = view(999999, 'Accept-Language' => 'en-US,en;q=0.9');
    is($r->{headers}{'content-language'}, 'en', 'en-US,en;q=0.9: en');
    $r = view(999999, 'Accept-Language' => 'id, en;q=0.5');
    is($r->{headers}{'content-language'}, 'id', 'id preferred: id');

    $r = post({ title => 'x' }, headers => { 'Accept-Language' => 'en' });
    $t->problem_ok($r, 400, 'invalid-report', 'validation, en');
    my ($e) = grep { $_->{field} eq 'title' } @{$r->{json}{errors} || []};
    my $en = $e->{message} // '';
    like($en, qr/\b10\b/, 'field message in English, with the minimum');
    $r = post({ title => 'x' });
    ($e) = grep { $_->{field} eq 'title' } @{$r->{json}{errors} || []};
    like($e->{message} // '', qr/\b10\b/, 'and in Indonesian by default');
    isnt($e->{message}, $en, 'the two differ');

    my $id401 = owner_view($id, 'wrong')->{json}{title} // '';
    $r = owner_view($id, 'wrong', 'Accept-Language' => 'en');
    is($r->{headers}{'content-language'}, 'en', '401 in English');
    ok(length($r->{json}{title} // '') && $r->{json}{title} ne $id401,
        'with an English title');
};

subtest 'timeline, queues, event stream and statistics' => sub {
    my $before = stats();
    my $month = $t->redis_hash("${P}stats:" . substr($created, 0, 7));

    my $d = $t->report_doc(type => 'aspirasi', category => 'pariwisata',
        channel => 'kiosk');
    my $c = created($d, 'one more report')->{json};
    my $rid = $c->{id};

    my $after = stats();
    for my $f ('submitted', 'status:submitted', 'type:aspirasi',
        'category:pariwisata', 'agency:dispar', 'channel:kiosk')
    {
        is(($after->{$f} // 0) - ($before->{$f} // 0), 1,
            "stats $f incremented");
    }
    is(($after->{submitted} // 0) - ($stats0->{submitted} // 0),
        scalar(grep { !/:events$/ } $t->redis_scan("${P}report:*")),
        'stats submitted counts every report of this file');

    my ($y, $ym) = (substr($c->{created_at}, 0, 4),
        substr($c->{created_at}, 0, 7));
    is($t->redis_cmd('EXISTS', "${P}stats:$y"), 0,
        "no stats:$y: a year is the sum of its months");
    is(($t->redis_hash("${P}stats:$ym")->{submitted} // 0)
        - ($month->{submitted} // 0), 1, "stats:$ym submitted");

    # the timeline's first entry follows from the hash: no list stored
    is($t->redis_cmd('EXISTS', "${P}report:$rid:events"), 0,
        'no timeline list stored');
    my $tl = $t->report_events($rid, $c->{tracking_token});
    is($tl->{status}, 200, 'GET events') or diag $tl->{body};
    is(scalar @{$tl->{json}{events} || []}, 1, 'one timeline event');
    my $ev = $tl->{json}{events}[0] || {};
    is($ev->{type}, 'submitted', 'event type submitted');
    is($ev->{status}, 'submitted', 'event status');
    is($ev->{at}, $c->{created_at}, 'at: created_at');

    my $score = $t->redis_cmd('ZSCORE', "${P}queue:submitted", $rid);
    my $prev = $t->redis_cmd('ZSCORE', "${P}queue:submitted", $id);
    ok(defined $score, 'in queue:submitted');
    ok(defined $prev && $score >= $prev, 'after an older report');
    $score = $t->redis_cmd('ZSCORE', "${P}deadlines:submitted", $rid);
    ok(defined $score, 'in deadlines:submitted');
    is($t->redis_cmd('EXISTS', "${P}deadlines"), 0,
        'no union set "deadlines" (the per-state sets serve)');

    my $stream = $t->redis_cmd('XRANGE', "${P}events", '-', '+');
    my @mine = grep {
        my %f = @{$_->[1]};
        ($f{id} // '') eq $rid
    } @$stream;
    is(scalar @mine, 1, 'one stream entry for the report');
    my %f = @{$mine[0][1] || []};
    is($f{event}, 'report.submitted', 'event report.submitted');
    my $entry = join ' ', @{$mine[0][1] || []};
    ok($entry !~ /Wirawan|example\.com|\Q$d->{title}\E/,
        'no identity or text in the stream');
};

$t->finish;
