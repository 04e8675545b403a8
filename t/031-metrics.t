#!/usr/bin/perl

# lapor_metrics: the Prometheus text exposition.  With two workers and
# requests spread over both (many connections, a reuseport listener), one
# scrape shows every request of both workers, per endpoint and status,
# exactly: the counters are in shared memory.  `promtool check metrics`
# accepts the body; every family has HELP and TYPE; the Redis latency
# histogram is cumulative and its count matches; the ready connections are
# the workers; rate-limited requests and idempotent replays are counted;
# the queue gauges are the ZCARDs of the live queues and the overdue gauge
# the past deadlines; a reload (HUP) keeps every counter; without Redis the
# scrape still answers 200 with the module's counters and no queue gauges.
# Valgrind mode runs one process: the parts about two workers and the
# reload are skipped there.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $VG = $t->valgrind;
my $WORKERS = $VG ? 1 : 2;
my $NS = 'bali';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim' });
my $ADMIN = $TOK->{'admin-bali'};

$t->start_redis;
$t->write_conf(<<'EOF', worker_processes => $WORKERS);
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    log_format pids '$pid $status $request_method $uri';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        access_log %%TESTDIR%%/pids.log pids;

        location /api/v1/ { lapor_api; }

        location /limited/v1/ {
            lapor_namespace limited;
            lapor_limit read 1r/m;
            lapor_api;
        }

        location = /metrics { lapor_metrics; }
    }
EOF
$t->start_nginx;

my $PROMTOOL = -x ($ENV{LAPOR_PROMTOOL} || '/usr/bin/promtool');

###############################################################################
# Helpers.

sub scrape {
    my $r = $t->http_get('/metrics');
    $r->{m} = $t->metrics_parse($r->{body});
    return $r;
}

sub value {
    my ($r, $name, %labels) = @_;
    return $t->metric_value($r->{m}, $name, %labels);
}

# { "endpoint status" => count } of lapor_http_requests_total
sub requests {
    my ($r) = @_;
    my %n;
    for my $s (@{$r->{m}{samples}}) {
        next unless $s->{name} eq 'lapor_http_requests_total';
        $n{"$s->{labels}{endpoint} $s->{labels}{status}"} = $s->{value};
    }
    return \%n;
}

sub delta {
    my ($after, $before) = @_;
    my %d;
    for my $k (keys %$after) {
        my $v = $after->{$k} - ($before->{$k} || 0);
        $d{$k} = $v if $v;
    }
    return \%d;
}

