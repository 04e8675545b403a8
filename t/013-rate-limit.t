#!/usr/bin/perl

# lapor_limit: fixed windows counted in Redis.  With `submit 5r/m burst=2`
# exactly 7 of 10 reports in one minute get 201, the rest 429 with a
# Retry-After that tells the time to the next window; no report exists
# without its 201.  The read zone limits GET reports/{id} (the counter and
# the read in one MULTI/EXEC: one round trip), key= separates
# clients, and every nginx node (servers of one instance, and a second
# instance) shares the counters through Redis.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Select;
use IO::Socket::INET;
use Errno qw/ EINTR /;
use Time::HiRes qw/ time sleep /;
use Digest::SHA ();

use Lapor::Test;

my $t = Lapor::Test->new;

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /api/v1/ {
            lapor_namespace rl;
            lapor_limit submit 5r/m burst=2;
            lapor_api;
        }

        location /read/ {
            lapor_namespace rl;
            lapor_limit read 3r/m;
            lapor_api;
        }

        location /readtx/ {
            lapor_namespace rl;
            lapor_limit read 100r/m;
            lapor_api;
        }

        location /keyed/ {
            lapor_namespace keyed;
            lapor_limit submit 2r/m key=$http_x_client;
            lapor_api;
        }

        location /shared/ {
            lapor_namespace shared;
            lapor_limit submit 5r/m burst=2;
            lapor_api;
        }

        location /persec/ {
            lapor_namespace persec;
            lapor_limit submit 1r/s;
            lapor_api;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_b%%;

        location /shared/ {
            lapor_namespace shared;
            lapor_limit submit 5r/m burst=2;
            lapor_api;
        }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

# A second nginx instance, another node on the same Redis with the same
# identity key.
my $t2 = Lapor::Test->new;
my $redis_port = $t->redis_port;
my $key_file = $t->testdir . '/identity.key';
$t2->write_conf(<<"EOF");
    lapor_redis 127.0.0.1:$redis_port %%REDIS_LOGIN%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_identity_key $key_file;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /shared/ {
            lapor_namespace shared;
            lapor_limit submit 5r/m burst=2;
            lapor_api;
        }
    }
EOF
$t2->start_nginx;
$t2->wait_status('/shared/health', 200, 10);

###############################################################################

# Waits, when needed, so that the next $need seconds lie in one minute
# window (windows are aligned to the minute since the epoch).
sub same_window {
    my ($need) = @_;
    $need = $t->tmo($need);
    my $left = 60 - (time - 60 * int(time / 60));
    if ($left < $need) {
        note(sprintf 'waiting %.1fs for the next minute window', $left);
        sleep($left + 0.2);
    }
}

# Seconds left in the current minute window.
sub window_left { 60 - (time - 60 * int(time / 60)) }

sub post_req {
    my ($prefix, %headers) = @_;
    my $body = $t->report_json($t->report_doc);
    return $t->raw_request('POST', "${prefix}reports",
        headers => { 'Content-Type' => 'application/json', %headers },
        body => $body);
}

# Sends [port, request] pairs all at once over separate connections and
# returns the parsed answers in order.
sub parallel {
    my (@jobs) = @_;
    my @socks = map {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_->[0]",
            Proto => 'tcp', Timeout => $t->tmo(5)) or die "connect: $!\n";
        Lapor::Test::_write_all($s, $_->[1]);
        $s;
    } @jobs;

    my @bufs = ('') x @socks;
    my %index = map { fileno($socks[$_]) => $_ } 0 .. $#socks;
    my $sel = IO::Select->new(@socks);
    my $deadline = time + $t->tmo(10);

    while ($sel->count && time < $deadline) {
        for my $s ($sel->can_read($deadline - time)) {
            my $i = $index{fileno $s};
            my $n = sysread($s, $bufs[$i], 65536, length $bufs[$i]);
            next if !defined $n && $! == EINTR;
            $sel->remove($s) unless $n;
        }
    }
    close $_ for @socks;
    return map { Lapor::Test::parse_http_response($_) } @bufs;
}

sub count_status {
    my ($status, @res) = @_;
    return scalar grep { $_->{status} == $status } @res;
}

sub reports_in {
    my ($ns) = @_;
    return grep { !/:events$/ } $t->redis_scan("lapor:{$ns}:report:*");
}

