#!/usr/bin/perl

# GET stats against a scripted scenario: six reports (one anonymous, one
# confidential, across types, categories, agencies and channels) taken
# through dispatches (two on time, one late, one after its created_at was
# moved back), a re-dispatch, responses, follow-ups (one late), a reopen, a
# clarification, two ratings, an archive and a deferral.  "Known times" are
# made by editing the report hash in Redis between steps (created_at,
# dispatched_at, due_at), so that every duration falls in a known histogram
# bucket and every deadline check has a known outcome.  Then every figure
# of the answer is checked exactly: totals by status (equal to the real
# states), type, category, agency, channel; the year and its months per
# submission cohort with the follow-up rate; both histograms with p50/p90;
# the shares within the deadline; satisfaction; queues and overdue.  Also
# ?year= (another year, bad years), HEAD, namespaces apart, and that the
# figures come from the counters (a report hash deleted in Redis changes
# nothing, a counter changed in Redis shows at once).  docs/statistics.md
# defines every figure.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP ();
use Time::HiRes qw/ time /;
use Time::Local ();

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $API = '/api/v1';

my $TOK = $t->officer_tokens({
    'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim',
    'dinkes.petugas' => 'dinkes',
    'inspektorat.petugas' => 'inspektorat',
    'diskominfos.petugas' => 'diskominfos',
});
my $ADMIN = $TOK->{'admin-bali'};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_auto_close_interval 1s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location /other/v1/ { lapor_namespace other; lapor_api; }
        location /third/v1/ { lapor_namespace third; lapor_api; }
        location /handback/v1/ { lapor_namespace handback; lapor_api; }
        location /tz/v1/ { lapor_namespace tz; lapor_api; }
        location /auto/v1/ { lapor_namespace auto; lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status("$API/health", 200, 10);

my $TIME = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;
my @OPEN = qw/ submitted deferred dispatched in_progress followed_up /;
my @BOUNDS = qw/ 3600 14400 28800 86400 172800 259200 432000 864000
    1728000 2592000 inf /;
my $DAY = 86400;

# The current year in the catalog's time zone, the default of GET stats.
my ($YEAR) = $t->catalog_time(int time) =~ /^(\d{4})/;

###############################################################################
# Helpers.

sub stats {
    my ($query, %o) = @_;
    my $r = $t->http_get(($o{prefix} || $API) . '/stats'
        . (defined $query ? "?$query" : ''), headers => $o{headers});
    return $r;
}

# A copy of a stats answer without the moment it was made, and without
# the per-agency figures of the officers' dashboard (t/035-stats-agencies.t).
sub timeless {
    my ($j) = @_;
    my %c = %{$j || {}};
    delete $c{generated_at};
    delete $c{agencies};
    return \%c;
}

sub hist {
    my (%n) = @_;
    return { map { $_ => $n{$_} || 0 } @BOUNDS };
}

sub report_hash { $t->report_hash("${P}report:$_[0]{id}") }

sub hset {
    my ($rep, %f) = @_;
    my $r = $t->redis_cmd('HSET', "${P}report:$rep->{id}", %f);
    die "HSET: $r\n" if is_redis_error($r);
}

# A deadline in the past, as an operator would find it: the hash and the
# deadline index of its state (score = due_at * 2^20 + (id & 0xFFFFF)).
sub set_due {
    my ($rep, $due) = @_;
    hset($rep, due_at => $due);
    my $state = report_hash($rep)->{status};
    for my $key ("deadlines:$state") {
        my $r = $t->redis_cmd('ZADD', "$P$key",
            $t->queue_score($due, $rep->{id}), $rep->{id});
        die "ZADD: $r\n" if is_redis_error($r);
    }
}

my (%reports, @cohort);

sub submit {
    my ($name, %doc) = @_;
    my $r = $t->post_report($t->report_doc(%doc));
    is($r->{status}, 201, "$name submitted") or BAIL_OUT($r->{body});
    my $rep = $reports{$name} = { name => $name, id => $r->{json}{id},
        track => $r->{json}{tracking_token} };
    count($rep, 'submitted');
    return $rep;
}

# The report's submission cohort, as its hash tells it now: the year and
# month of created_at in the catalog's time zone (+08:00).
sub count {
    my ($rep, $what) = @_;
    my ($y, $m) = $t->catalog_time(report_hash($rep)->{created_at})
        =~ /^(\d{4})-(\d\d)/;
    push @cohort, [$y, "$y-$m", $what];
}

sub act {
    my ($rep, $action, $token, $body, $to) = @_;
    my $r = $t->report_action($rep->{id}, $action, token => $token,
        body => $body);
    is($r->{status}, 200, "$rep->{name}: $action") or diag($r->{body});
    is($r->{json}{status}, $to, "$rep->{name}: now $to");
    return $r;
}

###############################################################################
# Before anything happened.

my $EMPTY_SPEED = { count => 0, p50_seconds => undef, p90_seconds => undef,
    buckets => hist() };

sub period {
    my ($label, %n) = @_;
    my $p = { map { $_ => $n{$_} || 0 }
        qw/ submitted dispatched followed_up closed archived / };
    $p->{follow_up_rate} = $p->{submitted}
        ? sprintf('%.4f', $p->{followed_up} / $p->{submitted}) + 0 : undef;
    $p->{month} = $label if $label =~ /-/;
    $p->{year} = $label + 0 unless $label =~ /-/;
    return $p;
}

sub empty_year {
    my ($y) = @_;
    my $year = period($y);
    $year->{months} = [ map { period(sprintf '%04d-%02d', $y, $_) } 1 .. 12 ];
    return $year;
}

subtest 'no reports yet: zeros and nulls' => sub {
    my $r = stats();
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/json\b}, 'JSON');
    is($r->{headers}{'cache-control'}, 'no-store', 'Cache-Control: no-store');
    is($r->{json}{namespace}, $NS, 'namespace');
    like($r->{json}{generated_at}, $TIME, 'generated_at in catalog time');

    is_deeply(timeless($r->{json}), {
        namespace => $NS,
        totals => { submitted => 0, by_status => {}, by_type => {},
            by_category => {}, by_agency => {},
            by_dispatched_agency => {}, by_returning_agency => {},
            by_channel => {} },
        year => empty_year($YEAR),
        speed => {
            time_to_dispatch => $EMPTY_SPEED,
            time_to_first_response => $EMPTY_SPEED,
            dispatched_within_deadline => { count => 0, within => 0,
                share => undef },
            followed_up_within_deadline => { count => 0, within => 0,
                share => undef },
        },
        satisfaction => { ratings => 0, mean_rating => undef,
            resolved => {} },
        queues => { (map { $_ => 0 } @OPEN), overdue => 0 },
    }, 'the whole answer') or diag($r->{body});
};