sub ready_is {
    my ($n, $timeout) = @_;
    my $r;
    my $ok = wait_until(sub {
        $r = scrape();
        return ($r->{status} == 200
            && (value($r, 'lapor_redis_connections_ready') // -1) == $n);
    }, $t->tmo($timeout || 10), 0.05);
    return $r;
}

sub promtool_ok {
    my ($body, $name) = @_;
    SKIP: {
        unless ($PROMTOOL) {
            if ($ENV{LAPOR_TEST_REQUIRE_PROMTOOL}) {
                fail("$name: promtool is required "
                    . '(LAPOR_TEST_REQUIRE_PROMTOOL) but not installed');
                return;
            }
            skip('promtool not installed (Debian package "prometheus"; '
                . 'set LAPOR_TEST_REQUIRE_PROMTOOL=1 to make this fail)', 1);
        }
        my ($rc, $out) = $t->promtool_check($body);
        is($rc, 0, "$name: promtool check metrics exits 0")
            or diag("promtool: $out\n--- body ---\n$body");
    }
}

# Every family has HELP and TYPE before its first sample; every sample
# belongs to a family; no line is malformed.
sub families_ok {
    my ($r, $name) = @_;
    my $m = $r->{m};
    my @bad;
    push @bad, "malformed: $_" for @{$m->{errors}};
    for my $f (sort keys %{$m->{first_sample}}) {
        push @bad, "$f: no HELP" unless defined $m->{help}{$f};
        push @bad, "$f: no TYPE" unless defined $m->{type}{$f};
        push @bad, "$f: TYPE after a sample"
            if $m->{type_line}{$f}
            && $m->{type_line}{$f} > $m->{first_sample}{$f};
    }
    for my $f (sort keys %{$m->{type}}) {
        push @bad, "$f: TYPE without HELP" unless defined $m->{help}{$f};
    }
    ok(!@bad, "$name: HELP and TYPE for every family") or diag(join "\n", @bad);
}

# A request, its expected endpoint label and status.
my @made;

sub req {
    my ($endpoint, $status, $method, $path, %o) = @_;
    return { endpoint => $endpoint, status => $status,
        text => $t->raw_request($method, $path, %o) };
}

# Sends them all at once (one connection each); checks each status and
# adds it to the tally.
sub send_all {
    my (@reqs) = @_;
    my @res = $t->http_parallel([map { $_->{text} } @reqs]);
    my $wrong = 0;
    for my $i (0 .. $#reqs) {
        my $q = $reqs[$i];
        if ($res[$i]{status} != $q->{status}) {
            $wrong++;
            diag("request $i: $res[$i]{status}, expected $q->{status}: "
                . substr($q->{text}, 0, 60));
        }
        push @made, "$q->{endpoint} $res[$i]{status}";
    }
    is($wrong, 0, scalar(@reqs) . ' requests answered as expected');
    return @res;
}

sub tally {
    my %n;
    $n{$_}++ for @_;
    return \%n;
}

my $JSON = { 'Content-Type' => 'application/json' };
my $n_report = 0;

sub report_body {
    $n_report++;
    return $t->report_json($t->report_doc(
        title => "Lampu jalan padam di Jalan Sudirman nomor $n_report"));
}

###############################################################################

my $start = ready_is($WORKERS, 15);

subtest 'a first scrape' => sub {
    is($start->{status}, 200, 'status 200');
    is($start->{headers}{'content-type'},
        'text/plain; version=0.0.4; charset=utf-8', 'content type');
    is(value($start, 'lapor_redis_connections_ready'), $WORKERS,
        "lapor_redis_connections_ready = $WORKERS workers");
    families_ok($start, 'first scrape');
    promtool_ok($start->{body}, 'first scrape');

    my %types = %{$start->{m}{type}};
    is_deeply(\%types, {
        lapor_http_requests_total => 'counter',
        lapor_redis_command_duration_seconds => 'histogram',
        lapor_redis_connections_ready => 'gauge',
        lapor_redis_disconnects_total => 'counter',
        lapor_redis_master_switches_total => 'counter',
        lapor_redis_unreplicated_writes_total => 'counter',
        lapor_redis_mode => 'gauge',
        lapor_rate_limited_total => 'counter',
        lapor_idempotent_replays_total => 'counter',
        lapor_deadlines_past_coverage_total => 'counter',
        lapor_holidays_covered_until_timestamp_seconds => 'gauge',
        lapor_queue_reports => 'gauge',
        lapor_overdue_reports => 'gauge',
    }, 'the families and their types');

    is(value($start, 'lapor_redis_mode', mode => 'single'), 1,
        'lapor_redis_mode{mode="single"} 1: one Redis');

    # the example catalog covers 2027: to 2028-01-01T00:00:00+08:00
    for my $ns (qw/ bali limited /) {
        is(value($start, 'lapor_holidays_covered_until_timestamp_seconds',
            namespace => $ns, region => 'bali'), 1830268800,
            "$ns: holidays covered until 2028-01-01T00:00:00+08:00");
    }
    is(value($start, 'lapor_deadlines_past_coverage_total'), 0,
        'no deadline past the coverage');

    for my $z (qw/ submit write read /) {
        ok(defined value($start, 'lapor_rate_limited_total', zone => $z),
            "lapor_rate_limited_total{zone=\"$z\"} is there");
    }

    my %ns = map { $_->{labels}{namespace} => 1 }
        grep { $_->{name} eq 'lapor_queue_reports' } @{$start->{m}{samples}};
    is_deeply([sort keys %ns], ['bali', 'limited'],
        'queue gauges for every namespace an API serves');

    my $h = $t->http_head('/metrics');
    is($h->{status}, 200, 'HEAD: 200');
    is($h->{body}, '', 'HEAD: no body');

    my $p = $t->http_request('POST', '/metrics', body => 'x');
    is($p->{status}, 405, 'POST: 405');
};

###############################################################################

my $before = scrape();
my $before_req = requests($before);
my @ids;

subtest 'requests of both workers add up exactly' => sub {
    @made = ();
    my $pids_pos = -s $t->testdir . '/pids.log' || 0;

    my @batch;
    push @batch, req('health', 200, 'GET', '/api/v1/health') for 1 .. 20;
    push @batch, req('catalog', 200, 'GET', '/api/v1/catalog') for 1 .. 10;
    push @batch, req('catalog', 200, 'HEAD', '/api/v1/catalog') for 1 .. 3;
    push @batch, req('catalog', 405, 'POST', '/api/v1/catalog',
        headers => $JSON, body => '{}') for 1 .. 4;
    push @batch, req('other', 404, 'GET', '/api/v1/no/such/thing') for 1 .. 5;
    push @batch, req('submit', 201, 'POST', '/api/v1/reports',
        headers => $JSON, body => report_body()) for 1 .. 8;
    push @batch, req('submit', 400, 'POST', '/api/v1/reports',
        headers => $JSON, body => '{"type":') for 1 .. 4;
    push @batch, req('submit', 415, 'POST', '/api/v1/reports',
        headers => { 'Content-Type' => 'text/plain' }, body => 'x') for 1 .. 2;
    push @batch, req('report', 404, 'GET', '/api/v1/reports/999999')
        for 1 .. 5;
    push @batch, req('stats', 200, 'GET', '/api/v1/stats') for 1 .. 6;
    push @batch, req('list', 200, 'GET', '/api/v1/reports') for 1 .. 3;
    push @batch, req('list', 400, 'GET', '/api/v1/reports?limit=0') for 1 .. 2;
    push @batch, req('queue', 401, 'GET', '/api/v1/queue') for 1 .. 4;
    push @batch, req('queue', 200, 'GET', '/api/v1/queue',
        headers => { Authorization => "Bearer $ADMIN" }) for 1 .. 3;

    my @res = send_all(@batch);
    @ids = map { $_->{json}{id} } grep { $_->{status} == 201 } @res;
    is(scalar @ids, 8, 'eight reports');

    # Second round: the reports just made.
    my @b2;
    push @b2, req('report', 200, 'GET', "/api/v1/reports/$_") for @ids;
    push @b2, req('events', 200, 'GET', "/api/v1/reports/$_/events")
        for @ids[0 .. 2];
    push @b2, req('action', 200, 'POST', "/api/v1/reports/$_/dispatch",
        headers => { %$JSON, Authorization => "Bearer $ADMIN" },
        body => '{"agency":"pupr-kim"}') for @ids[0 .. 3];
    push @b2, req('action', 401, 'POST', "/api/v1/reports/$ids[4]/dispatch",
        headers => $JSON, body => '{"agency":"pupr-kim"}') for 1 .. 2;
    push @b2, req('action', 404, 'POST', "/api/v1/reports/999999/defer",
        headers => { %$JSON, Authorization => "Bearer $ADMIN" },
        body => '{"reason":"Tidak jelas."}') for 1 .. 2;
    push @b2, req('stats', 405, 'DELETE', '/api/v1/stats') for 1 .. 2;
    send_all(@b2);

    my $want = tally(@made);
    my $after;
    wait_until(sub {
        $after = scrape();
        my $d = delta(requests($after), $before_req);
        return join(',', map { "$_=$d->{$_}" } sort keys %$d)
            eq join(',', map { "$_=$want->{$_}" } sort keys %$want);
    }, $t->tmo(5), 0.05);

    is_deeply(delta(requests($after), $before_req), $want,
        'lapor_http_requests_total grew by exactly the requests made, '
        . 'per endpoint and status') or diag(explain({
            got => delta(requests($after), $before_req), want => $want }));

    my $sum = 0;
    $sum += $_ for values %{delta(requests($after), $before_req)};
    is($sum, scalar @made, scalar(@made) . ' requests in all');

    SKIP: {
        skip 'valgrind mode: one process', 1 if $VG;
        my $log = substr($t->read_file('pids.log'), $pids_pos);
        my %pids;
        for (split /\n/, $log) {
            my ($pid, $st, $m, $uri) = split / /;
            $pids{$pid}++ if $uri =~ m{^/api/v1/};
        }
        cmp_ok(scalar keys %pids, '>=', 2,
            'the requests were served by both workers')
            or diag(explain(\%pids));
        note('requests per worker: '
            . join(', ', map { "$_: $pids{$_}" } sort keys %pids));
    }

    families_ok($after, 'after the requests');
    promtool_ok($after->{body}, 'after the requests');

    # A scrape is not an API request: it counts nowhere.
    my $a1 = requests(scrape());
    my $a2 = requests(scrape());
    is_deeply($a2, $a1, 'scrapes count nowhere');
};

###############################################################################

subtest 'the Redis latency histogram' => sub {
    my $r = scrape();
    my @b = grep { $_->{name} eq 'lapor_redis_command_duration_seconds_bucket' }
        @{$r->{m}{samples}};
    is_deeply([map { $_->{labels}{le} } @b], [qw/ 0.0005 0.001 0.002 0.005
        0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 +Inf /], 'the buckets, in order');

    my $ok = 1;
    for my $i (1 .. $#b) {
        $ok = 0 if $b[$i]{value} < $b[$i - 1]{value};
    }
    ok($ok, 'cumulative: never decreasing');

    my $count = value($r, 'lapor_redis_command_duration_seconds_count');
    my $sum = value($r, 'lapor_redis_command_duration_seconds_sum');
    is($b[-1]{value}, $count, '+Inf bucket = _count');
    like($sum, qr/^\d+\.\d{6}$/, '_sum in seconds, microseconds exact');
    cmp_ok($sum, '>', 0, '_sum > 0');

    # every request that used Redis added at least one batch
    my $d = delta(requests($r), $before_req);
    my $redis_requests = 0;
    $redis_requests += $d->{$_} || 0 for ('health 200', 'submit 201',
        'stats 200', 'report 200', 'report 404', 'queue 200', 'events 200',
        'action 200', 'action 404');
    my $c0 = value($before, 'lapor_redis_command_duration_seconds_count');
    cmp_ok($count - $c0, '>=', $redis_requests,
        "count grew by at least the $redis_requests requests that used Redis");
    cmp_ok($sum / $count, '<', 1, 'a mean below a second on loopback');
};

###############################################################################

subtest 'rate-limited requests' => sub {
    my $r0 = scrape();
    my @n;
    for (1 .. 5) {
        push @n, $t->http_get('/limited/v1/stats')->{status};
    }
    my $limited = grep { $_ == 429 } @n;
    is(scalar(grep { $_ != 200 && $_ != 429 } @n), 0, '200 or 429 only');
    cmp_ok($limited, '>=', 3, "read 1r/m: $limited of 5 refused");

    my $r1;
    wait_until(sub {
        $r1 = scrape();
        value($r1, 'lapor_rate_limited_total', zone => 'read')
            - value($r0, 'lapor_rate_limited_total', zone => 'read')
            == $limited;
    }, $t->tmo(5), 0.05);

    is(value($r1, 'lapor_rate_limited_total', zone => 'read')
        - value($r0, 'lapor_rate_limited_total', zone => 'read'), $limited,
        'lapor_rate_limited_total{zone="read"} grew by the 429s');
    for my $z (qw/ submit write /) {
        is(value($r1, 'lapor_rate_limited_total', zone => $z),
            value($r0, 'lapor_rate_limited_total', zone => $z),
            "zone $z unchanged");
    }
    is((value($r1, 'lapor_http_requests_total', endpoint => 'stats',
            status => '429') // 0)
        - (value($r0, 'lapor_http_requests_total', endpoint => 'stats',
            status => '429') // 0), $limited,
        'and counted as stats 429');
};

###############################################################################

subtest 'idempotent replays' => sub {
    my $r0 = scrape();
    my $body = report_body();
    my %h = (%$JSON, 'Idempotency-Key' => 'metrics-test-key-0001');

    my $first = $t->http_request('POST', '/api/v1/reports', headers => \%h,
        body => $body);
    is($first->{status}, 201, 'first: 201');
    ok(!$first->{headers}{'idempotent-replayed'}, 'first: not a replay');
    push @ids, $first->{json}{id};

    for my $i (1 .. 3) {
        my $r = $t->http_request('POST', '/api/v1/reports', headers => \%h,
            body => $body);
        is($r->{status}, 201, "replay $i: 201");
        is($r->{headers}{'idempotent-replayed'}, 'true',
            "replay $i: Idempotent-Replayed");
        is($r->{json}{id}, $first->{json}{id}, "replay $i: the same id");
    }

    my $r1 = scrape();
    is(value($r1, 'lapor_idempotent_replays_total')
        - value($r0, 'lapor_idempotent_replays_total'), 3,
        'lapor_idempotent_replays_total grew by 3');
    is(value($r1, 'lapor_http_requests_total', endpoint => 'submit',
            status => '201')
        - value($r0, 'lapor_http_requests_total', endpoint => 'submit',
            status => '201'), 4, 'four answers submit 201');
};

###############################################################################

sub gauges_match {
    my ($r, $name) = @_;
    for my $ns (qw/ bali limited /) {
        my %got = map { $_->{labels}{state} => $_->{value} }
            grep { $_->{name} eq 'lapor_queue_reports'
                && $_->{labels}{namespace} eq $ns } @{$r->{m}{samples}};
        my %want = map { $_ => $t->redis_cmd('ZCARD',
            "lapor:{$ns}:queue:$_") } qw/ submitted deferred dispatched
            in_progress followed_up /;
        is_deeply(\%got, \%want, "$name: $ns queue gauges = ZCARD");
        my $late = 0;
        $late += $t->redis_cmd('ZCOUNT', "lapor:{$ns}:deadlines:$_", '-inf',
            '(' . int(time) * 1048576) for qw/ submitted dispatched
            in_progress /;
        is(value($r, 'lapor_overdue_reports', namespace => $ns), $late,
            "$name: $ns overdue gauge = past deadlines");
    }
}

subtest 'queue gauges are the live queues' => sub {
    # Of the nine reports: four dispatched, one deferred, one archived.
    is($t->report_action($ids[4], 'defer', token => $ADMIN,
        body => { reason => 'Mohon lengkapi alamat.' })->{status}, 200,
        'one deferred');
    is($t->report_action($ids[5], 'archive', token => $ADMIN,
        body => { reason => 'Duplikat.' })->{status}, 200, 'one archived');

    my $r = scrape();
    gauges_match($r, 'now');
    is(value($r, 'lapor_queue_reports', namespace => $NS,
        state => 'submitted'), 3, 'three submitted');
    is(value($r, 'lapor_queue_reports', namespace => $NS,
        state => 'dispatched'), 4, 'four dispatched');
    is(value($r, 'lapor_queue_reports', namespace => $NS,
        state => 'deferred'), 1, 'one deferred');
    is(value($r, 'lapor_overdue_reports', namespace => $NS), 0,
        'nothing overdue');

    # A deadline that passed a minute ago.
    my $due = int(time) - 60;
    $t->redis_cmd('HSET', "${P}report:$ids[0]", 'due_at', $due);
    for my $key ('deadlines:dispatched') {
        $t->redis_cmd('ZADD', "$P$key", $t->queue_score($due, $ids[0]),
            $ids[0]);
    }

    $r = scrape();
    is(value($r, 'lapor_overdue_reports', namespace => $NS), 1,
        'one overdue');
    gauges_match($r, 'one overdue');
    note($r->{body});

    my $s = $t->http_get('/api/v1/stats');
    is($s->{json}{queues}{overdue}, 1, 'GET stats agrees');
    is($s->{json}{queues}{dispatched}, 4, '... on the queues too');

    families_ok($r, 'with gauges');
    promtool_ok($r->{body}, 'with gauges');
};

###############################################################################

subtest 'a reload keeps every counter' => sub {
    plan skip_all => 'valgrind mode: no master process' if $VG;

    my $r0 = scrape();
    my @old = $t->reload;
    ok($t->wait_pids_gone($t->tmo(15), @old), 'old workers gone');
    my $r1 = ready_is($WORKERS, 10);
    is(value($r1, 'lapor_redis_connections_ready'), $WORKERS,
        "$WORKERS ready after the reload");

    is_deeply(requests($r1), requests($r0),
        'lapor_http_requests_total unchanged (no reset)');
    for my $name (qw/ lapor_idempotent_replays_total
        lapor_redis_disconnects_total /)
    {
        is(value($r1, $name), value($r0, $name), "$name unchanged");
    }
    is(value($r1, 'lapor_rate_limited_total', zone => 'read'),
        value($r0, 'lapor_rate_limited_total', zone => 'read'),
        'lapor_rate_limited_total unchanged');
    cmp_ok(value($r1, 'lapor_redis_command_duration_seconds_count'), '>=',
        value($r0, 'lapor_redis_command_duration_seconds_count'),
        'the latency count goes on');

    # and the new workers add to them
    my @res = $t->http_parallel([map { $t->raw_request('GET',
        '/api/v1/health') } 1 .. 10]);
    is(scalar(grep { $_->{status} == 200 } @res), 10, 'ten health checks');
    my $r2;
    wait_until(sub {
        $r2 = scrape();
        (value($r2, 'lapor_http_requests_total', endpoint => 'health',
            status => '200') // 0) == value($r1, 'lapor_http_requests_total',
            endpoint => 'health', status => '200') + 10;
    }, 5, 0.05);
    is(value($r2, 'lapor_http_requests_total', endpoint => 'health',
        status => '200'), value($r1, 'lapor_http_requests_total',
        endpoint => 'health', status => '200') + 10,
        'the new workers add to the same counter');

    # twice in a row
    @old = $t->reload;
    $t->wait_pids_gone($t->tmo(15), @old);
    my $r3 = ready_is($WORKERS, 10);
    is_deeply(requests($r3), requests($r2), 'a second reload: unchanged');
    promtool_ok($r3->{body}, 'after reloads');
};

###############################################################################

subtest 'a stalled Redis delays a scrape by lapor_redis_timeout at most' => sub {
    $t->pause_redis($t->tmo(3));
    sleep 0.1;

    my $r = scrape();
    is($r->{status}, 200, '200 while Redis sleeps');
    cmp_ok($r->{elapsed}, '<', $t->tmo(1.8), 'within the 1 s timeout');
    ok(!exists $r->{m}{type}{lapor_queue_reports}, 'no queue gauges');
    ok(defined value($r, 'lapor_http_requests_total', endpoint => 'health',
        status => '200'), 'the module counters');
    families_ok($r, 'stalled');
    promtool_ok($r->{body}, 'stalled');

    ok($t->wait_redis(10), 'the pause ended');
    my $back = ready_is($WORKERS, 10);
    ok(wait_until(sub {
        defined value(scrape(), 'lapor_queue_reports', namespace => $NS,
            state => 'submitted') }, $t->tmo(5), 0.05),
        'the gauges come back');
};

subtest 'without Redis' => sub {
    my $r0 = scrape();
    $t->stop_redis;

    my $r = ready_is(0, 10);
    is($r->{status}, 200, '200 without Redis');
    is(value($r, 'lapor_redis_connections_ready'), 0, 'no connection ready');
    cmp_ok(value($r, 'lapor_redis_disconnects_total'), '>=',
        value($r0, 'lapor_redis_disconnects_total') + $WORKERS,
        'each worker counted its lost connection');
    is_deeply(requests($r), requests($r0), 'the request counters are there');
    ok(defined value($r, 'lapor_idempotent_replays_total'),
        'so are the replays');
    ok(!grep({ $_->{name} =~ /^lapor_(?:queue|overdue)_reports$/ }
        @{$r->{m}{samples}}), 'no queue gauges');
    ok(!exists $r->{m}{type}{lapor_queue_reports}, 'no queue family');
    families_ok($r, 'without Redis');
    promtool_ok($r->{body}, 'without Redis');

    my $h = $t->http_get('/api/v1/health');
    is($h->{status}, 503, 'health: 503');
    my $r2;
    wait_until(sub {
        $r2 = scrape();
        (value($r2, 'lapor_http_requests_total', endpoint => 'health',
            status => '503') // 0)
            == (value($r0, 'lapor_http_requests_total', endpoint => 'health',
                status => '503') // 0) + 1;
    }, 5, 0.05);
    is((value($r2, 'lapor_http_requests_total', endpoint => 'health',
        status => '503') // 0) - (value($r0, 'lapor_http_requests_total',
        endpoint => 'health', status => '503') // 0), 1,
        'the 503 is counted');

    $t->start_redis;
    my $r3 = ready_is($WORKERS, 15);
    is(value($r3, 'lapor_redis_connections_ready'), $WORKERS,
        'Redis back: every worker ready again');
    ok(defined value($r3, 'lapor_queue_reports', namespace => $NS,
        state => 'submitted'), 'queue gauges are back');
};

$t->finish;
