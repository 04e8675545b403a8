#!/usr/bin/perl

# How far the catalog's holidays reach ("holidays_until", docs/catalog.md).
# `nginx -t` warns, naming lapor_catalog, the file and the last covered
# date, when the coverage ends within 90 days (89 days: a warning, 90: none),
# says louder ([error]) that it has ended, and fails in neither case; without
# "holidays_until" the last holiday's year is covered to 31 December, and a
# catalog without holidays has no end.  At run time a deadline past the
# coverage is still computed, skipping weekends only, logged once per worker
# process (not per request, again after a reload) and counted in
# lapor_deadlines_past_coverage_total; /metrics exports the end of each
# namespace's coverage.  Dates are relative to today, so the file holds in
# any year.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use Time::Local qw/ timegm /;

use Lapor::Test;

my $t = Lapor::Test->new;
my $dir = $t->testdir;

my $VG = $t->valgrind;
my $WORKERS = $VG ? 1 : 2;
my $WITA = 8 * 3600;

my $example_file = "$Lapor::Test::REPO/examples/catalog.json";

# Local days (WITA, the example's zone) and their dates.
sub today { int((time + $WITA) / 86400) }

sub ymd {
    my ($day) = @_;
    my @tm = gmtime($day * 86400);
    return sprintf '%04d-%02d-%02d', $tm[5] + 1900, $tm[4] + 1, $tm[3];
}

# The example catalog with its holidays replaced (only those given, or the
# example's up to a day) and "holidays_until" set (undef: left out).
sub catalog_file {
    my ($name, %o) = @_;
    my $cat = json_decode($t->read_file($example_file));
    if (exists $o{until}) {
        if (defined $o{until}) {
            $cat->{holidays_until} = $o{until};
        } else {
            delete $cat->{holidays_until};
        }
    }
    $cat->{holidays} = $o{holidays} if $o{holidays};
    if (defined $o{holidays_to}) {
        $cat->{holidays} = [ grep { $_->{date} le $o{holidays_to} }
            @{$cat->{holidays}} ];
    }
    return $t->write_file($name,
        JSON::PP->new->utf8->canonical->encode($cat));
}

sub conf {
    my ($catalog) = @_;
    return <<"EOF";
    lapor_redis %%REDIS%%;
    lapor_catalog $catalog;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
}

# nginx -t of a catalog: (exit code, output)
sub nginx_t_catalog { $t->nginx_t(conf($_[0])) }

###############################################################################
# nginx -t

subtest 'nginx -t warns when the holidays end within 90 days' => sub {
    my $end = ymd(today() + 30);
    my $f = catalog_file('soon.json', until => $end);
    my ($rc, $out) = nginx_t_catalog($f);

    is($rc, 0, 'accepted') or diag($out);
    like($out, qr/\[warn\][^\n]*"lapor_catalog" file "\Q$f\E"[^\n]*\Q$end\E/,
        "a [warn] naming lapor_catalog, the file and $end") or diag($out);
    like($out, qr/in (?:29|30|31) days/, 'and the days left');
    unlike($out, qr/\[(?:error|emerg)\]/, 'no error');
};

subtest 'the 90-day boundary' => sub {
    my $f = catalog_file('b89.json', until => ymd(today() + 89));
    my ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, '89 days left: accepted');
    like($out, qr/\[warn\][^\n]*"lapor_catalog"/, '89 days left: a warning')
        or diag($out);

    $f = catalog_file('b90.json', until => ymd(today() + 90));
    ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, '90 days left: accepted');
    unlike($out, qr/lapor_catalog|holidays/, '90 days left: no warning')
        or diag($out);
};

subtest 'no warning when the holidays end later' => sub {
    my $f = catalog_file('later.json', until => ymd(today() + 200));
    my ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, 'accepted') or diag($out);
    unlike($out, qr/\[(?:warn|error|emerg)\]/, 'nothing logged')
        or diag($out);
};

subtest 'holidays that have ended: louder, and still accepted' => sub {
    my $end = ymd(today() - 40);
    my $f = catalog_file('ended.json', until => $end, holidays_to => $end);
    my ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, 'accepted: deadlines are still computed') or diag($out);
    like($out,
        qr/\[error\][^\n]*"lapor_catalog" file "\Q$f\E"[^\n]*ended on \Q$end\E/,
        "an [error] naming lapor_catalog, the file and $end") or diag($out);
};