###############################################################################
# The scenario.

my $R1 = submit('R1', type => 'pengaduan', category => 'infrastruktur',
    channel => 'web');
my $R2 = submit('R2', type => 'aspirasi', category => 'kesehatan',
    agency => 'rsud-bali-mandara', channel => 'app',
    anonymous => JSON::PP::true, reporter => undef,
    title => 'Antrean obat di puskesmas terlalu lama',
    body => 'Antrean pengambilan obat memakan waktu lebih dari tiga jam.');
my $R3 = submit('R3', type => 'pengaduan', category => 'korupsi-pungli',
    channel => 'sms', confidential => JSON::PP::true,
    title => 'Pungutan liar di loket pelayanan',
    body => 'Petugas loket meminta uang tambahan untuk mempercepat berkas.');
my $R4 = submit('R4', type => 'informasi', category => 'informasi-publik',
    channel => 'kiosk', title => 'Jadwal musrenbang desa',
    body => 'Mohon informasi jadwal musrenbang desa tahun depan.');
my $R5 = submit('R5', type => 'pengaduan', category => 'infrastruktur',
    channel => 'wifi-portal', title => 'Lampu jalan padam',
    body => 'Lampu jalan padam di sepanjang Jalan Teuku Umar.');
my $R6 = submit('R6', type => 'aspirasi', category => 'pendidikan',
    channel => 'counter', title => 'Usulan perpustakaan keliling',
    body => 'Mohon perpustakaan keliling untuk desa-desa di Karangasem.');

# Dispatches.  R1 and R4 at once (bucket le 3600, on time).  R2 came in
# "50 hours ago" (bucket le 259200), its deadline unchanged: on time.  R3
# came in "10 days and an hour ago" (bucket le 1728000) and its dispatch
# deadline passed a day ago: late.
count($R1, 'dispatched');
act($R1, 'dispatch', $ADMIN, { agency => 'pupr-kim' }, 'dispatched');

count($R4, 'dispatched');
act($R4, 'dispatch', $ADMIN, { agency => 'diskominfos' }, 'dispatched');

