#!/usr/bin/perl

# Redis Sentinel: a master, two replicas (logged in as the "replica" user of
# the shipped users.acl) and three sentinels (redis-server --sentinel with
# the shipped sentinel.conf, down-after-milliseconds 1000), all on
# loopback.  nginx finds the master through the sentinels, checks ROLE,
# follows +switch-master, and with "lapor_redis_wait 1" answers 201 only
# for a report that reached a replica.
#
#   - discovery at start: health names the master;
#   - a flood of submissions with Idempotency-Keys while the master is
#     killed with SIGKILL: 503 with Retry-After only during the failover
#     window (measured, printed; under 5 s), then 201s from the new master;
#     every acknowledged report exists there;
#   - the old master back (as a replica): nothing changes (same master, no
#     switch, the connection kept; a write whose WAIT its replica misses
#     while the old master is copied gets 503 and its retry 201);
#   - one sentinel down: a reconnect asks the next one, a second failover
#     is followed;
#   - WAIT short of replicas: 503, and the Idempotency-Key retry returns the
#     report once replicas are back;
#   - misuse of the directives fails nginx -t.

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
my $MASTER = 'lapor';

###############################################################################
# Redis: a master and two replicas, three sentinels.

sub start_data {
    my ($name, $master) = @_;
    my @conf;
    if ($master) {
        # replication as the least-privilege "replica" user of users.acl
        @conf = (replicaof => '127.0.0.1 ' . $t->redis_port($master),
            masteruser => 'replica',
            masterauth => $t->acl_password('replica'));
    } else {
        # a master that comes back as a replica logs in the same way
        @conf = (masteruser => 'replica',
            masterauth => $t->acl_password('replica'));
    }
    return $t->start_redis(name => $name, conf => \@conf);
}