subtest 'without holidays_until: the last holiday\'s year to 31 December' => sub {
    my @tm = gmtime(today() * 86400);
    my $year = $tm[5] + 1900;

    # the last holiday last year: ended on its 31 December
    my $f = catalog_file('lastyear.json', until => undef, holidays => [
        { date => ($year - 1) . '-01-01', name => 'Tahun Baru' },
        { date => ($year - 1) . '-12-25', name => 'Natal' } ]);
    my ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, 'last year: accepted');
    like($out, qr/\[error\][^\n]*ended on \Q@{[$year - 1]}-12-31\E/,
        'last year: ended on its 31 December, not on 25 December')
        or diag($out);

    # the last holiday next year: more than 90 days ahead
    $f = catalog_file('nextyear.json', until => undef, holidays => [
        { date => ($year + 1) . '-01-01', name => 'Tahun Baru' } ]);
    ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, 'next year: accepted');
    unlike($out, qr/\[(?:warn|error)\]/, 'next year: no warning')
        or diag($out);

    # no holidays at all: weekends only, on purpose, no end
    $f = catalog_file('none.json', until => undef, holidays => []);
    ($rc, $out) = nginx_t_catalog($f);
    is($rc, 0, 'no holidays: accepted');
    unlike($out, qr/\[(?:warn|error)\]/, 'no holidays: no warning')
        or diag($out);

    # holidays_until wins over the default, either way
    $f = catalog_file('explicit.json', until => ymd(today() + 10),
        holidays => [ { date => ($year + 1) . '-01-01',
            name => 'Tahun Baru' } ]);
    ($rc, $out) = nginx_t_catalog($f);
    like($out, qr/\[warn\][^\n]*\Q@{[ymd(today() + 10)]}\E/,
        'holidays_until before a listed holiday is the end') or diag($out);
};

subtest 'nginx -t rejects a bad holidays_until' => sub {
    for my $bad ('2027-02-29', '31-12-2027', '') {
        my $f = catalog_file('bad.json', until => $bad);
        my ($rc, $out) = nginx_t_catalog($f);
        ok($rc != 0 && $out =~ /\[emerg\][^\n]*"lapor_catalog"[^\n]*
            \Q$f\E[^\n]*holidays_until/x, "\"$bad\": rejected naming "
            . 'lapor_catalog, the file and holidays_until') or diag($out);
    }
};

###############################################################################
# Run time: a catalog whose holidays ended (the example's holidays up to
# last year, without holidays_until: covered to the 31st of December of its
# last holiday's year), and one that is covered for 200 days more.

my $ended = catalog_file('ended-default.json', until => undef,
    holidays_to => ((gmtime(today() * 86400))[5] + 1900 - 1) . '-12-31');
my ($last_year) = json_decode($t->read_file($ended))->{holidays}[-1]{date}
    =~ /^(\d{4})/;
my $ENDED_DAY = int(timegm(0, 0, 0, 31, 11, $last_year) / 86400);
my $later = "$dir/later.json";

# the weekends-only calendar the ended one falls back to
my $weekends = catalog_file('weekends.json', until => undef,
    holidays => []);

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin' });
my $ADMIN = $TOK->{'admin-1'};

$t->start_redis;
$t->write_conf(<<"EOF", worker_processes => $WORKERS);
    lapor_redis %%REDIS%%;
    lapor_redis_timeout 2s;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        lapor_namespace ended;
        lapor_catalog $ended;

        location /api/v1/ { lapor_api; }
        location = /metrics { lapor_metrics; }
    }

    server {
        listen 127.0.0.1:%%PORT_fresh%%;
        lapor_namespace fresh;
        lapor_catalog $later;

        location /api/v1/ { lapor_api; }
    }
EOF
$t->log_mark;
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

sub scrape { $t->metrics_parse($t->http_get('/metrics')->{body}) }

sub past_total {
    my ($m) = @_;
    return $t->metric_value($m, 'lapor_deadlines_past_coverage_total');
}

# The "deadline past the coverage" lines since the mark: { pid => count }.
sub past_lines {
    my ($log) = @_;
    my %pid;
    for (split /\n/, $log) {
        next unless /deadline was computed past/;
        my ($pid) = /\[warn\] (\d+)#/ or next;
        $pid{$pid}++;
    }
    return \%pid;
}

my $m0 = scrape();
my $computed = 0;