hset($R2, created_at => int(time) - 50 * 3600);
count($R2, 'dispatched');
act($R2, 'dispatch', $ADMIN, { agency => 'dinkes' }, 'dispatched');

hset($R3, created_at => int(time) - (10 * $DAY + 3600));
set_due($R3, int(time) - $DAY);
count($R3, 'dispatched');
act($R3, 'dispatch', $ADMIN, { agency => 'inspektorat' }, 'dispatched');

# A second dispatch (to another agency) counts the action, nothing else.
act($R4, 'dispatch', $ADMIN, { agency => 'dishub' }, 'dispatched');

# Not processed: archived and deferred.
count($R5, 'archived');
act($R5, 'archive', $ADMIN, { reason => 'Sudah dilaporkan di laporan lain.' },
    'archived');
act($R6, 'defer', $ADMIN, { reason => 'Mohon sebutkan desa yang dimaksud.' },
    'deferred');

# First responses.  R1 at once (le 3600); R2 dispatched "3 days and an hour
# ago" (le 432000); R3 dispatched "40 days ago" (beyond the last bound).
act($R1, 'respond', $TOK->{'pupr.petugas'},
    { message => 'Tim akan meninjau lokasi.' }, 'in_progress');

hset($R2, dispatched_at => int(time) - (3 * $DAY + 3600));
act($R2, 'respond', $TOK->{'dinkes.petugas'},
    { message => 'Kami periksa jadwal petugas farmasi.' }, 'in_progress');

hset($R3, dispatched_at => int(time) - 40 * $DAY);
act($R3, 'respond', $TOK->{'inspektorat.petugas'},
    { message => 'Laporan sedang diperiksa.' }, 'in_progress');

# A clarification moves nothing.
act($R3, 'clarify', $ADMIN, { message => 'Klarifikasi: loket nomor 3.' },
    'in_progress');

# Follow-ups: R1 and R2 within their deadline, R3 after it.
count($R1, 'followed_up');
act($R1, 'follow_up', $TOK->{'pupr.petugas'},
    { message => 'Jalan sudah ditambal.' }, 'followed_up');

count($R2, 'followed_up');
act($R2, 'follow_up', $TOK->{'dinkes.petugas'},
    { message => 'Petugas farmasi ditambah.' }, 'followed_up');

set_due($R3, int(time) - 60);
count($R3, 'followed_up');
act($R3, 'follow_up', $TOK->{'inspektorat.petugas'},
    { message => 'Petugas loket diberi sanksi.' }, 'followed_up');

# R1 is reopened by its reporter and followed up again: the second
# follow-up and the second answer count only as actions.
act($R1, 'comments', $R1->{track}, { message => 'Tambalannya lepas lagi.' },
    'in_progress');
act($R1, 'follow_up', $TOK->{'pupr.petugas'},
    { message => 'Ditambal ulang dengan beton.' }, 'followed_up');

# Ratings close R1 and R2.
count($R1, 'closed');
act($R1, 'feedback', $R1->{track}, { rating => 5, resolved => 'yes' },
    'closed');
count($R2, 'closed');
act($R2, 'feedback', $R2->{track}, { rating => 2, resolved => 'partial',
    comment => 'Masih lama, tapi lebih baik.' }, 'closed');

###############################################################################
# What the statistics must say.

my %STATUS = (submitted => 0, deferred => 1, archived => 1, dispatched => 1,
    in_progress => 0, followed_up => 1, closed => 2);

# The year table(s): the cohort counts, months zero unless counted.
sub years_expected {
    my %years;
    for my $c (@cohort) {
        my ($y, $ym, $what) = @$c;
        $years{$y}{$y}{$what}++;
        $years{$y}{$ym}{$what}++;
    }
    $years{$YEAR} ||= {};

    my %out;
    for my $y (keys %years) {
        my $year = period($y, %{$years{$y}{$y} || {}});
        $year->{months} = [ map {
            my $ym = sprintf '%04d-%02d', $y, $_;
            period($ym, %{$years{$y}{$ym} || {}});
        } 1 .. 12 ];
        $out{$y} = $year;
    }
    return \%out;
}

my $YEARS = years_expected();