sub info {
    my ($name, $section) = @_;
    my $v = eval { $t->redis_cmd({ name => $name, timeout => 1 },
        'INFO', $section) };
    return {} unless defined $v && !ref $v;
    return { map { /^([^:#]+):(.*?)\r?$/ ? ($1, $2) : () } split /\n/, $v };
}

start_data('m1');
start_data('r1', 'm1');
start_data('r2', 'm1');

ok(wait_until(sub {
    (info('m1', 'replication')->{connected_slaves} || 0) == 2
        && (info('r1', 'replication')->{master_link_status} || '') eq 'up'
        && (info('r2', 'replication')->{master_link_status} || '') eq 'up';
}, $t->tmo(10)), 'two replicas replicate as the "replica" user');

# Faster than shipped (5000, 60000): a failover test on loopback.
my @sentinel_conf = (
    'sentinel down-after-milliseconds' => "$MASTER 1000",
    'sentinel failover-timeout' => "$MASTER 5000",
);

$t->start_sentinel(name => "s$_", master => 'm1', conf => \@sentinel_conf)
    for 1 .. 3;

sub sentinel_master {
    my ($s) = @_;
    my $v = eval { $t->redis_cmd({ name => $s, timeout => 1 },
        'SENTINEL', 'MASTER', $MASTER) };
    return {} unless ref $v eq 'ARRAY';
    return {@$v};
}

ok(wait_until(sub {
    for my $s (qw/ s1 s2 s3 /) {
        my $m = sentinel_master($s);
        return 0 unless ($m->{'num-other-sentinels'} || 0) == 2
            && ($m->{'num-slaves'} || 0) == 2;
    }
    return 1;
}, $t->tmo(15), 0.2), 'the sentinels know each other and both replicas');

###############################################################################
# nginx

my $SENTINELS = join ',', map { '127.0.0.1:' . $t->port("s$_") } 1 .. 3;
my $LOGIN = $t->redis_login;
my $SLOGIN = 'sentinel_user=lapor sentinel_password='
    . $t->acl_password('lapor_sentinel');

# lapor_redis_timeout above the WAIT timeout, which must be shorter
my $TIMEOUT = $t->tmo(2);

$t->write_conf(<<"EOF");
    lapor_redis sentinel=$SENTINELS master=$MASTER
                $LOGIN $SLOGIN;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout ${TIMEOUT}s;
    lapor_redis_wait 1 500ms;
    lapor_namespace $NS;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location = /metrics { lapor_metrics; }
    }
EOF

sub health {
    my $r = $t->http_get('/api/v1/health');
    return ($r, (($r->{json} || {})->{redis} || {}));
}

sub addr { '127.0.0.1:' . $t->redis_port($_[0]) }

subtest 'discovery at start: the master the sentinels name' => sub {
    $t->log_mark;
    $t->start_nginx;
    my $r = $t->wait_status('/api/v1/health', 200, $t->tmo(10));
    is($r->{status}, 200, 'health 200');
    my (undef, $h) = health();
    is($h->{master}, addr('m1'), 'health: redis.master is m1');
    is($h->{switches}, 0, 'health: no switch yet');
    like($t->log_since_mark, qr/sentinel 127\.0\.0\.1:\d+ names \Q@{[addr('m1')]}\E as the master of "$MASTER"/,
        'logged: which sentinel named which master');
    ok(wait_until(sub { $t->log_since_mark =~ /following \+switch-master/ },
        $t->tmo(5)), 'subscribed to +switch-master');
};

###############################################################################
# The flood.

my $seq = 0;
my %acked;          # key => id (201)
my @answers;        # [ time, status, response, key ]
my %given_up;       # keys whose claim outlived a write lost in a failover

sub submit_req {
    my ($key) = @_;
    my $title = sprintf 'Laporan uji failover Sentinel nomor %05d', $key;
    return $t->raw_request('POST', '/api/v1/reports',
        headers => { 'Content-Type' => 'application/json',
            'Idempotency-Key' => "sentinel-flood-$key" },
        body => $t->report_json($t->report_doc(title => $title)));
}

# Runs the flood: up to $width keys in flight, each retried (same key)
# until 201; $during->($elapsed) is called between rounds; new keys stop
# when it returns false.  Returns the keys that never got their 201.
sub flood {
    my (%o) = @_;
    my $width = $o{width} || 8;
    my (@open, %tries, %conflicts);
    my $start = time;
    my $more = 1;

    while (time - $start < $o{max}) {
        $more &&= $o{during}->(time - $start);
        push @open, ++$seq while $more && @open < $width;
        last unless @open;

        my @res = $t->http_parallel([ map { submit_req($_) } @open ],
            timeout => $TIMEOUT + 2);
        my (@again, $wait);
        for my $i (0 .. $#open) {
            my $r = $res[$i];
            my $st = $r ? $r->{status} : 0;
            push @answers, [ time, $st, $r, $open[$i] ];
            if ($st == 201) {
                $acked{$open[$i]} = $r->{json}{id};
            } else {
                push @again, $open[$i];
                $wait = 1;
                $tries{$open[$i]}++;
                $conflicts{$open[$i]}++ if $st == 409;
            }
        }
        # 409 is a claim of the key whose write did not finish: it stays
        # until it expires (60 s); such a key is given up after a few
        # 409s, not acked, so that it cannot hold the flood open.
        @open = grep { ($tries{$_} || 0) < 400
            && ($conflicts{$_} || 0) < 10 } @again;
        $given_up{$_} = 1 for grep { ($conflicts{$_} || 0) >= 10 } @again;
        sleep 0.05 if $wait;
    }
    return @open;
}

sub exists_on {
    my ($name, @ids) = @_;
    my @missing;
    for my $id (@ids) {
        my $v = $t->redis_cmd({ name => $name }, 'EXISTS', "${P}report:$id");
        push @missing, $id unless !ref $v && $v == 1;
    }
    return @missing;
}

sub current_master {
    my $v = eval { $t->redis_cmd({ name => 's2', timeout => 1 },
        'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', $MASTER) };
    return ref $v eq 'ARRAY' ? "$v->[0]:$v->[1]" : '';
}

sub name_of {
    my ($addr) = @_;
    for my $n (qw/ m1 r1 r2 /) {
        return $n if addr($n) eq $addr;
    }
    return '';
}

# kills $victim during a flood; returns the window measured
sub failover {
    my ($victim, $label) = @_;
    @answers = ();
    my ($killed, $recovered);
    my $before = scalar keys %acked;

    $t->log_mark;
    $t->collect_acl_log(name => $victim);

    my @left = flood(max => $t->tmo(25), during => sub {
        my ($el) = @_;
        if (!$killed && $el > 1) {
            $t->stop_redis(name => $victim, signal => 'KILL');
            $killed = time;
            # clients that go away while their request waits for Redis
            $t->http_abort(submit_req(++$seq), after => 0.01, rst => $_)
                for 0, 1;
        }
        if ($killed && !$recovered) {
            my @after = grep { $_->[0] > $killed } @answers;
            $recovered = $after[-1][0]
                if @after && $after[-1][1] == 201
                && grep { $_->[1] != 201 } @after;
        }
        # a second of 201s from the new master, then no new keys
        return !$recovered || time - $recovered < 1;
    });

    my @fail = grep { $_->[1] != 201 } @answers;
    my @after = grep { $_->[0] > $killed } @answers;
    my ($first_ok) = grep { $_->[1] == 201 } @after;
    my $window = @fail ? $fail[-1][0] - $killed : 0;
    my $to_ok = $first_ok ? $first_ok->[0] - $killed : -1;

    diag(sprintf "%s: kill -9 of the master; %d answers, %d not 201 "
        . "(%s); last non-201 %.2f s after the kill, first 201 from the "
        . "new master %.2f s after it",
        $label, scalar @answers, scalar @fail,
        join(',', map { "$_->[1]" } @fail[0 .. ($#fail > 5 ? 5 : $#fail)]),
        $window, $to_ok);

    ok(@fail > 0, 'some requests met the failover');
    is(scalar(grep { $_->[0] < $killed } @fail), 0,
        'no error before the kill');
    is(scalar(grep { $_->[1] != 503 && $_->[1] != 409 } @fail), 0,
        'every other answer during the switch is 503 (or 409 for a key '
        . 'whose claim outlived its write)');
    my @no_retry = grep { $_->[1] == 503
        && ($_->[2]{headers}{'retry-after'} || '') !~ /^\d+$/ } @fail;
    is(scalar @no_retry, 0, '503s carry Retry-After');
    my @types = grep { $_->[1] == 503
        && (($_->[2]{json} || {})->{type} || '') !~ /redis-unavailable/ }
        @fail;
    is(scalar @types, 0, '503s are redis-unavailable problems');
    cmp_ok($to_ok, '>', 0, 'the new master answers 201');

    # On a loaded host a sentinel may miss the new master's first PING
    # (down-after-milliseconds 1000) and fail over a second time; with
    # lapor_redis_wait 1, writes then wait until the first new master is
    # made a replica of the second (about ten seconds).  That is Sentinel's
    # window, not the module's: the bound is checked for one failover.
    my $announced = () = $t->log_since_mark
        =~ /sentinel announces \+switch-master $MASTER /g;
    SKIP: {
        skip("the sentinels failed over $announced times (a loaded host)",
            1) if $announced > 1;
        cmp_ok($window, '<', $t->tmo(5),
            'failover window under 5 s (down-after-milliseconds 1000)');
    }
    my @settled = grep { !$given_up{$_->[3]} } @after;
    ok(@settled > 0 && $settled[-1][1] == 201, 'the flood ends with 201s')
        or diag('last answers: ' . join ',', map { "$_->[1]" }
            @settled[($#settled > 5 ? $#settled - 5 : 0) .. $#settled]);
    note('keys given up (409 until their claim expires): '
        . scalar @left) if @left;
    cmp_ok(scalar(keys %acked) - $before, '>', 0, 'reports acknowledged');

    return $window;
}

my %window;

subtest 'kill -9 of the master during a flood' => sub {
    $window{1} = failover('m1', 'first failover');

    my $new = current_master();
    isnt($new, addr('m1'), "the sentinels promoted a replica ($new)");
    my (undef, $h) = health();
    is($h->{master}, $new, 'health names the new master');
    cmp_ok($h->{switches}, '>=', 1, 'health counts the switch');

    my $log = $t->log_since_mark;
    like($log, qr/sentinel announces \+switch-master $MASTER /,
        'the +switch-master message was followed');
    like($log, qr/names \Q$new\E as the master of "\Q$MASTER\E" \(was /,
        'the new master logged with the old one');
    unlike($log, qr/leaving redis at \Q$new\E/,
        'an announced master already in use is not left');

    my $m = $t->http_get('/metrics');
    like($m->{body}, qr/^lapor_redis_master_switches_total [1-9]/m,
        'metrics: master switches counted');
    like($m->{body}, qr/^lapor_redis_master\{name="$MASTER",address="\Q$new\E"\} 1$/m,
        'metrics: the current master');

    my $newname = name_of($new);
    my @missing = exists_on($newname, values %acked);
    is(scalar @missing, 0, 'every acknowledged report (' . scalar(keys %acked)
        . ') exists on the new master (lapor_redis_wait 1)')
        or diag("missing: @missing");
};

subtest 'the old master back as a replica changes nothing' => sub {
    my (undef, $h0) = health();
    $t->log_mark;
    # It starts as a master with its old data (as after a crash and a
    # restart with the same settings); the sentinels demote it after about
    # ten seconds.  Meanwhile and after, the module stays on the new master.
    start_data('m1');
    @answers = ();
    my $demoted;
    my @left = flood(max => $t->tmo(30), width => 2, during => sub {
        my $i = info('m1', 'replication');
        $demoted ||= ($i->{role} || '') eq 'slave'
            && ($i->{master_link_status} || '') eq 'up' && time;
        return !$demoted || time - $demoted < 1;
    });
    ok($demoted, 'the sentinels made it a replica');
    is(scalar @left, 0, 'submissions go on: every key ends in 201');
    # The new master copies its data to the old one (a fork); on a loaded
    # machine its other replica may then miss a WAIT of 500 ms, and such a
    # write is answered 503 as it must be (lapor_redis_wait), then retried
    # with its key.  Nothing else may fail: no lost connection, no switch.
    my @not = grep { $_->[1] != 201 } @answers;
    my $log = $t->log_since_mark;
    is(scalar(grep { $_->[1] != 503 } @not), 0,
        'every other answer is 503 (' . scalar(@not) . ' of '
        . scalar(@answers) . ')')
        or diag(join ',', map { $_->[1] } @not);
    ok(!@not || $log =~ /a write reached 0 of 1 replicas within 500 ms/,
        'each 503: a WAIT short of its replica, logged as such')
        or diag($log);
    unlike($log, qr/commands in flight, refusing more|refused WAIT/,
        'no 503 of another kind');
    my (undef, $h) = health();
    is($h->{master}, $h0->{master}, 'the same master');
    is($h->{switches}, $h0->{switches}, 'no switch');
    unlike($t->log_since_mark, qr/redis connection to .* lost/,
        'the connection was not dropped');
};

subtest 'reload (HUP): new workers ask the sentinels, old ones leave' => sub {
    plan(skip_all => 'valgrind mode runs without a master process')
        if $t->valgrind;
    my (undef, $h) = health();
    $t->log_mark;
    $t->reload;
    my $r = $t->wait_status('/api/v1/health', 200, $t->tmo(5));
    is($r->{status}, 200, 'health 200 after the reload');
    (undef, my $h2) = health();
    is($h2->{master}, $h->{master}, 'the same master');
    ok(wait_until(sub { $t->log_since_mark
            =~ /names \Q$h->{master}\E as the master/ }, $t->tmo(5)),
        'the new workers asked the sentinels');
    $t->check_alerts('no alerts (old workers closed their sentinel '
        . 'connections)');
};

subtest 'a sentinel down is tolerated' => sub {
    # the sentinel the module asks first and subscribes to
    my ($r, $h) = health();
    $t->log_mark;
    $t->stop_redis(name => 's1', signal => 'KILL');

    # every client of the master goes: the module asks the sentinels again
    my $mname = name_of($h->{master});
    $t->redis_cmd({ name => $mname }, 'CLIENT', 'KILL', 'USER', 'lapor');
    $r = $t->wait_status('/api/v1/health', 200, $t->tmo(5));
    is($r->{status}, 200, 'health 200 again with s1 down');
    (undef, my $h2) = health();
    is($h2->{master}, $h->{master}, 'the same master, from another sentinel');

    ok(wait_until(sub { $t->log_since_mark
            =~ /following \+switch-master of "$MASTER" through sentinel 127\.0\.0\.1:(\d+)/
            && $1 != $t->port('s1') }, $t->tmo(5)),
        'subscribed again, on another sentinel');

    # two of three sentinels still make a quorum
    $window{2} = failover($mname, 'second failover, one sentinel down');
    my $new = current_master();
    isnt($new, $h->{master}, "a new master ($new)");
    my @missing = exists_on(name_of($new), values %acked);
    is(scalar @missing, 0, 'every acknowledged report exists on it')
        or diag("missing: @missing");
};

subtest 'WAIT short of replicas: 503, the retry returns the report' => sub {
    my (undef, $h) = health();
    my $mname = name_of($h->{master});
    my @replicas = grep { $_ ne $mname && $t->redis_pid($_) }
        qw/ m1 r1 r2 /;
    $t->stop_redis(name => $_) for @replicas;

    $t->log_mark;
    my $req = submit_req(++$seq);
    my $r = $t->http_raw($req);
    $t->problem_ok($r, 503, 'redis-unavailable', '503 without a replica');
    like($r->{headers}{'retry-after'} || '', qr/^\d+$/, 'Retry-After');
    like($t->log_since_mark, qr/a write reached 0 of 1 replicas within 500 ms/,
        'logged');
    like($t->http_get('/metrics')->{body},
        qr/^lapor_redis_unreplicated_writes_total [1-9]/m, 'counted');

    for my $n (@replicas) {
        start_data($n, $mname);
    }
    ok(wait_until(sub { (info($mname, 'replication')->{connected_slaves}
        || 0) >= 1 }, $t->tmo(15), 0.2), 'a replica is back');

    my $again = $t->http_raw($req);
    is($again->{status}, 201, 'the Idempotency-Key retry: 201');
    is($again->{headers}{'idempotent-replayed'}, 'true',
        'the report written before, replayed');
};

# A scripted sentinel names first a replica, then, after the test moved
# the master by hand, a server that has become a replica: ROLE and
# -READONLY make the module ask again.  The real sentinels are stopped so
# that they do not undo the move.
subtest 'a sentinel names a replica: ROLE, then -READONLY' => sub {
    my (undef, $h) = health();
    my $x = name_of($h->{master});
    my ($y) = grep { $_ ne $x && $t->redis_pid($_) } qw/ m1 r1 r2 /;
    $t->stop_nginx;
    $t->stop_redis(name => $_) for qw/ s1 s2 s3 /;

    my $file = $t->testdir . '/fake-sentinel-master';
    my $name_master = sub {
        open my $fh, '>', "$file.tmp" or die "$file: $!\n";
        print $fh $t->redis_port($_[0]);
        close $fh;
        rename "$file.tmp", $file or die "$file: $!\n";
    };
    $name_master->($y);

    $t->fake_redis(name => 'fakes', handler => sub {
        my ($cmd, $args) = @_;
        if ($cmd eq 'SENTINEL') {
            open my $fh, '<', $file or return resp_nil();
            my $port = <$fh>;
            return resp_array(resp_bulk('127.0.0.1'), resp_bulk($port));
        }
        if ($cmd eq 'SUBSCRIBE') {
            return resp_array(resp_bulk('subscribe'), resp_bulk($args->[0]),
                resp_int(1));
        }
        return undef;
    });

    $t->write_conf(<<"EOF");
    lapor_redis sentinel=127.0.0.1:%%PORT_fakes%% master=$MASTER $LOGIN;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout ${TIMEOUT}s;
    lapor_namespace $NS;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
    $t->log_mark;
    $t->start_nginx;
    ok(wait_until(sub { $t->log_since_mark =~ /redis at \Q@{[addr($y)]}\E is not the master of "$MASTER", asking the sentinels again/ },
        $t->tmo(5)), 'a replica named as master is left after ROLE');
    is($t->http_get('/api/v1/health')->{status}, 503,
        'and never used: 503');

    $name_master->($x);
    my $r = $t->wait_status('/api/v1/health', 200, $t->tmo(10));
    is($r->{status}, 200, 'the master named next is used');

    # the master becomes a replica, the replica the master
    $name_master->($y);
    $t->redis_cmd({ name => $y }, 'REPLICAOF', 'NO', 'ONE');
    $t->redis_cmd({ name => $x }, 'REPLICAOF', '127.0.0.1',
        $t->redis_port($y));
    $t->log_mark;
    my $req = submit_req(++$seq);
    $r = $t->http_raw($req);
    $t->problem_ok($r, 503, 'redis-unavailable', 'a write on it: 503');
    like($t->log_since_mark, qr/redis at \Q@{[addr($x)]}\E answered "READONLY /,
        'the READONLY reply logged');
    $r = $t->wait_status('/api/v1/health', 200, $t->tmo(10));
    my (undef, $h2) = health();
    is($h2->{master}, addr($y), 'the sentinel asked again: the new master');
    $r = $t->http_raw($req);
    is($r->{status}, 201, 'the retry is stored there');
};

subtest 'misuse fails nginx -t naming the directive' => sub {
    my %bad = (
        'sentinel= without master=' =>
            [ 'lapor_redis sentinel=127.0.0.1:26380;', 'lapor_redis' ],
        'master= without sentinel=' =>
            [ 'lapor_redis 127.0.0.1:6380 master=lapor;', 'lapor_redis' ],
        'sentinel_password= without sentinel=' =>
            [ 'lapor_redis 127.0.0.1:6380 sentinel_password=x;',
              'lapor_redis' ],
        'an empty sentinel address' =>
            [ 'lapor_redis sentinel=127.0.0.1:26380,,127.0.0.1:1 '
              . 'master=lapor;', 'lapor_redis' ],
        'a unix socket as a sentinel' =>
            [ 'lapor_redis sentinel=unix:/tmp/s.sock master=lapor;',
              'lapor_redis' ],
        'a bad sentinel port' =>
            [ 'lapor_redis sentinel=127.0.0.1:99999 master=lapor;',
              'lapor_redis' ],
        'master= twice' =>
            [ 'lapor_redis sentinel=127.0.0.1:1 master=a master=b;',
              'lapor_redis' ],
        'sentinel_user= without sentinel_password=' =>
            [ 'lapor_redis sentinel=127.0.0.1:1 master=a sentinel_user=u;',
              'lapor_redis' ],
        'lapor_redis_wait 0' =>
            [ "lapor_redis 127.0.0.1:6380;\n lapor_redis_wait 0;",
              'lapor_redis_wait' ],
        'lapor_redis_wait with a bad timeout' =>
            [ "lapor_redis 127.0.0.1:6380;\n lapor_redis_wait 1 soon;",
              'lapor_redis_wait' ],
        'lapor_redis_wait not shorter than lapor_redis_timeout' =>
            [ "lapor_redis 127.0.0.1:6380;\n lapor_redis_timeout 1s;\n"
              . " lapor_redis_wait 1 1s;", 'lapor_redis_wait' ],
        'lapor_redis_wait twice' =>
            [ "lapor_redis 127.0.0.1:6380;\n lapor_redis_wait 1;\n"
              . " lapor_redis_wait 2;", 'lapor_redis_wait' ],
    );
    for my $name (sort keys %bad) {
        my ($conf, $directive) = @{$bad{$name}};
        my ($rc, $out) = $t->nginx_t("    $conf\n");
        ok($rc != 0 && $out =~ /\[emerg\]/ && $out =~ /\Q$directive\E/,
            "rejected: $name") or diag("rc=$rc\n$out");
    }

    my ($rc, $out) = $t->nginx_t("    lapor_redis sentinel=127.0.0.1:1,"
        . "[::1]:2 master=lapor user=lapor password=x sentinel_user=s "
        . "sentinel_password=y db=1;\n    lapor_redis_wait 2 100ms;\n");
    is($rc, 0, 'every parameter together is accepted') or diag($out);
};

diag(sprintf 'failover windows: %.2f s, %.2f s (one sentinel down)',
    $window{1} || -1, $window{2} || -1);

$t->finish;
