#!/usr/bin/perl

# lapor-doctor (lua-free-scripts/) against Redis started from the shipped
# files: every check PASSes on the shipped settings (the replication WARNs
# without a replica), and each FAILs or WARNs with its advice when the
# setting is broken at run time: AOF off, appendfsync no, an eviction
# policy, maxmemory missing or nearly used, the module's ACL user missing a
# command or allowed one too many, a replica whose primary is gone, the
# holiday coverage of the catalog near its end or past it, an nginx
# configuration that fails or warns, a Sentinel that does not answer.  The
# list of the module's commands in the script equals the one
# t/034-redis-acl.t keeps (read from the module's sources).

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::Local ();

use Lapor::Test;
use Lapor::Ops qw/ ops_run ops_script /;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $CATALOG = "$Lapor::Test::REPO/examples/catalog.json";

subtest 'the module commands of lapor-doctor are those of t/034' => sub {
    my $t034 = $t->read_file("$Lapor::Test::REPO/t/034-redis-acl.t");
    my ($sent) = $t034 =~ /^my %SENT = \((.*?)^\);/ms;
    ok($sent, 't/034 has %SENT') or return;
    my @want = sort grep { $_ ne 'AUTH' } $sent =~ /^\s+([A-Z]+) => \[/mg;
    ok(@want >= 20, scalar(@want) . ' commands in t/034');
    my $doctor = $t->read_file(ops_script('lapor-doctor'));
    my ($list) = $doctor =~ /^MODULE_COMMANDS="([^"]*)"/m;
    is_deeply([ sort split ' ', $list ], \@want, 'the same');
};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_namespace bali;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);
is($t->post_report($t->report_doc)->{status}, 201, 'a report');

my $dir = $t->testdir;
my $NGINX_T = "/usr/sbin/nginx -t -q -p $dir/ -c $dir/nginx.conf -e $dir/doctor-t.log";
if ($t->asan) {
    # the module is instrumented (make test-asan): like the harness's own
    # nginx, the doctor's "nginx -t" needs the sanitizer runtime first
    local %ENV = %ENV;
    $t->_asan_env;
    $NGINX_T = join ' ', 'env', map({ "$_=$ENV{$_}" }
        qw/ LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS /), $NGINX_T;
}