my %EXPECTED = (
    namespace => $NS,
    totals => {
        submitted => 6,
        by_status => \%STATUS,
        by_type => { pengaduan => 3, aspirasi => 2, informasi => 1 },
        by_category => { infrastruktur => 2, kesehatan => 1,
            'korupsi-pungli' => 1, 'informasi-publik' => 1,
            pendidikan => 1 },
        # the agency named at submission (given, or the category's)
        by_agency => { 'pupr-kim' => 2, 'rsud-bali-mandara' => 1,
            inspektorat => 1, diskominfos => 1, disdikpora => 1 },
        # every dispatch, to the agency dispatched to (R4 twice)
        by_dispatched_agency => { 'pupr-kim' => 1, diskominfos => 1,
            dinkes => 1, inspektorat => 1, dishub => 1 },
        # every hand-back (not_authority), to the agency that handed it back
        by_returning_agency => {},
        by_channel => { web => 1, app => 1, sms => 1, kiosk => 1,
            'wifi-portal' => 1, counter => 1 },
    },
    year => $YEARS->{$YEAR},
    speed => {
        time_to_dispatch => { count => 4, p50_seconds => 3600,
            p90_seconds => 1728000,
            buckets => hist(3600 => 2, 259200 => 1, 1728000 => 1) },
        time_to_first_response => { count => 3, p50_seconds => 432000,
            p90_seconds => undef,
            buckets => hist(3600 => 1, 432000 => 1, inf => 1) },
        dispatched_within_deadline => { count => 4, within => 3,
            share => 0.75 },
        followed_up_within_deadline => { count => 3, within => 2,
            share => 0.6667 },
    },
    satisfaction => { ratings => 2, mean_rating => 3.5,
        resolved => { yes => 1, partial => 1 } },
    queues => { submitted => 0, deferred => 1, dispatched => 1,
        in_progress => 0, followed_up => 1, overdue => 0 },
);

subtest 'the cohorts of the scenario' => sub {
    # Whatever day the test runs, every report came in this year and month
    # unless a moved created_at crossed a month: the year table then shows
    # it in that month (and year), as the definition says.
    my %n;
    $n{$_->[2]}++ for @cohort;
    is_deeply(\%n, { submitted => 6, dispatched => 4, followed_up => 3,
        closed => 2, archived => 1 }, 'counted cohort events');

    my $y = $YEARS->{$YEAR};
    my $moved = grep { $_->[0] ne $YEAR } @cohort;
    is($y->{submitted}, 6, 'six submitted this year');
    is($y->{follow_up_rate}, 0.5, 'follow-up rate 3/6')
        unless $moved;
};

my $final;

subtest 'every figure, exactly' => sub {
    my $r = stats();
    is($r->{status}, 200, 'status 200') or return;
    $final = $r;
    note($r->{body});

    is_deeply(timeless($r->{json}), \%EXPECTED, 'the whole answer')
        or diag($r->{body});

    # The same, figure by figure, for readable failures.
    my $j = $r->{json};
    is_deeply($j->{totals}{by_status}, \%STATUS, 'by_status');
    is_deeply($j->{speed}{time_to_dispatch},
        $EXPECTED{speed}{time_to_dispatch}, 'time_to_dispatch');
    is_deeply($j->{speed}{time_to_first_response},
        $EXPECTED{speed}{time_to_first_response}, 'time_to_first_response');
    is_deeply($j->{satisfaction}, $EXPECTED{satisfaction}, 'satisfaction');
    is_deeply($j->{queues}, $EXPECTED{queues}, 'queues');

    # Numbers written with fixed decimals (no binary float noise).
    my $b = $r->{body};
    like($b, qr/"mean_rating":3\.50[,}]/, 'mean_rating with 2 decimals');
    like($b, qr/"dispatched_within_deadline":\{"count":4,"within":3,"share":0\.7500\}/,
        'dispatch share with 4 decimals');
    like($b, qr/"followed_up_within_deadline":\{"count":3,"within":2,"share":0\.6667\}/,
        'follow-up share with 4 decimals');
    like($b, qr/"follow_up_rate":0\.5000[,}]/,
        'a follow_up_rate with 4 decimals')
        unless grep { $_->[0] ne $YEAR } @cohort;
    like($b, qr/"follow_up_rate":null/, 'null for months without reports');
    like($b, qr/"p90_seconds":null/, 'p90 beyond the last bound is null');
};