subtest 'a deadline past the coverage: weekends only, still answered' => sub {
    is(past_total($m0), 0, 'nothing counted yet');

    my @cats = (['infrastruktur', 'dispatch_days'],
        ['bencana', 'dispatch_days'], ['kesehatan', 'dispatch_days']);

    for my $c (@cats) {
        my ($category, $stage) = @$c;
        my $r = $t->post_report($t->report_doc(category => $category));
        is($r->{status}, 201, "$category: 201") or next;
        $computed++;

        my $h = $t->report_hash("lapor:{ended}:report:$r->{json}{id}");
        my $days = $t->catalog_sla($category, $stage, $ended);
        my $due = $t->catalog_due($h->{created_at}, $days, $weekends);

        is($h->{due_at}, $due, "$category: due_at in Redis is $days "
            . 'working days on, weekends skipped');
        is($r->{json}{due_at}, $t->catalog_time($due, $ended),
            "$category: and in the answer");
        cmp_ok($due, '>', $h->{created_at}, "$category: in the future");
        my $wday = (int(($due + $WITA) / 86400) + 4) % 7;
        ok($wday >= 1 && $wday <= 5, "$category: due on a weekday");
    }

    # an action computes the next deadline: counted too
    my $r = $t->post_report($t->report_doc);
    is($r->{status}, 201, 'one more report');
    $computed++;
    my $d = $t->report_action($r->{json}{id}, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($d->{status}, 200, 'dispatched') or diag($d->{body});
    $computed++;
    my $h = $t->report_hash("lapor:{ended}:report:$r->{json}{id}");
    is($h->{due_at}, $t->catalog_due($h->{entered_at},
        $t->catalog_sla('infrastruktur', 'follow_up_days', $ended),
        $weekends), 'the follow-up deadline: weekends only');
};

subtest 'logged once per worker, not per request' => sub {
    # many more, at once, so that both workers compute some
    my @batch = map { $t->raw_request('POST', '/api/v1/reports',
        headers => { 'Content-Type' => 'application/json' },
        body => $t->report_json($t->report_doc(
            title => "Jalan rusak di Jalan Hayam Wuruk nomor $_"))) } 1 .. 20;
    my @res = $t->http_parallel(\@batch);
    my $ok = grep { $_->{status} == 201 } @res;
    is($ok, 20, 'twenty more reports');
    $computed += $ok;

    ok($t->wait_log(qr/deadline was computed past/, 5), 'a line logged');
    my $lines = past_lines($t->log_since_mark);
    my @twice = grep { $lines->{$_} > 1 } keys %$lines;
    ok(scalar(keys %$lines) >= 1
        && scalar(keys %$lines) <= $WORKERS && !@twice,
        'at most one line per worker process') or diag(explain($lines));
    note('lines per worker: ' . join(', ',
        map { "$_: $lines->{$_}" } sort keys %$lines));

    my ($line) = grep { /deadline was computed past/ }
        split /\n/, $t->log_since_mark;
    my $end = ymd($ENDED_DAY);
    like($line, qr/\[warn\]/, 'at warn level');
    like($line, qr/"lapor_catalog" file "\Q$ended\E"/,
        'naming lapor_catalog and the file');
    like($line, qr/namespace "ended"/, 'and the namespace');
    like($line, qr/past \Q$end\E/, "and the last covered date, $end");
};

subtest 'counted in /metrics, with the end of each coverage' => sub {
    my $m = scrape();
    is(past_total($m) - past_total($m0), $computed,
        "lapor_deadlines_past_coverage_total grew by the $computed "
        . 'deadlines computed');

    my $ended_end = ($ENDED_DAY + 1) * 86400 - $WITA;
    my $later_end = (today() + 201) * 86400 - $WITA;
    is($t->metric_value($m,
        'lapor_holidays_covered_until_timestamp_seconds',
        namespace => 'ended', region => 'bali'), $ended_end,
        'the ended coverage: 00:00 WITA after its last day');
    is($t->metric_value($m,
        'lapor_holidays_covered_until_timestamp_seconds',
        namespace => 'fresh', region => 'bali'), $later_end,
        'the other namespace: its own end');
    is($m->{type}{lapor_holidays_covered_until_timestamp_seconds}, 'gauge',
        'a gauge');
    is($m->{type}{lapor_deadlines_past_coverage_total}, 'counter',
        'a counter');

    SKIP: {
        my ($rc, $out) = $t->promtool_check(
            $t->http_get('/metrics')->{body});
        skip 'promtool not installed', 1 unless defined $rc;
        is($rc, 0, 'promtool check metrics') or diag($out);
    }

    # a namespace within its coverage adds nothing
    my $before = past_total($m);
    my $port = $t->port('fresh');
    my $r = HTTP::Tiny->new(timeout => $t->tmo(10))->post(
        "http://127.0.0.1:$port/api/v1/reports",
        { headers => { 'Content-Type' => 'application/json' },
          content => $t->report_json($t->report_doc) });
    is($r->{status}, 201, 'a report in the covered namespace');
    my $id = (eval { json_decode($r->{content}) } || {})->{id} // '';
    my $h = $t->report_hash("lapor:{fresh}:report:$id");
    is($h->{due_at}, $t->catalog_due($h->{created_at},
        $t->catalog_sla('infrastruktur', 'dispatch_days', $later), $later),
        'its deadline skips its holidays');
    is(past_total(scrape()), $before, 'not counted');
    unlike($t->log_since_mark, qr/namespace "fresh"/, 'not logged');
};

subtest 'a reload: the new workers log it once again' => sub {
    plan skip_all => 'valgrind mode: no master process' if $VG;

    my @old = $t->reload;
    ok($t->wait_pids_gone($t->tmo(15), @old), 'old workers gone');
    $t->wait_status('/api/v1/health', 200, 10);
    $t->log_mark;

    for (1 .. 5) {
        is($t->post_report($t->report_doc)->{status}, 201, "report $_");
    }

    ok($t->wait_log(qr/deadline was computed past/, 5), 'logged again');
    my $lines = past_lines($t->log_since_mark);
    my %old = map { $_ => 1 } @old;
    ok(!grep({ $old{$_} } keys %$lines), 'by a new worker');
    ok(!grep({ $lines->{$_} > 1 } keys %$lines), 'once per worker')
        or diag(explain($lines));
};

$t->finish;