# Every 429 is a rate-limited problem whose Retry-After is the time to the
# end of the window (1..60 s).
sub check_429 {
    my ($name, @res) = @_;
    my @bad;
    for my $r (grep { $_->{status} == 429 } @res) {
        my @e = Lapor::Test::check_problem($r, 429, 'rate-limited');
        my $ra = $r->{headers}{'retry-after'};
        push @e, 'Retry-After ' . ($ra // 'missing')
            unless defined $ra && $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 60;
        push @bad, join('; ', @e) if @e;
    }
    is_deeply(\@bad, [], "$name: 429 problems with Retry-After 1..60");
}

###############################################################################

my $port = $t->port('http');

subtest 'submit 5r/m burst=2: 7 of 10 reports pass, 3 get 429' => sub {
    same_window(6);

    my @res;
    for (1 .. 10) {
        my $r = $t->post_report($t->report_doc);
        $r->{left} = window_left();
        push @res, $r;
    }

    my @status = map { $_->{status} } @res;
    is("@status", join(' ', (201) x 7, (429) x 3),
        'the first 7 are 201, the last 3 are 429');
    check_429('submit', @res);

    my @late = grep { $_->{status} == 429 } @res;
    my $ra_ok = !grep {
        abs(($_->{headers}{'retry-after'} // 0) - $_->{left}) > 2
    } @late;
    ok($ra_ok, 'Retry-After is the time left in the minute window')
        or diag(join ', ', map { "RA $_->{headers}{'retry-after'} left "
            . sprintf('%.1f', $_->{left}) } @late);

    like($late[0]{headers}{'content-language'} // '', qr/^(?:id|en)$/,
        'Content-Language');

    my @ids = map { $_->{json}{id} } grep { $_->{status} == 201 } @res;
    my $missing = grep {
        !$t->redis_cmd('EXISTS', "lapor:{rl}:report:$_")
    } @ids;
    is($missing, 0, 'every 201 id exists in Redis');
    is(scalar(reports_in('rl')), 7, 'exactly 7 report hashes');
    is($t->stats_hash('lapor:{rl}:stats')->{submitted}, 7,
        'stats submitted = 7');

    my @rl = $t->redis_scan('lapor:{rl}:rl:submit:*');
    is(scalar @rl, 1, 'one counter for this client and window');
    my $ttl = @rl ? $t->redis_cmd('PTTL', $rl[0]) : -2;
    ok($ttl > 0 && $ttl <= 61_000, "the counter expires ($ttl ms)");
};

subtest 'read zone: GET reports/{id} is limited too' => sub {
    same_window(4);

    my ($id) = map { /:(\d+)$/ } reports_in('rl');
    my @res = map { $t->http_get("/read/reports/$id") } 1 .. 5;
    my @status = map { $_->{status} } @res;
    is("@status", '200 200 200 429 429', '3r/m: three 200, then 429');
    check_429('read', @res);

    is($t->http_get("/api/v1/reports/$id")->{status}, 200,
        'a location without a read limit still answers');
};

subtest 'read zone: the counter and the read in one transaction' => sub {
    my ($id) = map { /:(\d+)$/ } reports_in('rl');

    # what nginx asks Redis for, command by command (MONITOR shows the
    # commands of a transaction between its MULTI and EXEC)
    my $mon = $t->redis_conn;
    is($mon->command('MONITOR'), 'OK', 'MONITOR');

    my @res = ($t->http_get("/readtx/reports/$id"),
        $t->http_get("/readtx/reports/$id/events"),
        $t->http_get('/readtx/reports/999999999'));
    is(join(' ', map { $_->{status} } @res), '200 200 404',
        'view, timeline, unknown report');

    my @cmds;
    my $end = time + $t->tmo(5);
    while (time < $end) {
        my $line = eval { $mon->read_reply(0.3) };
        last if !defined $line && @cmds >= 15;
        next if !defined $line || ref $line;
        my ($cmd) = $line =~ /^[\d.]+ \[\d+ [^\]]+\] (.*)$/ or next;
        next if $cmd =~ /^"(?:PING|ROLE)"/;
        push @cmds, $cmd =~ /^"(\w+)"(?: "([^"]*)")?/
            ? lc($1) . (defined $2 ? " $2" : '') : $cmd;
    }
    $mon->close;

    my $rl = qr/lapor:\{rl\}:rl:read:[0-9a-f]{32}:\d+/;
    my @want = (
        [ 'view', qr/^multi incr $rl pexpire $rl hgetall lapor:\{rl\}:report:$id exec$/ ],
        [ 'timeline', qr/^multi incr $rl pexpire $rl hmget lapor:\{rl\}:report:$id lrange lapor:\{rl\}:report:$id:events exec$/ ],
        [ 'unknown report', qr/^multi incr $rl pexpire $rl hgetall lapor:\{rl\}:report:999999999 exec$/ ],
    );
    my $seq = join ' ', @cmds;
    for my $w (@want) {
        my ($tx) = $seq =~ /(multi (?:(?!multi ).)*? exec)/;
        like($tx // '', $w->[1], "$w->[0]: one MULTI/EXEC, counter then read")
            or diag($seq);
        $seq =~ s/^.*?multi (?:(?!multi ).)*? exec ?//;
    }
};

subtest 'a window\'s counter expires from its first request, not renewed' => sub {
    same_window(4);
    my ($id) = map { /:(\d+)$/ } reports_in('rl');

    is($t->http_get("/readtx/reports/$id")->{status}, 200, 'first read');
    my @rl = $t->redis_scan('lapor:{rl}:rl:read:*');
    my ($key) = sort { $t->redis_cmd('PTTL', $b) <=> $t->redis_cmd('PTTL', $a) }
        @rl;
    my $first = $t->redis_cmd('PTTL', $key);
    ok($first > 0 && $first <= 61_000, "at most the window plus 1 s "
        . "($first ms)");

    sleep 0.5;
    is($t->http_get("/readtx/reports/$id")->{status}, 200, 'second read');
    my $second = $t->redis_cmd('PTTL', $key);
    ok($second > 0 && $second <= $first - 400,
        "not renewed by the second request ($second ms)");
};

subtest 'key=: each client value has its own counter' => sub {
    same_window(4);

    my @a = map { $t->post_report($t->report_doc, path => '/keyed/reports',
        headers => { 'X-Client' => 'kiosk-1' }) } 1 .. 3;
    my @b = map { $t->post_report($t->report_doc, path => '/keyed/reports',
        headers => { 'X-Client' => 'kiosk-2' }) } 1 .. 3;

    is(join(' ', map { $_->{status} } @a), '201 201 429',
        'client kiosk-1: 2 then 429');
    is(join(' ', map { $_->{status} } @b), '201 201 429',
        'client kiosk-2: its own 2 then 429');
    check_429('keyed', @a, @b);
    is(scalar(reports_in('keyed')), 4, '4 reports stored');

    my $all = $t->redis_contents('lapor:{keyed}:rl:*');
    ok(!grep({ /kiosk/ } keys %$all), 'the key value is not in Redis');
};

subtest 'two servers and a second nginx share one counter' => sub {
    same_window(6);

    my $port_b = $t->port('b');
    my $port_c = $t2->port('http');
    my @jobs = ((map { [ $port, post_req('/shared/') ] } 1 .. 4),
        (map { [ $port_b, post_req('/shared/') ] } 1 .. 3),
        (map { [ $port_c, post_req('/shared/') ] } 1 .. 3));
    my @res = parallel(@jobs);

    is(count_status(201, @res), 7, '10 at once over three nodes: 7 are 201');
    is(count_status(429, @res), 3, 'and 3 are 429');
    check_429('shared', @res);

    my @ids = sort { $a <=> $b }
        map { $_->{json}{id} } grep { $_->{status} == 201 } @res;
    my @stored = sort { $a <=> $b } map { /:(\d+)$/ } reports_in('shared');
    is_deeply(\@stored, \@ids, 'the stored reports are exactly the 201s');
    is($t->stats_hash('lapor:{shared}:stats')->{submitted}, 7,
        'stats submitted = 7');
};

subtest '1r/s: Retry-After 1, and the next window starts afresh' => sub {
    # two at once at the start of a second; valgrind may be too slow to
    # keep both in one second, so a few attempts
    my ($r1, $r2);
    for (1 .. 3) {
        sleep(1 - (time - int(time)) + 0.02);
        ($r1, $r2) = sort { $a->{status} <=> $b->{status} }
            parallel(map { [ $port, post_req('/persec/') ] } 1 .. 2);
        last if $r2->{status} != 201;
    }
    is($r1->{status}, 201, 'first in the second: 201');
    $t->problem_ok($r2, 429, 'rate-limited', 'second in the same second');
    is($r2->{headers}{'retry-after'}, 1, 'Retry-After: 1');

    sleep(1 - (time - int(time)) + 0.05);
    my $r3 = $t->post_report($t->report_doc, path => '/persec/reports');
    is($r3->{status}, 201, 'in the next second: 201 again');
};

subtest 'the client in a counter key is an HMAC under the identity key' => sub {
    my $client = 'kiosk-hmac-' . int(time);
    my $r = $t->post_report($t->report_doc, path => '/keyed/reports',
        headers => { 'X-Client' => $client });
    is($r->{status}, 201, 'counted');

    my $key = pack 'H*', ($t->read_file($t->testdir . '/identity.key')
        =~ /([0-9a-fA-F]{64})/)[0];
    my $hmac = substr(Digest::SHA::hmac_sha256_hex($client, $key), 0, 32);
    my $plain = substr(Digest::SHA::sha256_hex($client), 0, 32);

    my @keys = map { (split /:/)[4] } $t->redis_scan('lapor:{keyed}:rl:*');
    ok(scalar(grep { $_ eq $hmac } @keys),
        'rl:submit:<first 128 bits of HMAC-SHA-256(identity key, client)>')
        or diag("keys: @keys");
    ok(!grep({ $_ eq $plain } @keys), 'not the plain SHA-256 of the client');
};

$t->check_alerts('no alerts in error.log');
$t2->stop_nginx;
$t2->check_alerts('no alerts in the second nginx error.log');

$t->finish;