subtest 'by_status equals the real states' => sub {
    my (%real, %queue);
    for my $rep (values %reports) {
        $real{report_hash($rep)->{status}}++;
    }
    my $j = $final->{json};
    my %counted = map { $_ => $j->{totals}{by_status}{$_} }
        grep { $j->{totals}{by_status}{$_} } keys %{$j->{totals}{by_status}};
    is_deeply(\%counted, \%real, 'non-zero counters = states of the hashes');

    my $sum = 0;
    $sum += $_ for values %{$j->{totals}{by_status}};
    is($sum, $j->{totals}{submitted}, 'by_status adds up to submitted');

    for my $s (@OPEN) {
        is($j->{queues}{$s}, $t->redis_cmd('ZCARD', "${P}queue:$s"),
            "queues.$s = ZCARD queue:$s");
        is($j->{queues}{$s}, $real{$s} || 0, "queues.$s = reports in $s");
    }
};

subtest 'the Redis counters behind the answer' => sub {
    my $raw = $t->redis_hash("${P}stats");
    is_deeply([grep { /^(submitted|type:|category:|agency:|channel:)/ }
        keys %$raw], [], 'submissions write one counter, not one a figure');
    is(scalar(grep { /^sub:/ } keys %$raw), 6,
        'six combinations of type, category, agency and channel');

    is_deeply($t->stats_hash("${P}stats"), {
        submitted => 6,
        (map { ("status:$_" => $STATUS{$_}) } keys %STATUS),
        'type:pengaduan' => 3, 'type:aspirasi' => 2, 'type:informasi' => 1,
        'category:infrastruktur' => 2, 'category:kesehatan' => 1,
        'category:korupsi-pungli' => 1, 'category:informasi-publik' => 1,
        'category:pendidikan' => 1,
        'agency:pupr-kim' => 2, 'agency:rsud-bali-mandara' => 1,
        'agency:inspektorat' => 1, 'agency:diskominfos' => 1,
        'agency:disdikpora' => 1,
        'channel:web' => 1, 'channel:app' => 1, 'channel:sms' => 1,
        'channel:kiosk' => 1, 'channel:wifi-portal' => 1,
        'channel:counter' => 1,
        'action:dispatch' => 5, 'action:archive' => 1, 'action:defer' => 1,
        'action:respond' => 3, 'action:clarify' => 1,
        'action:follow_up' => 4, 'action:comments' => 1,
        'action:feedback' => 2,
        'dispatched_to:pupr-kim' => 1, 'dispatched_to:diskominfos' => 1,
        'dispatched_to:dinkes' => 1, 'dispatched_to:inspektorat' => 1,
        'dispatched_to:dishub' => 1,
        dispatched_first => 4, dispatched_in_time => 3,
        followed_up_first => 3, followed_up_in_time => 2,
        rating_count => 2, rating_sum => 7,
        'resolved:yes' => 1, 'resolved:partial' => 1,
    }, 'stats') or diag(explain($raw));

    is_deeply($t->redis_hash("${P}stats:hist:dispatch"),
        { 'le:3600' => 2, 'le:259200' => 1, 'le:1728000' => 1 },
        'stats:hist:dispatch');
    is_deeply($t->redis_hash("${P}stats:hist:response"),
        { 'le:3600' => 1, 'le:432000' => 1, 'le:inf' => 1 },
        'stats:hist:response');

    my %keys;
    for my $c (@cohort) {
        # months only: the year is added up from them
        $keys{"stats:$c->[1]"}{$c->[2]}++;
    }
    for my $k (sort keys %keys) {
        is_deeply($t->redis_hash("$P$k"), $keys{$k}, $k);
    }
    is_deeply([sort map { substr $_, length $P }
            $t->redis_scan("${P}stats:2*")],
        [sort keys %keys], 'no other year or month key');
};

subtest 'overdue: a deadline in the past' => sub {
    # R4 waits at dishub; its follow-up deadline "passed a minute ago".
    set_due($R4, int(time) - 60);

    my $r = stats();
    is($r->{json}{queues}{overdue}, 1, 'overdue 1');
    is($r->{json}{queues}{dispatched}, 1, 'still one dispatched');

    # Due exactly now or later is not overdue.
    set_due($R4, int(time) + 3600);
    is(stats()->{json}{queues}{overdue}, 0, 'a future deadline: 0');

    set_due($R4, int(time) - 60);
    is(stats()->{json}{queues}{overdue}, 1, 'past again: 1');

    my $v = $t->report_view($R4->{id}, $ADMIN);
    ok($v->{json}{overdue}, 'the report itself says overdue');
};

$EXPECTED{queues}{overdue} = 1;

###############################################################################
# The year parameter, HEAD, namespaces.

