#!/usr/bin/perl

# Redis Cluster: three masters on loopback (the shipped redis.conf and
# users.acl plus cluster-enabled yes), nginx with "lapor_redis cluster=" and
# two of them as seeds.  The namespaces bali (slot 11049) and ntb (slot
# 2067) live on different masters.
#
#   - the slot map is fetched, health and /metrics say the mode and the
#     masters; each namespace's keys are on its master and nowhere else;
#   - submissions, status reads and actions work in both namespaces, the
#     metrics' queue gauges of both (one transaction per namespace);
#   - a live migration of bali's slot to another master (SETSLOT
#     IMPORTING/MIGRATING, MIGRATE ... KEYS a few at a time, SETSLOT NODE)
#     while requests are in flight: ASK, TRYAGAIN and MOVED never reach a
#     client, no request fails, no report is lost or doubled;
#   - two nginx instances sharing the cluster: a rate limit, the report
#     numbers and the auto-close sweep behave as on one Redis;
#   - examples/nginx-multi.conf (Bali and NTB, each with its host name,
#     catalog, key and namespace): nginx -t, and requests to each;
#   - a master killed: its replica takes over (CLUSTER FAILOVER is not
#     needed: the cluster elects it), nginx follows the new map;
#   - misuse of the directive fails nginx -t.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ time sleep /;
use IO::Select;
use HTTP::Tiny;

use Lapor::Test;

my $t = Lapor::Test->new;

my @M = qw/ m1 m2 m3 /;
my %SLOT = (bali => 11049, ntb => 2067);
my %RANGE = (m1 => [ 0, 5460 ], m2 => [ 5461, 10922 ],
    m3 => [ 10923, 16383 ]);

###############################################################################
# The cluster.

# A cluster node from the shipped files; its bus on a port of our range
# (not port + 10000, which may be outside it).
sub start_node {
    my ($name) = @_;
    return $t->start_redis(name => $name, conf => [
        'cluster-enabled' => 'yes',
        'cluster-config-file' => 'nodes.conf',
        'cluster-node-timeout' => 1000,
        'cluster-port' => $t->port("bus-$name"),
        # a replica logs in to its master as the "replica" user
        masteruser => 'replica',
        masterauth => $t->acl_password('replica'),
    ]);
}

sub cmd {
    my ($name, @args) = @_;
    return $t->redis_cmd({ name => $name, timeout => $t->tmo(5) }, @args);
}