sub doctor {
    my ($args, %o) = @_;
    my $r = ops_run($t, 'lapor-doctor', [ '--json', @$args ], user => 'admin',
        %o);
    my %c = map { $_->{check} => $_ } map { Lapor::Test::json_decode($_) }
        grep { /^\{/ } split /\n/, $r->{out};
    $r->{checks} = \%c;
    return $r;
}

sub result_is {
    my ($r, $check, $result, $detail, $name) = @_;
    my $c = $r->{checks}{$check};
    ok($c, "$check reported") or return diag($r->{out} . $r->{err});
    is($c->{result}, $result, "$name: $check $result")
        or diag($c->{detail});
    like($c->{detail}, $detail, 'the detail') if $detail;
}

# Bali time of a day, as Unix time
sub wita { Time::Local::timegm(0, 0, 12, $_[2], $_[1] - 1, $_[0]) - 8 * 3600 }

subtest 'the shipped settings' => sub {
    my $r = doctor([ '-n', $NS, '--catalog', $CATALOG, '--nginx', $NGINX_T,
        '--now', wita(2027, 6, 1) ]);
    is($r->{rc}, 0, 'exit 0: no FAIL') or diag($r->{out}, $r->{err});
    result_is($r, 'redis', 'PASS', qr/^Redis 7\.\d+\.\d+ at 127\.0\.0\.1:\d+, master, logged in as admin$/, 'shipped');
    result_is($r, 'aof', 'PASS', qr/appendonly yes, appendfsync everysec, .*aof-load-truncated no$/, 'shipped');
    result_is($r, 'eviction', 'PASS', qr/noeviction/, 'shipped');
    result_is($r, 'memory', 'PASS', qr/of maxmemory 2048 MB/, 'shipped');
    result_is($r, 'acl', 'PASS', qr/user lapor: on, ~lapor:\*, exactly the 28 commands/, 'shipped');
    result_is($r, 'replication', 'WARN', qr/primary without a replica/, 'alone');
    result_is($r, 'latency', 'PASS', qr/no event of 100 ms or more/, 'shipped');
    result_is($r, 'namespace', 'PASS', qr/up to 64/, 'a report');
    result_is($r, 'holidays', 'PASS', qr/cover until 2027-12-31 \(holidays_until\), 213 days/, 'June 2027');
    result_is($r, 'nginx', 'PASS', qr/valid/, 'the test configuration');
    result_is($r, 'sentinel', 'SKIP', qr/not asked/, 'no --sentinel');

    my $text = ops_run($t, 'lapor-doctor', [], user => 'admin');
    is($text->{rc}, 0, 'text: exit 0');
    like($text->{out}, qr/^PASS  aof          appendonly yes/m, 'a PASS line');
    like($text->{out}, qr/^WARN  replication  /m, 'a WARN line');
    like($text->{out}, qr/^SKIP  holidays     not asked/m, 'a SKIP line');
    like($text->{out}, qr/^\n0 FAIL, 1 WARN$/m, 'the sum');
};

subtest 'the union "deadlines" of earlier releases: delete it' => sub {
    is($t->redis_cmd('ZADD', "lapor:{$NS}:deadlines", 1, 1), 1,
        'a "deadlines" set as an earlier release left it');
    my $r = doctor([ '-n', $NS ]);
    is($r->{rc}, 0, 'exit 0: a WARN');
    result_is($r, 'namespace', 'WARN',
        qr/lapor:\{$NS\}:deadlines \(1 entries\) was written by an earlier release.*DEL it/,
        'stale');
    $t->redis_cmd('DEL', "lapor:{$NS}:deadlines");
    result_is(doctor([ '-n', $NS ]), 'namespace', 'PASS', qr/up to 64/,
        'deleted: PASS');
};

subtest 'holiday coverage' => sub {
    my $r = doctor([ '--catalog', $CATALOG, '--now', wita(2027, 11, 1) ]);
    is($r->{rc}, 0, 'WARN only: exit 0');
    result_is($r, 'holidays', 'WARN', qr/end on 2027-12-31 \(holidays_until\), in 60 days/, 'November 2027');
    $r = doctor([ '--catalog', $CATALOG, '--now', wita(2028, 1, 3) ]);
    is($r->{rc}, 1, 'FAIL: exit 1');
    result_is($r, 'holidays', 'FAIL', qr/end on 2027-12-31.*3 days ago/, 'January 2028');

    $t->write_file('cat-nountil.json', <<'EOF');
{"version": 1, "region": {"code": "x", "name": {"id": "X", "en": "X"}},
 "time_zone": "+08:00", "types": [], "agencies": [], "categories": [],
 "holidays": [{"date": "2026-12-25", "name": "Natal"},
              {"date": "2026-01-01", "name": "Tahun Baru"}]}
EOF
    $r = doctor([ '--catalog', "$dir/cat-nountil.json", '--now',
        wita(2026, 12, 1) ]);
    result_is($r, 'holidays', 'WARN', qr/end on 2026-12-31 \(the year of the last holiday/, 'no holidays_until');
    $t->write_file('cat-none.json', '{"time_zone": "UTC", "holidays": []}');
    $r = doctor([ '--catalog', "$dir/cat-none.json" ]);
    result_is($r, 'holidays', 'WARN', qr/no holidays/, 'no holidays');
};

subtest 'broken settings' => sub {
    my @cases = (
        [ [ 'appendonly', 'no' ], 'aof', 'FAIL', qr/appendonly is "no"/ ],
        [ [ 'appendfsync', 'no' ], 'aof', 'FAIL', qr/appendfsync no/ ],
        [ [ 'aof-load-truncated', 'yes' ], 'aof', 'WARN',
            qr/aof-load-truncated yes: .*lapor-aof-check --fix/ ],
        [ [ 'maxmemory-policy', 'allkeys-lru' ], 'eviction', 'FAIL',
            qr/allkeys-lru: Redis may delete reports/ ],
        [ [ 'maxmemory', '0' ], 'memory', 'WARN', qr/no maxmemory/ ],
        [ [ 'maxmemory', '1200000' ], 'memory', 'FAIL', qr/writes will be refused/ ],
        [ [ 'latency-monitor-threshold', '0' ], 'latency', 'WARN', qr/records no latency events/ ],
    );
    for my $c (@cases) {
        my ($set, $check, $result, $detail) = @$c;
        my $old = $t->redis_cmd('CONFIG', 'GET', $set->[0]);
        $old = ref $old eq 'HASH' ? $old->{$set->[0]} : $old->[1];
        is($t->redis_cmd('CONFIG', 'SET', @$set), 'OK', "CONFIG SET @$set");
        my $r = doctor([]);
        is($r->{rc}, $result eq 'FAIL' ? 1 : 0, "exit code");
        result_is($r, $check, $result, $detail, "@$set");
        $t->redis_cmd('CONFIG', 'SET', $set->[0], $old);
    }
};

subtest 'the ACL user of the module' => sub {
    $t->redis_cmd('ACL', 'SETUSER', 'lapor', '-zadd');
    my $r = doctor([]);
    is($r->{rc}, 1, 'a command missing: exit 1');
    result_is($r, 'acl', 'FAIL', qr/may not run ZADD/, 'no ZADD');
    $t->redis_cmd('ACL', 'SETUSER', 'lapor', '+zadd', '+keys');
    $r = doctor([]);
    result_is($r, 'acl', 'WARN', qr/may also run KEYS/, 'KEYS too');
    $t->redis_cmd('ACL', 'SETUSER', 'lapor', '-keys', '+@read');
    $r = doctor([]);
    result_is($r, 'acl', 'WARN', qr/command categories/, '+@read');
    $t->redis_cmd('ACL', 'SETUSER', 'lapor', '-@read', 'off');
    $r = doctor([]);
    result_is($r, 'acl', 'FAIL', qr/is off/, 'off');
    is($t->redis_cmd('ACL', 'LOAD'), 'OK', 'the shipped file again');
    $r = doctor([ '--module-user', 'nobody' ]);
    result_is($r, 'acl', 'FAIL', qr/no ACL user "nobody"/, 'no such user');
    $r = doctor([]);
    result_is($r, 'acl', 'PASS', undef, 'restored');
};

subtest 'replication' => sub {
    my $port = $t->redis_port;
    $t->start_redis(name => 'replica', conf => [
        replicaof => "127.0.0.1 $port",
        masteruser => 'admin',
        masterauth => $t->acl_password('admin'),
    ]);
    my $rport = $t->redis_port('replica');
    ok(Lapor::Test::wait_until(sub {
        my $i = $t->redis_cmd({ name => 'replica' }, 'INFO', 'replication');
        return !ref $i && $i =~ /master_link_status:up/;
    }, 10, 0.1), 'the replica is in sync');
    my $r = doctor([]);
    result_is($r, 'replication', 'PASS', qr/primary with 1 replica/, 'primary');
    $r = doctor([ '-p', $rport ]);
    result_is($r, 'replication', 'PASS', qr/replica of 127\.0\.0\.1:$port, link up/, 'replica');
    $t->stop_redis;
    $r = doctor([ '-p', $rport ]);
    is($r->{rc}, 1, 'the primary gone: exit 1');
    result_is($r, 'replication', 'FAIL', qr/link to 127\.0\.0\.1:$port is down/, 'replica');
    $t->start_redis;
    $t->stop_redis(name => 'replica');
};

subtest 'nginx and Sentinel' => sub {
    $t->write_file('broken.conf', "events {}\nhttp { lapor_nonsense on; }\n");
    my $r = doctor([ '--nginx', "/usr/sbin/nginx -t -q -p $dir/ -c $dir/broken.conf -e $dir/doctor-b.log" ]);
    is($r->{rc}, 1, 'a broken configuration: exit 1');
    result_is($r, 'nginx', 'FAIL', qr/failed \(1\)/, 'broken');
    $r = doctor([ '--nginx', 'echo "nginx: [warn] something"' ]);
    result_is($r, 'nginx', 'WARN', qr/\[warn\] something/, 'a warning');

    $r = doctor([ '--sentinel', '127.0.0.1:' . $t->port('unused'),
        '--master', 'lapor' ]);
    is($r->{rc}, 1, 'Sentinel down: exit 1');
    result_is($r, 'sentinel', 'FAIL', qr/Connection refused/, 'no Sentinel');

    # a Sentinel from the shipped sentinel.conf: "default" is off there, so
    # the doctor logs in (as admin, whose password the harness makes the
    # same as Redis's admin's)
    $t->start_sentinel(name => 's1', master => 'redis');
    my $sport = $t->redis_port('s1');
    ok(Lapor::Test::wait_until(sub {
        my $v = eval { $t->redis_cmd({ name => 's1', timeout => 1 },
            'SENTINEL', 'MASTER', 'lapor') };
        return ref $v eq 'ARRAY';
    }, 10, 0.1), 'the Sentinel watches the master lapor');
    $r = doctor([ '--sentinel', "127.0.0.1:$sport", '--master', 'lapor' ]);
    result_is($r, 'sentinel', 'WARN',
        qr/master lapor is watched by 1 sentinel\(s\)/,
        'one Sentinel, logged in with the Redis password');
    $r = doctor([ '--sentinel', "127.0.0.1:$sport", '--master', 'lapor' ],
        env => { LAPOR_SENTINEL_AUTH => $t->acl_password('admin') });
    result_is($r, 'sentinel', 'WARN', qr/watched by 1 sentinel/,
        'with $LAPOR_SENTINEL_AUTH');
    $r = doctor([ '--sentinel', "127.0.0.1:$sport", '--master', 'lapor' ],
        env => { LAPOR_SENTINEL_AUTH => 'wrong' });
    is($r->{rc}, 1, 'a wrong Sentinel password: exit 1');
    result_is($r, 'sentinel', 'FAIL', qr/\(user admin\): .*WRONGPASS/,
        'a wrong Sentinel password');
    $r = doctor([ '--sentinel', "127.0.0.1:$sport", '--master', 'lapor',
        '--sentinel-user', 'lapor' ]);
    result_is($r, 'sentinel', 'FAIL', qr/\(user lapor\): /,
        'a user the Sentinel does not know with that password');
    # the refused logins above, on purpose
    like($t->redis_cmd({ name => 's1' }, 'ACL', 'LOG', 'RESET'), qr/^OK$/,
        "the refused logins cleared from the Sentinel's ACL LOG");
    $t->stop_redis(name => 's1');
};

subtest 'errors' => sub {
    my $r = ops_run($t, 'lapor-doctor', [ '--user', 'reader' ]);
    is($r->{rc}, 3, 'as reader: exit 3');
    like($r->{err}, qr/refused a command to user "reader": NOPERM/, 'says so');
    $t->redis_cmd('ACL', 'LOG', 'RESET');
    for my $bad ([ '--sentinel', '127.0.0.1:1' ], [ '--sentinel', 'x',
        '--master', 'm' ], [ '--catalog', '/nonexistent' ], [ '--bogus' ],
        [ '--sentinel', '127.0.0.1:1', '--master', 'm', '--sentinel-user',
          'a b' ])
    {
        $r = ops_run($t, 'lapor-doctor', $bad, user => 'admin');
        is($r->{rc}, 2, "@$bad: exit 2");
    }
    $r = ops_run($t, 'lapor-doctor', [ '-p', $t->port('unused') ],
        user => 'admin');
    is($r->{rc}, 3, 'Redis down: exit 3');
};

$t->finish;