subtest '?year=' => sub {
    my $r = stats("year=$YEAR");
    is($r->{status}, 200, "year=$YEAR: 200");
    is_deeply(timeless($r->{json}), \%EXPECTED,
        'the current year is the default');

    my $other = $YEAR - 3;
    $r = stats("year=$other");
    is($r->{status}, 200, "year=$other: 200");
    is_deeply($r->{json}{year}, empty_year($other),
        "$other: zeros, null rates, twelve months of $other");
    is_deeply($r->{json}{totals}, $EXPECTED{totals}, 'totals are all time');
    is_deeply($r->{json}{speed}, $EXPECTED{speed}, 'speed is all time');
    is_deeply($r->{json}{queues}, $EXPECTED{queues}, 'queues are live');

    for my $y (sort grep { $_ ne $YEAR } keys %$YEARS) {
        # only when a moved created_at crossed the year
        is_deeply(stats("year=$y")->{json}{year}, $YEARS->{$y},
            "year $y holds the moved cohort");
    }

    $r = stats("year=2099&foo=bar");
    is($r->{status}, 200, 'other parameters are ignored');

    for my $bad ('abcd', '20260', '99', '1969', '0999', '', '+202', '2O26',
        '-2026', '2026.0')
    {
        my $q = 'year=' . $bad;
        $q =~ s/\+/%2B/g;
        $r = stats($q, headers => { 'Accept-Language' => 'en' });
        $t->problem_ok($r, 400, 'invalid-query', "year=$bad: 400");
        is($r->{json}{title}, 'Invalid year', "year=$bad: title");
    }

    $r = stats('year=x', headers => { 'Accept-Language' => 'id' });
    is($r->{json}{title}, 'Tahun tidak valid', 'in Indonesian');
};

subtest 'HEAD' => sub {
    my $g = stats();
    my $r = $t->http_head("$API/stats");
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/json\b},
        'content type');
    is($r->{body}, '', 'no body');
    is($r->{headers}{'content-length'}, length $g->{body},
        'the length of the GET answer')
        if defined $r->{headers}{'content-length'};

    my $p = $t->http_request('POST', "$API/stats",
        headers => { 'Content-Type' => 'application/json' }, body => '{}');
    $t->problem_ok($p, 405, 'method-not-allowed', 'POST: 405');
    is($p->{headers}{allow}, 'GET, HEAD', 'Allow');
};

subtest 'namespaces are apart' => sub {
    my $r = stats(undef, prefix => '/other/v1');
    is($r->{status}, 200, 'status 200');
    is($r->{json}{namespace}, 'other', 'namespace other');
    is($r->{json}{totals}{submitted}, 0, 'nothing submitted there');
    is($r->{json}{queues}{dispatched}, 0, 'no queue there');

    my $s = $t->post_report($t->report_doc(), path => '/other/v1/reports');
    is($s->{status}, 201, 'one report there');
    is(stats(undef, prefix => '/other/v1')->{json}{totals}{submitted}, 1,
        'counted there');
    is_deeply(timeless(stats()->{json}), \%EXPECTED, '... not here');
};

###############################################################################
# From counters, never from the reports.

subtest 'figures come from the counters' => sub {
    my $before = timeless(stats()->{json});

    # A counter changed in Redis shows at once ...
    $t->redis_cmd('HINCRBY', "${P}stats", 'type:aspirasi', 100);
    is(stats()->{json}{totals}{by_type}{aspirasi}, 102,
        'HINCRBY stats type:aspirasi 100 shows');
    $t->redis_cmd('HINCRBY', "${P}stats", 'type:aspirasi', -100);

    # ... and deleting every report hash changes nothing.
    my @hashes = grep { /:report:\d+$/ } $t->redis_scan("${P}report:*");
    is(scalar @hashes, 6, 'six report hashes');
    is($t->redis_cmd('DEL', @hashes), 6, 'DEL all six');

    my $after = stats();
    is($after->{status}, 200, 'status 200');
    is_deeply(timeless($after->{json}), $before, 'the same answer');
    is_deeply($before, \%EXPECTED, 'still the expected one');
};

subtest 'without Redis: 503, not zeros' => sub {
    $t->stop_redis;
    my $r;
    wait_until(sub { $r = stats(); $r->{status} == 503 }, $t->tmo(5), 0.05);
    $t->problem_ok($r, 503, 'redis-unavailable', 'GET stats: 503');
    ok($r->{headers}{'retry-after'}, 'Retry-After');
    $t->start_redis;
    $t->wait_status("$API/health", 200, 10);
    is(stats()->{json}{totals}{submitted}, 6,
        'Redis back with its data (the shipped settings keep an AOF)');
};