sub info {
    my ($name, $what) = @_;
    # $what: CLUSTER INFO; else INFO replication
    my $v = eval { cmd($name, $what ? ('CLUSTER', 'INFO') : ('INFO',
        'replication')) };
    return {} unless defined $v && !ref $v;
    return { map { /^([^:#]+):(.*?)\r?$/ ? ($1, $2) : () } split /\n/, $v };
}

sub addr { '127.0.0.1:' . $t->redis_port($_[0]) }

my %ID;

start_node($_) for @M;
for my $m (@M) {
    $ID{$m} = cmd($m, 'CLUSTER', 'MYID');
    is(cmd($m, 'CLUSTER', 'ADDSLOTSRANGE', @{$RANGE{$m}}), 'OK',
        "$m: slots $RANGE{$m}[0]..$RANGE{$m}[1]");
}
for my $m (qw/ m2 m3 /) {
    is(cmd('m1', 'CLUSTER', 'MEET', '127.0.0.1', $t->redis_port($m),
        $t->port("bus-$m")), 'OK', "m1 meets $m");
}

sub cluster_ok {
    my (@names) = @_;
    return wait_until(sub {
        for my $m (@names) {
            my $i = info($m, 1);
            return 0 unless ($i->{cluster_state} || '') eq 'ok';
            my $s = eval { cmd($m, 'CLUSTER', 'SLOTS') };
            return 0 unless ref $s eq 'ARRAY' && @$s == 3;
        }
        return 1;
    }, $t->tmo(20), 0.1);
}

ok(cluster_ok(@M), 'three masters, every slot covered, all agree')
    or BAIL_OUT('no cluster');

# a replica of m1, for the failover at the end
start_node('r1');
$ID{r1} = cmd('r1', 'CLUSTER', 'MYID');
is(cmd('r1', 'CLUSTER', 'MEET', '127.0.0.1', $t->redis_port('m1'),
    $t->port('bus-m1')), 'OK', 'r1 meets m1');
ok(wait_until(sub {
    my $nodes = eval { cmd('r1', 'CLUSTER', 'NODES') } // '';
    return $nodes =~ /\Q$ID{m1}\E/ && $nodes =~ /\Q$ID{m3}\E/;
}, $t->tmo(10), 0.1), 'r1 knows the masters');
is(cmd('r1', 'CLUSTER', 'REPLICATE', $ID{m1}), 'OK', 'r1 replicates m1');
ok(wait_until(sub {
    (info('r1')->{master_link_status} || '') eq 'up'
}, $t->tmo(10), 0.1), 'r1 replicates m1 as the "replica" user');
ok(cluster_ok(@M, 'r1'), 'all four agree');

# where the namespaces are: CLUSTER KEYSLOT, and which master has it
for my $ns (sort keys %SLOT) {
    is(cmd('m1', 'CLUSTER', 'KEYSLOT', "lapor:{$ns}:report:1"), $SLOT{$ns},
        "$ns: slot $SLOT{$ns}");
}
my %HOME = (ntb => 'm1', bali => 'm3');

###############################################################################
# nginx: two of the three as seeds; the third is learned from the map.

my $TOK = $t->officer_tokens({ 'admin-prov' => 'admin',
    'pupr-prov' => 'pupr-kim' });
my $ADMIN = $TOK->{'admin-prov'};
my $PUPR = $TOK->{'pupr-prov'};

sub nginx_conf {
    return <<'EOF';
    lapor_redis cluster=127.0.0.1:%%PORT_m1%%,127.0.0.1:%%PORT_m2%%
                %%REDIS_LOGIN%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 10s;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_auto_close_interval 1s;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /bali/ { lapor_namespace bali; lapor_api; }
        location /ntb/ { lapor_namespace ntb; lapor_api; }
        location /rl/ {
            lapor_namespace ntb;
            lapor_limit submit 5r/m burst=2;
            lapor_api;
        }
        location = /metrics { lapor_metrics; }
    }
EOF
}

$t->write_conf(nginx_conf(), worker_processes => 2);
$t->start_nginx;
ok($t->wait_status('/bali/health', 200, 10), 'bali: health 200');

sub health {
    my ($ns) = @_;
    my $r = $t->http_get("/$ns/health");
    return $r->{json} || {};
}

subtest 'health: the mode, the slot, its master, the masters' => sub {
    for my $ns (sort keys %SLOT) {
        ok(wait_until(sub { health($ns)->{redis}{master_state} }, $t->tmo(5)),
            "$ns: its master is connected");
        my $h = health($ns);
        is($h->{redis}{state}, 'ready', "$ns: ready");
        is($h->{redis}{mode}, 'cluster', "$ns: mode cluster");
        is($h->{redis}{slot}, $SLOT{$ns}, "$ns: slot $SLOT{$ns}");
        is($h->{redis}{masters}, 3, "$ns: three masters");
        is($h->{redis}{master_state}, 'ready', "$ns: its master ready");
        ok(!grep({ /127\.0\.0\.1/ } values %{$h->{redis}}),
            "$ns: no address in the public answer");
    }
};

###############################################################################
# Both namespaces: submissions, reads, actions.

my (%ids, %titles);

my %title_of_key;

sub submit {
    my ($ns, %o) = @_;
    my $title = ($o{key} && $title_of_key{$o{key}})
        || sprintf 'Laporan %s uji cluster nomor %05d', $ns,
        scalar(keys %titles) + 1;
    $title_of_key{$o{key}} = $title if $o{key};
    my $r = $t->post_report($t->report_doc(title => $title),
        path => "/$ns/reports",
        headers => $o{key} ? { 'Idempotency-Key' => $o{key} } : {});
    if ($r->{status} == 201 && !$r->{headers}{'idempotent-replayed'}) {
        push @{$ids{$ns}}, $r->{json}{id};
        $titles{"$ns:$r->{json}{id}"} = $title;
    }
    return $r;
}

sub on_master {
    my ($name, $key) = @_;
    my $v = cmd($name, 'EXISTS', $key);
    return !ref $v && $v == 1;
}

subtest 'submissions, reads and actions in both namespaces' => sub {
    for my $ns (sort keys %SLOT) {
        for my $n (1 .. 5) {
            my $r = submit($ns, $n % 2 ? (key => "$ns-awal-$n") : ());
            is($r->{status}, 201, "$ns: report $n: 201") or diag($r->{body});
        }
        my %n = map { $_ => 1 } @{$ids{$ns}};
        is(scalar keys %n, 5, "$ns: five numbers (two workers, a block "
            . 'each)');

        my $home = $HOME{$ns};
        ok(on_master($home, "lapor:{$ns}:report:$_"),
            "$ns: report $_ on $home") for @{$ids{$ns}};
        for my $other (grep { $_ ne $home } @M) {
            is(cmd($other, 'CLUSTER', 'COUNTKEYSINSLOT', $SLOT{$ns}), 0,
                "$ns: no key on $other");
        }

        my $v = $t->report_view(1, undef, prefix => "/$ns");
        is($v->{status}, 200, "$ns: GET reports/1");
        is($v->{json}{title}, $titles{"$ns:1"}, "$ns: its title");

        my $a = $t->report_action(1, 'dispatch', prefix => "/$ns",
            token => $ADMIN, if_match => '"1"',
            body => { agency => 'pupr-kim',
                message => 'Mohon ditindaklanjuti oleh dinas terkait.' });
        is($a->{status}, 200, "$ns: dispatch report 1") or diag($a->{body});
        is($t->report_view(1, $ADMIN, prefix => "/$ns")->{json}{status},
            'dispatched', "$ns: report 1 dispatched");
        is($t->report_events(1, undef, prefix => "/$ns")->{status}, 200,
            "$ns: its timeline");
        is($t->queue_get($ADMIN, 'status=submitted', prefix => "/$ns")
            ->{status}, 200, "$ns: the queue");
        is($t->http_get("/$ns/stats")->{status}, 200, "$ns: stats");
    }

    # the same Idempotency-Key again: the same report
    my $again = submit('bali', key => 'bali-awal-1');
    is($again->{status}, 201, 'a repeated submission: 201');
    is($again->{headers}{'idempotent-replayed'}, 'true', 'replayed');
};

subtest '/metrics: the mode, the masters, both namespaces' => sub {
    my $m = $t->http_get('/metrics');
    is($m->{status}, 200, 'GET /metrics: 200');
    my $text = $m->{body};
    like($text, qr/^lapor_redis_mode\{mode="cluster"\} 1$/m, 'mode cluster');
    for my $name (@M) {
        my $a = addr($name);
        my $n = $RANGE{$name}[1] - $RANGE{$name}[0] + 1;
        like($text, qr/^lapor_redis_cluster_slots\{address="\Q$a\E",state="[a-z]+"\} $n$/m,
            "$name: $n slots");
    }
    for my $ns (sort keys %SLOT) {
        my $a = addr($HOME{$ns});
        like($text, qr/^lapor_redis_cluster_namespace_master\{namespace="$ns",slot="$SLOT{$ns}",address="\Q$a\E"\} 1$/m,
            "$ns: on $HOME{$ns}");
        like($text, qr/^lapor_queue_reports\{namespace="$ns",state="submitted"\} 4$/m,
            "$ns: the queue gauge (4 submitted, one dispatched)");
    }
    like($text, qr/^lapor_redis_cluster_maps_total [1-9]/m, 'maps taken');
};

###############################################################################
# A live migration of bali's slot from m3 to m2, during traffic.

my $MIGRATED = 0;

# Keeps $width requests in flight: $next->() gives a request ([ ..., raw
# text ] as its last element), $answer->($req, $response) takes each
# answer; $during->() is called every 20 ms and says whether to go on.
sub traffic {
    my ($width, $next, $answer, $during) = @_;
    my (%open, $more);
    my $sel = IO::Select->new;
    my $deadline = time + $t->tmo(60);
    $more = 1;

    while (($more || $sel->count) && time < $deadline) {
        while ($more && $sel->count < $width) {
            my $req = $next->();
            my $s = $t->http_start($req->[-1]);
            $open{fileno $s} = [ $s, $req, '' ];
            $sel->add($s);
        }
        $more &&= $during->();
        for my $s ($sel->can_read(0.02)) {
            my $o = $open{fileno $s};
            my $n = sysread($s, $o->[2], 65536, length $o->[2]);
            next if !defined $n || $n;
            $sel->remove($s);
            delete $open{fileno $s};
            close $s;
            $answer->($o->[1], Lapor::Test::parse_http_response($o->[2]));
        }
    }
    $answer->($_->[1], { status => 0, body => 'no answer' }) for values %open;
}

sub migrate_step {
    my ($n) = @_;
    my $keys = cmd('m3', 'CLUSTER', 'GETKEYSINSLOT', $SLOT{bali}, $n);
    return 0 unless ref $keys eq 'ARRAY' && @$keys;
    my $r = cmd('m3', 'MIGRATE', '127.0.0.1', $t->redis_port('m2'), '', 0,
        5000, 'AUTH2', 'admin', $t->acl_password('admin'), 'KEYS', @$keys);
    die "MIGRATE: $r\n" unless !ref $r && $r eq 'OK';
    $MIGRATED += @$keys;
    return scalar @$keys;
}

subtest 'a live migration of a namespace: nothing fails, lost or doubled' => sub {
    my $before = scalar @{$ids{bali}};
    my $keys_before = cmd('m3', 'CLUSTER', 'COUNTKEYSINSLOT', $SLOT{bali});
    ok($keys_before > 10, "bali has $keys_before keys on m3");

    # (before: a transaction over keys of which some are missing waits
    # for the end of a migration, TRYAGAIN, as the gauges of /metrics do)
    my $m0 = $t->http_get('/metrics')->{body};
    my %redirects0 = $m0 =~ /^lapor_redis_cluster_redirects_total\{reply="(\w+)"\} (\d+)$/mg;

    is(cmd('m2', 'CLUSTER', 'SETSLOT', $SLOT{bali}, 'IMPORTING', $ID{m3}),
        'OK', 'm2 imports the slot');
    is(cmd('m3', 'CLUSTER', 'SETSLOT', $SLOT{bali}, 'MIGRATING', $ID{m2}),
        'OK', 'm3 migrates it');

    my (@bad, %by_key, $n, $phase, $answered);
    $phase = 'migrating';
    my $t0 = time;
    my $t_moved;

    # the next request of the mix: submissions (half with an
    # Idempotency-Key), a report and its timeline
    my $next = sub {
        my $k = ++$n;
        my $id = $ids{bali}[ $k % @{$ids{bali}} ];
        if ($k % 6 == 4) {
            return [ 'read', undef, undef,
                $t->raw_request('GET', "/bali/reports/$id") ];
        }
        if ($k % 6 == 5) {
            return [ 'events', undef, undef,
                $t->raw_request('GET', "/bali/reports/$id/events") ];
        }
        my $key = $k % 2 ? "bali-pindah-$k" : undef;
        my $title = sprintf 'Laporan bali uji migrasi nomor %05d', $k;
        $title_of_key{$key} = $title if $key;
        return [ 'submit', $key, $title, $t->raw_request('POST',
            '/bali/reports', headers => {
                'Content-Type' => 'application/json',
                $key ? ('Idempotency-Key' => $key) : () },
            body => $t->report_json($t->report_doc(title => $title))) ];
    };

    my $answer = sub {
        my ($req, $r) = @_;
        my ($what, $key, $title) = @$req;
        $answered++;
        my $want = $what eq 'submit' ? 201 : 200;
        if ($r->{status} != $want) {
            push @bad, "$what: $r->{status} $r->{body}";
            return;
        }
        return unless $what eq 'submit';
        push @{$ids{bali}}, $r->{json}{id};
        $titles{"bali:$r->{json}{id}"} = $title;
        push @{$by_key{$key}}, $r->{json}{id} if $key;
    };

    # six requests in flight all along; the migration goes on meanwhile,
    # one key every 20 ms, then the slot is given to m2, then a second
    # more of traffic
    traffic(6, $next, $answer, sub {
        if ($phase eq 'migrating') {
            $phase = 'moved' unless migrate_step(1);
        } elsif ($phase eq 'moved') {
            # the slot is m2's: the importing node first, then the others
            for my $m (qw/ m2 m3 m1 /) {
                my $r = cmd($m, 'CLUSTER', 'SETSLOT', $SLOT{bali}, 'NODE',
                    $ID{m2});
                push @bad, "SETSLOT NODE on $m: $r" unless $r eq 'OK';
            }
            $phase = 'after';
            $t_moved = time;
        } elsif ($phase eq 'after' && time - $t_moved > 1) {
            $phase = 'done';
        }
        return $phase ne 'done';
    });

    is_deeply(\@bad, [], "$answered requests during the migration: every "
        . 'one answered as without it') or diag(explain(\@bad));
    note(sprintf '%d keys migrated, %d requests answered in %.2f s',
        $MIGRATED, $answered, time - $t0);

    ok($MIGRATED >= $keys_before, "every key moved ($MIGRATED)");

    # again with the same keys: the reports made, not new ones
    for my $key (sort keys %by_key) {
        my $r = $t->post_report($t->report_doc(title => $title_of_key{$key}),
            path => '/bali/reports', headers => { 'Idempotency-Key' => $key });
        push @bad, "repeat $key: $r->{status}" unless $r->{status} == 201
            && $r->{json}{id} == $by_key{$key}[0];
    }
    is_deeply(\@bad, [], 'each Idempotency-Key still names its report');

    my @all = @{$ids{bali}};
    my %seen;
    my @doubled = grep { $seen{$_}++ } @all;
    is_deeply(\@doubled, [], scalar(@all) . ' reports, each number once');

    is(cmd('m3', 'CLUSTER', 'COUNTKEYSINSLOT', $SLOT{bali}), 0,
        'no bali key left on m3');
    my @missing = grep { !on_master('m2', "lapor:{bali}:report:$_") } @all;
    is_deeply(\@missing, [], 'every acknowledged report is on m2');
    my @wrong = grep {
        (cmd('m2', 'HGET', "lapor:{bali}:report:$_", 'title') // '')
            ne $titles{"bali:$_"} } @all;
    is_deeply(\@wrong, [], 'with its own title');
    my @hashes = grep { /:report:\d+$/ }
        $t->redis_scan('lapor:{bali}:report:*', name => 'm2');
    is(scalar @hashes, scalar @all, 'no report that was not acknowledged')
        or diag("hashes: @hashes; acknowledged: @all");
    is($t->stats_hash('lapor:{bali}:stats', name => 'm2')->{submitted},
        scalar @all, 'the statistics count each report once');

    my $m1 = $t->http_get('/metrics')->{body};
    my %redirects1 = $m1 =~ /^lapor_redis_cluster_redirects_total\{reply="(\w+)"\} (\d+)$/mg;
    my %seen_redirects = map { $_ => $redirects1{$_} - ($redirects0{$_} || 0) }
        keys %redirects1;
    note('batches sent again: ' . join ', ',
        map { "$_ $seen_redirects{$_}" } sort keys %seen_redirects);
    for my $reply (qw/ ask tryagain moved /) {
        ok($seen_redirects{$reply}, "some after $reply, none seen by a client");
    }
    like($m1, qr/^lapor_redis_cluster_namespace_master\{namespace="bali",slot="$SLOT{bali}",address="\Q@{[addr('m2')]}\E"\} 1$/m,
        'metrics: bali is on m2 now');
    is($t->report_view($all[-1], undef, prefix => '/bali')->{status}, 200,
        'reads after the migration');
};

###############################################################################
# A reload: new workers take the map, the old ones close their connections
# to every master they used and leave.

subtest 'reload (HUP): the new workers map the cluster again' => sub {
    plan(skip_all => 'valgrind mode runs without a master process')
        if $t->valgrind;
    $t->log_mark;
    my @old = $t->reload;
    ok($t->wait_pids_gone($t->tmo(10), @old), 'the old workers left');
    ok(wait_until(sub {
        (health('bali')->{redis}{master_state} || '') eq 'ready'
            && (health('ntb')->{redis}{master_state} || '') eq 'ready'
    }, $t->tmo(10), 0.1), 'both namespaces ready again');
    ok(wait_until(sub { $t->log_since_mark =~ /redis cluster map from/ },
        $t->tmo(5)), 'the new workers asked for the map');
    my $r = submit('bali');
    is($r->{status}, 201, 'a submission after the reload');
    $t->check_alerts('no alerts (no socket left open by the old workers)');
};

###############################################################################
# Two nginx instances on the same cluster.

my $t2 = Lapor::Test->new;
{
    my $conf = nginx_conf();
    my $key = $t->testdir . '/identity.key';
    my $tokens = $t->testdir . '/tokens';
    $conf =~ s/%%PORT_(m\d)%%/$t->redis_port($1)/ge;
    $conf =~ s/%%REDIS_LOGIN%%/$t->redis_login/ge;
    $conf =~ s/%%TESTDIR%%\/tokens/$tokens/;
    $conf = "    lapor_identity_key $key;\n" . $conf;
    $t2->write_conf($conf);
}
$t2->start_nginx;
ok($t2->wait_status('/ntb/health', 200, 10), 'a second nginx: health 200');

sub same_window {
    my ($need) = @_;
    $need = $t->tmo($need);
    my $left = 60 - (time - 60 * int(time / 60));
    sleep($left + 0.2) if $left < $need;
}

subtest 'two nginx: one rate limit, one numbering' => sub {
    same_window(8);
    my @status;
    for my $i (1 .. 10) {
        my $h = $i % 2 ? $t : $t2;
        my $r = $h->post_report($t->report_doc(title =>
            "Laporan batas kiriman bersama nomor $i"), path => '/rl/reports');
        push @status, $r->{status};
        push @{$ids{ntb}}, $r->{json}{id} if $r->{status} == 201;
    }
    is("@status", join(' ', (201) x 7, (429) x 3),
        '5r/m burst=2 over both: the first 7 pass, 3 get 429');

    for my $i (1 .. 20) {
        my $h = $i % 2 ? $t : $t2;
        my $r = $h->post_report($t->report_doc(title =>
            "Laporan ntb dua nginx nomor $i"), path => '/ntb/reports');
        is($r->{status}, 201, "report $i through nginx " . ($i % 2 ? 1 : 2))
            or next;
        push @{$ids{ntb}}, $r->{json}{id};
    }
    my %seen;
    my @doubled = grep { $seen{$_}++ } @{$ids{ntb}};
    is_deeply(\@doubled, [], scalar(@{$ids{ntb}}) . ' ntb reports, each '
        . 'number once');
    my @hashes = grep { /:report:\d+$/ }
        $t->redis_scan('lapor:{ntb}:report:*', name => 'm1');
    is(scalar @hashes, scalar @{$ids{ntb}}, 'as many reports on m1')
        or diag("hashes: @hashes; acknowledged: @{$ids{ntb}}");
};

subtest 'two nginx: the auto-close sweep closes each report once' => sub {
    # followed-up reports of ntb, their auto-close time moved into the past
    my @reps;
    for my $i (1 .. 10) {
        my $r = $t->post_report($t->report_doc(title =>
            "Laporan ntb untuk ditutup otomatis nomor $i"),
            path => '/ntb/reports');
        is($r->{status}, 201, "report $i") or next;
        my $id = $r->{json}{id};
        for my $step ([ 'dispatch', $ADMIN, { agency => 'pupr-kim' } ],
            [ 'respond', $PUPR, { message => 'Sedang kami tinjau.' } ],
            [ 'follow_up', $PUPR, { message => 'Sudah diperbaiki.' } ])
        {
            my $a = $t->report_action($id, $step->[0], prefix => '/ntb',
                token => $step->[1], body => $step->[2]);
            is($a->{status}, 200, "report $id: $step->[0]")
                or diag($a->{body});
        }
        push @reps, $id;
    }
    my $P = 'lapor:{ntb}:';
    my $before = $t->stats_hash("${P}stats", name => 'm1');
    my $c = $t->redis_conn(name => 'm1');
    $c->command('MULTI');
    my $past = int(time) - 5;
    for my $id (@reps) {
        $c->command('HSET', "${P}report:$id", 'due_at', $past);
        $c->command('ZADD', "${P}autoclose", $t->queue_score($past, $id),
            $id);
    }
    is(ref $c->command('EXEC'), 'ARRAY', 'their auto-close time is past');
    $c->close;

    ok(wait_until(sub {
        !grep { $t->report_hash("${P}report:$_", name => 'm1')->{status}
            ne 'closed' } @reps
    }, $t->tmo(15), 0.1), 'closed by the sweeps (two nginx, one lock)');
    # two more sweeps of each: nothing closed twice
    sleep($t->valgrind ? 4 : 2.3);

    my $after = $t->stats_hash("${P}stats", name => 'm1');
    is(($after->{'action:auto_close'} // 0)
        - ($before->{'action:auto_close'} // 0), scalar @reps,
        'stats: one auto_close per report');
    my $once = grep {
        1 == grep { $_->{type} eq 'auto_close' }
            @{$t->report_events($_, $ADMIN, prefix => '/ntb')->{json}{events}}
    } @reps;
    is($once, scalar @reps, 'every timeline has exactly one auto_close');
};

###############################################################################
# examples/nginx-multi.conf: two provinces, each with its host name,
# catalog, identity key, officers and namespace, on this cluster.

subtest 'examples/nginx-multi.conf: Bali and NTB side by side' => sub {
    my $t3 = Lapor::Test->new;
    $t3->write_file("$_.key", Lapor::Test::new_key() . "\n") for qw/ bali ntb /;
    my $tok = $t3->officer_tokens({ 'admin-multi' => 'admin' });
    my $seeds = join ',', map { addr($_) } qw/ m1 m2 m3 /;
    my $conf = $t3->write_example_conf(file => 'nginx-multi.conf', sub => {
        'lapor_redis cluster=[^;]+;' => "lapor_redis cluster=$seeds "
            . $t->redis_login . ';',
        'listen 80;' => 'listen 127.0.0.1:%%PORT%%;',
        '127\.0\.0\.1:9145' => '127.0.0.1:%%PORT_metrics%%',
        '/etc/nginx/lapor/bali/catalog\.json'
            => '%%REPO%%/examples/catalog.json',
        '/etc/nginx/lapor/ntb/catalog\.json'
            => '%%REPO%%/examples/catalog-ntb.json',
        '/etc/nginx/lapor/bali/identity\.key' => '%%TESTDIR%%/bali.key',
        '/etc/nginx/lapor/ntb/identity\.key' => '%%TESTDIR%%/ntb.key',
        '/etc/nginx/lapor/(?:bali|ntb)/tokens' => '%%TESTDIR%%/tokens',
    });

    # (through the harness: in ASan mode with the sanitizer runtime)
    my ($rc, $out) = $t3->nginx_t($t3->read_file($conf), full => 1);
    is($rc, 0, 'nginx -t accepts it') or diag($out);

    $t3->start_nginx;
    my %host = (bali => 'lapor.baliprov.example',
        ntb => 'lapor.ntbprov.example');
    my %region = (bali => 'bali', ntb => 'ntb');
    my $as = sub {
        my ($ns, $method, $path, %o) = @_;
        my $req = $t3->raw_request($method, $path, %o);
        $req =~ s/^Host: localhost\r$/Host: $host{$ns}\r/m;
        return $t3->http_raw($req);
    };
    ok(wait_until(sub {
        $as->('bali', 'GET', '/api/v1/health')->{status} == 200
            && $as->('ntb', 'GET', '/api/v1/health')->{status} == 200
    }, $t->tmo(10), 0.1), 'both provinces: health 200');

    for my $ns (qw/ bali ntb /) {
        my $h = $as->($ns, 'GET', '/api/v1/health');
        my $j = eval { Lapor::Test::json_decode($h->{body}) } || {};
        is($j->{namespace}, $ns, "$host{$ns}: namespace $ns");
        is($j->{redis}{slot}, $SLOT{$ns}, "$host{$ns}: slot $SLOT{$ns}");

        my $c = $as->($ns, 'GET', '/api/v1/catalog');
        my $cj = eval { Lapor::Test::json_decode($c->{body}) } || {};
        is($cj->{region}{code}, $region{$ns}, "$host{$ns}: its catalog");

        my $doc = $t->report_doc(title => "Laporan contoh dua provinsi $ns",
            category => 'kesehatan');
        my $r = $as->($ns, 'POST', '/api/v1/reports',
            headers => { 'Content-Type' => 'application/json' },
            body => $t->report_json($doc));
        is($r->{status}, 201, "$host{$ns}: a report") or diag($r->{body});
        my $rj = eval { Lapor::Test::json_decode($r->{body}) } || {};
        my $home = $ns eq 'bali' ? 'm2' : $HOME{$ns};   # bali was moved
        ok($rj->{id} && on_master($home, "lapor:{$ns}:report:$rj->{id}"),
            "$host{$ns}: stored in lapor:{$ns}: on $home");
        is($as->($ns, 'GET', "/api/v1/reports/$rj->{id}")->{status}, 200,
            "$host{$ns}: read back");
    }

    # another host name: the first server, as nginx does
    my $none = $t3->http_get('/api/v1/health');
    is(($none->{json} || {})->{namespace}, 'bali',
        'an unknown host name gets the first server (bali)');

    # the metrics server: both provinces side by side
    my $m = HTTP::Tiny->new(timeout => $t->tmo(10))
        ->get('http://127.0.0.1:' . $t3->port('metrics') . '/metrics');
    is($m->{status}, 200, 'the metrics server');
    for my $ns (qw/ bali ntb /) {
        like($m->{content}, qr/^lapor_queue_reports\{namespace="$ns",state="submitted"\} \d+$/m,
            "metrics: the queues of $ns");
        like($m->{content}, qr/^lapor_redis_cluster_namespace_master\{namespace="$ns",/m,
            "metrics: the master of $ns");
    }
    $t3->stop_nginx;
    $t3->check_alerts('no alerts in the example\'s error.log');
};

###############################################################################
# A master killed: its replica is elected, nginx follows the new map.

$t2->stop_nginx;
$t2->check_alerts('no alerts in the second nginx error.log');

subtest 'failover: m1 killed, r1 elected, ntb served by r1' => sub {
    my ($seq, @open, %tries, %acked, @answers) = (0);
    $t->collect_acl_log(name => 'm1');
    my $t_kill = time;
    $t->stop_redis(name => 'm1', signal => 'KILL');

    # submissions with Idempotency-Keys, each tried again until 201, new
    # ones for 4 s
    while (time - $t_kill < $t->tmo(30)) {
        push @open, ++$seq while time - $t_kill < 4 && @open < 4;
        last unless @open;
        my @res = $t->http_parallel([ map {
            $t->raw_request('POST', '/ntb/reports', headers => {
                'Content-Type' => 'application/json',
                'Idempotency-Key' => "ntb-failover-$_" },
                body => $t->report_json($t->report_doc(title =>
                    sprintf 'Laporan ntb saat failover nomor %05d', $_))) }
            @open ], timeout => 15);
        my @again;
        for my $i (0 .. $#open) {
            my $st = $res[$i]{status} || 0;
            push @answers, [ time - $t_kill, $st, $res[$i]{elapsed} ];
            if ($st == 201) {
                $acked{$open[$i]} = $res[$i]{json}{id};
            } else {
                push @again, $open[$i];
            }
        }
        @open = @again;
        sleep 0.05 if @again;
    }

    is(scalar @open, 0, 'every submission got its 201 in the end');
    my @not = grep { $_->[1] != 201 } @answers;
    my %codes = map { $_->[1] => 1 } @not;
    my $last_bad = @not ? $not[-1][0] : 0;
    note(sprintf '%d answers, %d not 201 (%s), the last %.2f s after the '
        . 'kill', scalar @answers, scalar @not, join(',', sort keys %codes),
        $last_bad);
    my ($longest) = sort { $b <=> $a } map { $_->[2] || 0 } @answers;
    note(sprintf 'the longest answer took %.2f s (waiting for the new '
        . 'master)', $longest);
    ok(!grep({ $_ != 503 && $_ != 504 } keys %codes),
        'the failed ones: 503 or 504, to be tried again');
    # only what was on the wire to m1 when it died may fail: a batch whose
    # connection never reached it waits for the new master
    ok(@not <= 4, scalar(@not) . ' failed, at most the 4 in flight at the '
        . 'kill');
    ok($last_bad < $t->tmo(15), 'failures only during the failover');
    is(info('r1')->{role}, 'master', 'r1 is a master');

    my $a = addr('r1');
    my $m = $t->http_get('/metrics')->{body};
    like($m, qr/^lapor_redis_cluster_namespace_master\{namespace="ntb",slot="$SLOT{ntb}",address="\Q$a\E"\} 1$/m,
        'metrics: ntb is on r1');
    my $h = health('ntb');
    is($h->{redis}{master_state}, 'ready', 'health: its master ready');
    is($h->{redis}{masters}, 3, 'health: three masters');
    my @missing = grep { !on_master('r1', "lapor:{ntb}:report:$_") }
        values %acked;
    is_deeply(\@missing, [], 'the reports acknowledged after the kill are '
        . 'on r1');
    is($t->report_view($ids{ntb}[0], undef, prefix => '/ntb')->{status},
        200, 'a report of before the failover is served');
};

###############################################################################
# Misuse.

subtest 'misuse of lapor_redis cluster= fails nginx -t' => sub {
    for my $case (
        [ 'lapor_redis cluster=;', qr/invalid cluster node address "" in "lapor_redis"/ ],
        [ 'lapor_redis cluster=127.0.0.1:7000,;', qr/invalid cluster node address/ ],
        [ 'lapor_redis cluster=unix:/tmp/r.sock;', qr/host:port expected/ ],
        [ 'lapor_redis cluster=127.0.0.1:7000 db=2;', qr/"lapor_redis" with cluster= cannot have db=/ ],
        [ 'lapor_redis cluster=127.0.0.1:7000 master=x;', qr/master=.*without sentinel=/ ],
        [ 'lapor_redis cluster=127.0.0.1:7000 nodes=3;', qr/invalid parameter number 2 in "lapor_redis"/ ],
    ) {
        my ($rc, $out) = $t->nginx_t("    $case->[0]\n"
            . "    server { listen 127.0.0.1:%%PORT%%;"
            . " location / { lapor_api; } }\n");
        isnt($rc, 0, "$case->[0]: refused");
        like($out, $case->[1], 'naming the directive and the mistake');
    }
};

$t->finish;