subtest 'cohorts are counted in the catalog time zone' => sub {
    # 2024-12-31T16:30:00Z is 2025-01-01T00:30:00+08:00 (Asia/Makassar): a
    # report that came in then belongs to January 2025, not December 2024.
    my $s = $t->post_report($t->report_doc(), path => '/tz/v1/reports');
    is($s->{status}, 201, 'submitted');
    my $id = $s->{json}{id};
    $t->redis_cmd('HSET', "lapor:{tz}:report:$id", 'created_at',
        Time::Local::timegm(0, 30, 16, 31, 11, 2024));
    is($t->report_action($id, 'dispatch', token => $ADMIN, prefix => '/tz/v1',
        body => { agency => 'pupr-kim' })->{status}, 200, 'dispatched');

    is_deeply($t->redis_hash('lapor:{tz}:stats:2025-01'), { dispatched => 1 },
        'stats:2025-01 dispatched 1');
    is_deeply([$t->redis_scan('lapor:{tz}:stats:2025')], [],
        'no year counter: the year is the sum of its months');
    is_deeply([$t->redis_scan('lapor:{tz}:stats:2024*')], [],
        'nothing in 2024');

    my $j = stats('year=2025', prefix => '/tz/v1')->{json};
    is_deeply($j->{year}{months}[0], { month => '2025-01', submitted => 0,
        dispatched => 1, followed_up => 0, closed => 0, archived => 0,
        follow_up_rate => undef }, 'GET stats?year=2025: January');
    is($j->{year}{dispatched}, 1, 'the year');
    is_deeply(stats('year=2024', prefix => '/tz/v1')->{json}{year},
        empty_year(2024), '2024: nothing');
    is($j->{speed}{time_to_dispatch}{count}, 1, 'one time to dispatch');
    is($j->{speed}{time_to_dispatch}{p50_seconds}, undef,
        'more than 30 days: p50 null');
    is($j->{speed}{time_to_dispatch}{buckets}{inf}, 1, 'in the inf bucket');
};

subtest 'auto-close: closed, but no rating' => sub {
    my $A = '/auto/v1';
    my $s = $t->post_report($t->report_doc(), path => "$A/reports");
    is($s->{status}, 201, 'submitted');
    my $id = $s->{json}{id};
    for my $step (['dispatch', $ADMIN, { agency => 'pupr-kim' }],
        ['respond', $TOK->{'pupr.petugas'}, { message => 'Diterima.' }],
        ['follow_up', $TOK->{'pupr.petugas'}, { message => 'Selesai.' }])
    {
        is($t->report_action($id, $step->[0], token => $step->[1],
            prefix => $A, body => $step->[2])->{status}, 200, $step->[0]);
    }

    # The reporter stayed silent past the auto-close date.
    my $due = int(time) - 60;
    $t->redis_cmd('HSET', "lapor:{auto}:report:$id", 'due_at', $due);
    $t->redis_cmd('ZADD', 'lapor:{auto}:autoclose',
        $t->queue_score($due, $id), $id);
    ok(wait_until(sub {
        ($t->redis_hash("lapor:{auto}:report:$id")->{status} // '')
            eq 'closed' }, $t->tmo(10), 0.1), 'the sweep closed it');

    my $j = stats(undef, prefix => $A)->{json};
    is_deeply($j->{totals}{by_status}, { submitted => 0, dispatched => 0,
        in_progress => 0, followed_up => 0, closed => 1 }, 'by_status');
    my ($m) = grep { $_->{submitted} } @{$j->{year}{months}};
    is_deeply([@$m{qw/ submitted dispatched followed_up closed archived /}],
        [1, 1, 1, 1, 0], 'its month: closed 1');
    is_deeply($j->{satisfaction}, { ratings => 0, mean_rating => undef,
        resolved => {} }, 'no rating');
    is($t->redis_hash('lapor:{auto}:stats')->{'action:auto_close'}, 1,
        'action:auto_close 1');
    is_deeply($j->{queues}, { (map { $_ => 0 } @OPEN), overdue => 0 },
        'no queue');
};

subtest 'a dispatch straight from deferred is within the deadline' => sub {
    # "deferred" stops the dispatch clock (it has no due_at): the admins
    # are not late while the report waits for its reporter.
    my $s = $t->post_report($t->report_doc(), path => '/third/v1/reports');
    is($s->{status}, 201, 'submitted');
    my $id = $s->{json}{id};
    is($t->report_action($id, 'defer', token => $ADMIN, prefix => '/third/v1',
        body => { reason => 'Mohon lengkapi alamat.' })->{status}, 200,
        'deferred');
    is($t->redis_hash("lapor:{third}:report:$id")->{due_at}, 0,
        'no deadline while deferred');
    is($t->report_action($id, 'dispatch', token => $ADMIN,
        prefix => '/third/v1', body => { agency => 'pupr-kim' })->{status},
        200, 'dispatched from deferred');

    my $j = stats(undef, prefix => '/third/v1')->{json};
    is_deeply($j->{speed}{dispatched_within_deadline},
        { count => 1, within => 1, share => 1 }, 'one of one within');
    like(stats(undef, prefix => '/third/v1')->{body},
        qr/"dispatched_within_deadline":\{"count":1,"within":1,"share":1\.0000\}/,
        'share 1.0000');
};

subtest 'deferring after the deadline does not undo being late' => sub {
    my $s = $t->post_report($t->report_doc(), path => '/third/v1/reports');
    is($s->{status}, 201, 'submitted');
    my $id = $s->{json}{id};

    # the dispatch deadline passed a day ago
    $t->redis_cmd('HSET', "lapor:{third}:report:$id", 'due_at',
        int(time) - 86400);

    is($t->report_action($id, 'defer', token => $ADMIN, prefix => '/third/v1',
        body => { reason => 'Mohon lengkapi alamat.' })->{status}, 200,
        'deferred when already late');
    is($t->redis_hash("lapor:{third}:report:$id")->{dispatch_late}, 1,
        'remembered as late');
    is($t->report_action($id, 'dispatch', token => $ADMIN,
        prefix => '/third/v1', body => { agency => 'pupr-kim' })->{status},
        200, 'dispatched from deferred');

    my $j = stats(undef, prefix => '/third/v1')->{json};
    is_deeply($j->{speed}{dispatched_within_deadline},
        { count => 2, within => 1, share => 0.5 }, 'one of two within');
};

subtest 'by_dispatched_agency counts dispatches, by_returning_agency hand-backs'
    => sub {
    my %o = (prefix => '/handback/v1');
    my ($pupr, $dinkes) = @$TOK{qw/ pupr.petugas dinkes.petugas /};
    my $s = $t->post_report($t->report_doc(), path => '/handback/v1/reports');
    is($s->{status}, 201, 'submitted');
    my $id = $s->{json}{id};

    for my $step ([dispatch => $ADMIN, { agency => 'pupr-kim' }],
        [not_authority => $pupr, { reason => 'Bukan wewenang kami.' }],
        [dispatch => $ADMIN, { agency => 'dinkes' }],
        [not_authority => $dinkes, { reason => 'Bukan wewenang kami.' }],
        [dispatch => $ADMIN, { agency => 'pupr-kim' }])
    {
        my ($action, $token, $body) = @$step;
        is($t->report_action($id, $action, token => $token, body => $body,
            %o)->{status}, 200, "$action " . join('', values %$body));
    }

    my $j = stats(undef, %o)->{json};
    is_deeply($j->{totals}{by_dispatched_agency},
        { 'pupr-kim' => 2, dinkes => 1 }, 'by_dispatched_agency: each dispatch');
    is_deeply($j->{totals}{by_returning_agency},
        { 'pupr-kim' => 1, dinkes => 1 }, 'by_returning_agency: each hand-back');
    is_deeply($j->{totals}{by_agency}, { 'pupr-kim' => 1 },
        'by_agency: the agency named at submission, once');
    is($j->{year}{dispatched}, 1, 'the cohort counts the first dispatch only');

    my $h = $t->redis_hash('lapor:{handback}:stats');
    is_deeply({ map { $_ => $h->{$_} } grep { /^(dispatched_to|returned_by):/ }
            keys %$h },
        { 'dispatched_to:pupr-kim' => 2, 'dispatched_to:dinkes' => 1,
          'returned_by:pupr-kim' => 1, 'returned_by:dinkes' => 1 },
        'the Redis fields behind them');
    is($h->{'action:not_authority'}, 2, 'action:not_authority');
};

$t->finish;
