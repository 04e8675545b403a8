#!/usr/bin/perl

# The operations scripts (lua-free-scripts/): what they have in common and
# lapor-queue.  Every script is shellcheck clean and parses under dash; the
# ACL user "reader" of the shipped redis/users.acl may run exactly the
# commands the scripts send (read from their sources, as t/034-redis-acl.t
# does for the module), on lapor:* keys, read-only.  Then against Redis
# started from the shipped files with data written by the module through
# the API: lapor-queue's figures equal GET stats and the sorted sets, in
# text and --json; and each connection error (Redis down, wrong password,
# no password, a user refused a command, unknown namespace, bad arguments)
# gives its message and exit code.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;
use Lapor::Ops qw/ ops_run ops_scripts script_commands acl_commands /;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $API = '/api/v1';

# the scripts that talk to Redis as "reader" (lapor-doctor logs in as
# admin, lapor-token does not use Redis)
my @READERS = qw/ lapor-queue lapor-show lapor-overdue lapor-stats
    lapor-export /;

###############################################################################
# The sources.

# lapor-aof-check is Perl (it reads Redis's binary files byte for byte):
# perl -c and warnings instead
my %PERL = map { $_ => 1 } qw/ lapor-aof-check /;

subtest 'shellcheck and dash' => sub {
    my @files = grep { !$PERL{(split m{/}, $_)[-1]} } ops_scripts();
    ok(@files >= 3, scalar(@files) . ' script files');
    for my $f (grep { $PERL{(split m{/}, $_)[-1]} } ops_scripts()) {
        my $out = `perl -wc '$f' 2>&1`;
        is($?, 0, "perl -wc $f") or diag($out);
        like($out, qr/\A\S+ syntax OK\n\z/, "$f: no warnings") or diag($out);
        like($t->read_file($f), qr{\A#!/usr/bin/perl\n}, "$f: #!/usr/bin/perl");
        ok(-x $f, "$f is executable");
    }
    for my $f (@files) {
        my $out = `cd "$Lapor::Ops::DIR" && shellcheck -x -s sh "$f" 2>&1`;
        is($?, 0, "shellcheck $f") or diag($out);
        $out = `dash -n '$f' 2>&1`;
        is($?, 0, "dash -n $f") or diag($out);
    }
    for my $f (grep { !/\.sh$/ } @files) {
        like($t->read_file($f), qr{\A#!/bin/sh\n}, "$f: #!/bin/sh");
        ok(-x $f, "$f is executable");
    }
};

# Commands redis-cli itself sends: SELECT for --db; COMMAND DOCS when it
# reads commands from its standard input (for its help texts: metadata
# only, the one subcommand rule).
my %BY_REDIS_CLI = (SELECT => '--db N', 'COMMAND|DOCS' => 'stdin mode');

subtest 'users.acl: reader may run exactly what the scripts send' => sub {
    my $found = script_commands(@READERS);
    ok(scalar(keys %$found) >= 5, 'commands found: '
        . join(' ', sort keys %$found));
    my ($allowed, $rules) = acl_commands($t, 'reader');
    ok(defined $rules, 'a user reader') or return;

    # AUTH and QUIT (lapor-export's own connection) every user may send
    my %sent = (%$found, map { $_ => ['redis-cli'] } keys %BY_REDIS_CLI);
    ok($found->{AUTH} && $found->{QUIT}, 'AUTH and QUIT found');
    delete @sent{qw/ AUTH QUIT /};
    my @missing = grep { !$allowed->{$_} } sort keys %sent;
    is_deeply(\@missing, [], 'every command the scripts send is allowed')
        or diag(join "\n", map { "$_ at @{$sent{$_}}" } @missing);
    my @extra = grep { !$sent{$_} } sort keys %$allowed;
    is_deeply(\@extra, [], 'and nothing else (least privilege)');

    my @rules = split ' ', $rules;
    is_deeply([ grep { /^%|^~/ } @rules ], [ '%R~lapor:*' ],
        'keys lapor:* only, read only');
    ok((grep { $_ eq 'resetchannels' } @rules)
        && !(grep { /^&/ } @rules), 'no Pub/Sub channel');
    ok((grep { $_ eq '-@all' } @rules)
        && !(grep { /^\+@/ || (/\|/ && $_ ne '+command|docs') } @rules),
        'commands one by one, no category, no subcommand but COMMAND DOCS');
    like($rules, qr/^on >CHANGE_ME_reader_password /, 'on, with a password');

    for my $cmd (sort keys %$found) {
        ok(!($cmd =~ /^(?:KEYS|SCAN|EVAL|EVALSHA|FUNCTION|FCALL)$/),
            "$cmd is no scan and no script");
    }
};

###############################################################################
# A namespace with reports written through the API.

my $TOK = $t->officer_tokens({
    'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim',
});
my $ADMIN = $TOK->{'admin-bali'};

$t->start_redis;

subtest 'ACL DRYRUN: reader may read, not write' => sub {
    my ($allowed) = acl_commands($t, 'reader');
    my %args = (
        PING => [], SELECT => [ 0 ], 'COMMAND|DOCS' => [], GET => [ "${P}seq:report" ],
        HGETALL => [ "${P}stats" ], HMGET => [ "${P}report:1", 'status' ],
        LRANGE => [ "${P}report:1:events", 0, -1 ],
        ZCARD => [ "${P}queue:submitted" ],
        ZCOUNT => [ "${P}deadlines:submitted", '-inf', 1 ],
        ZRANGEBYSCORE => [ "${P}deadlines:submitted", '-inf', '+inf' ],
        ZSCORE => [ "${P}deadlines:submitted", 1 ],
    );
    is($t->redis_cmd('ACL', 'DRYRUN', 'reader', 'QUIT'), 'OK',
        'QUIT allowed (every user)');
    for my $cmd (sort keys %$allowed) {
        ok($args{$cmd}, "$cmd: arguments known here") or next;
        is($t->redis_cmd('ACL', 'DRYRUN', 'reader', split(/\|/, $cmd),
            @{$args{$cmd}}),
            'OK', "$cmd allowed");
    }
    for my $cmd ([ 'HSET', "${P}report:1", 'a', 'b' ], [ 'DEL', "${P}a" ],
        [ 'KEYS', '*' ], [ 'SCAN', 0 ], [ 'CONFIG', 'GET', 'dir' ],
        [ 'EVAL', 'return 1', 0 ], [ 'GET', 'other:x' ],
        [ 'XADD', "${P}events", '*', 'a', 'b' ])
    {
        like($t->redis_cmd('ACL', 'DRYRUN', 'reader', @$cmd),
            qr/no permissions/, "$cmd->[0] $cmd->[1] refused");
    }
};

$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location /empty/v1/ { lapor_namespace empty; lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status("$API/health", 200, 10);

my @ids;
for my $n (1 .. 6) {
    my $r = $t->post_report($t->report_doc(
        title => "Laporan antrean nomor $n",
        category => $n % 2 ? 'infrastruktur' : 'kesehatan'));
    is($r->{status}, 201, "report $n submitted") or diag($r->{body});
    push @ids, $r->{json}{id};
}
for my $i (0, 1, 2) {
    my $r = $t->report_action($ids[$i], 'dispatch', token => $ADMIN,
        body => { agency => $i == 2 ? 'dinkes' : 'pupr-kim' });
    is($r->{status}, 200, "report $ids[$i] dispatched");
}
is($t->report_action($ids[1], 'respond', token => $TOK->{'pupr.petugas'},
    body => { message => 'Sedang kami tangani.' })->{status}, 200,
    'one in progress');
is($t->report_action($ids[3], 'defer', token => $ADMIN,
    body => { reason => 'Mohon lengkapi lokasi.' })->{status}, 200,
    'one deferred');

# two overdue: deadlines moved into the past in the hash and the indexes,
# as t/030-stats.t does
my $past = time - 3 * 86400;
for my $x ([ $ids[0], 'dispatched', 'pupr-kim' ], [ $ids[4], 'submitted' ]) {
    my ($id, $state, $agency) = @$x;
    $t->redis_cmd('HSET', "${P}report:$id", 'due_at', $past);
    my @keys = ("deadlines:$state");
    push @keys, "inbox:$agency", "inbox:$agency:$state" if $agency;
    $t->redis_cmd('ZADD', "$P$_", $t->queue_score($past, $id), $id)
        for @keys;
}

my $stats = $t->http_get("$API/stats")->{json};

###############################################################################
# lapor-queue.

subtest 'lapor-queue --json equals GET stats and the sorted sets' => sub {
    my $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '--json' ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    is($r->{err}, '', 'nothing on stderr');
    my $j = eval { Lapor::Test::json_decode($r->{out}) };
    ok($j, 'JSON') or return diag($r->{out});
    is($j->{namespace}, $NS, 'namespace');
    for my $s (qw/ submitted deferred dispatched in_progress followed_up /) {
        is($j->{states}{$s}{reports}, $stats->{queues}{$s}, "$s: reports");
    }
    is($j->{overdue}, $stats->{queues}{overdue}, 'overdue as GET stats');
    is($j->{overdue}, 2, 'two overdue');
    is($j->{states}{submitted}{overdue}, 1, 'one of them submitted');
    is($j->{states}{dispatched}{overdue}, 1, 'one dispatched');
    is($j->{states}{deferred}{overdue}, undef, 'deferred: never overdue');
    my $oldest = $t->redis_cmd('ZRANGE', "${P}queue:submitted", 0, 0,
        'WITHSCORES');
    is($j->{states}{submitted}{oldest}{id}, $oldest->[0], 'oldest id');
    is($j->{states}{submitted}{oldest}{since}, int($oldest->[1] / 1048576),
        'oldest since');
    is_deeply([ sort keys %{$j->{agencies}} ], [ 'dinkes', 'pupr-kim' ],
        'the agencies dispatched to');
    my $a = $j->{agencies}{'pupr-kim'};
    is($a->{reports}, $t->redis_cmd('ZCARD', "${P}inbox:pupr-kim"),
        'pupr-kim inbox');
    is($a->{dispatched}, 1, 'one dispatched');
    is($a->{in_progress}, 1, 'one in progress');
    is($a->{overdue}, 1, 'one overdue');
    is($a->{earliest_due}{id}, $ids[0], 'the overdue one first');
    is($a->{earliest_due}{due_at}, $past, 'its deadline');
    is($j->{agencies}{dinkes}{overdue}, 0, 'dinkes: none overdue');
};

subtest 'lapor-queue as a table' => sub {
    my $r = ops_run($t, 'lapor-queue', [ '--namespace', $NS ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    like($r->{out}, qr/^namespace bali, 2 overdue$/m, 'headline');
    like($r->{out}, qr/^submitted\s+2\s+1\s+#\d+, \d/m, 'submitted line');
    like($r->{out}, qr/^deferred\s+1\s+-\s+#$ids[3], /m, 'deferred line');
    like($r->{out}, qr/^pupr-kim\s+2\s+1\s+1\s+1\s+#$ids[0], 3d \d\dh$/m,
        'inbox line, 3 days late');
};

subtest 'lapor-queue --now' => sub {
    my $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '--json', '--now',
        $past - 10 ]);
    is($r->{rc}, 0, 'exit 0') or diag($r->{err});
    is(Lapor::Test::json_decode($r->{out})->{overdue}, 0, 'nothing overdue before');
};

subtest 'lapor-queue on a namespace without reports' => sub {
    is($t->http_get('/empty/v1/stats')->{status}, 200, 'empty namespace');
    my $r = ops_run($t, 'lapor-queue', [ '-n', 'empty' ]);
    is($r->{rc}, 4, 'exit 4: no report number ever');
    like($r->{err}, qr/unknown namespace "empty"/, 'says so');
};

###############################################################################
# Errors, the same for every script (lib/lapor-common.sh).

subtest 'connection options and errors' => sub {
    my $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '--json' ],
        user => 'admin');
    is($r->{rc}, 0, '--user admin with its password') or diag($r->{err});

    $r = ops_run($t, 'lapor-queue', [ '-h', '127.0.0.1', '-p',
        $t->redis_port, '--db', 0, '-n', $NS ], no_conn => 1,
        auth => $t->acl_password('reader'));
    is($r->{rc}, 0, '-h, -p, --db 0') or diag($r->{err});

    # redis-cli says "SELECT 99 failed" and goes on in database 0: the
    # scripts must not show database 0 as if it were 99
    for my $s ([ 'lapor-queue', [ '-n', $NS ] ],
        [ 'lapor-show', [ '-n', $NS, 1 ] ],
        [ 'lapor-export', [ '-n', $NS, '--catalog', "$Lapor::Test::REPO/examples/catalog.json" ] ])
    {
        $r = ops_run($t, $s->[0], [ '--db', 99, @{$s->[1]} ]);
        is($r->{rc}, 3, "$s->[0] --db 99 (there are 16): exit 3");
        like($r->{err}, qr/^$s->[0]: Redis at 127\.0\.0\.1:\d+ refused database 99 to user "reader": .*out of range/,
            'says so');
        is($r->{out}, '', 'nothing on standard output');
    }

    $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '-a',
        $t->acl_password('reader') ], auth => undef);
    is($r->{rc}, 0, '-a PASSWORD') or diag($r->{err});

    $r = ops_run($t, 'lapor-queue', [ '-n', $NS ], auth => 'wrong');
    is($r->{rc}, 3, 'wrong password: exit 3');
    like($r->{err}, qr/^lapor-queue: Redis at 127\.0\.0\.1:\d+ refused the login of user "reader"/,
        'says so');

    $r = ops_run($t, 'lapor-queue', [ '-n', $NS ], auth => undef);
    is($r->{rc}, 3, 'no password: exit 3');
    like($r->{err}, qr/wants a password for user "reader"/, 'says so');

    my @log = $t->acl_log;
    ok(scalar(grep { $_->{reason} eq 'auth' } @log) >= 1,
        'the failed login is in ACL LOG');
    $t->redis_cmd('ACL', 'LOG', 'RESET');

    $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '-p', $t->port('unused') ],
        no_conn => 1);
    is($r->{rc}, 3, 'Redis down: exit 3');
    like($r->{err}, qr/cannot connect to Redis at 127\.0\.0\.1:\d+: Connection refused/,
        'says so');

    # a Redis that does not answer (CLIENT PAUSE): --timeout
    $t->pause_redis(3);
    my $t0 = time;
    $r = ops_run($t, 'lapor-queue', [ '-n', $NS, '--timeout', 1 ]);
    is($r->{rc}, 3, 'no answer: exit 3');
    like($r->{err}, qr/did not answer within 1s/, 'says so');
    ok(time - $t0 < 3, 'after about the timeout');
    $t->redis_cmd('CLIENT', 'UNPAUSE');

    for my $bad ([ [], qr/no namespace/ ],
        [ [ '-n', 'Bali!' ], qr/invalid namespace "Bali!"/ ],
        [ [ '-n', $NS, '--bogus' ], qr/unknown argument "--bogus"/ ],
        [ [ '-n', $NS, '-p', 'x' ], qr/-p must be a number/ ],
        [ [ '-n', $NS, '--now' ], qr/option --now needs a value/ ],
        [ [ '-n' ], qr/option -n needs a value/ ])
    {
        $r = ops_run($t, 'lapor-queue', $bad->[0], no_conn => 1);
        is($r->{rc}, 2, "'@{$bad->[0]}': exit 2");
        like($r->{err}, $bad->[1], 'message');
        like($r->{err}, qr/Try 'lapor-queue --help'/, 'and a hint');
        is($r->{out}, '', 'nothing on stdout');
    }

    $r = ops_run($t, 'lapor-queue', [], env => { LAPOR_NAMESPACE => $NS });
    is($r->{rc}, 0, 'the namespace from $LAPOR_NAMESPACE') or diag($r->{err});
};

subtest '--help of every script' => sub {
    for my $s (@READERS, 'lapor-doctor', 'lapor-relay') {
        my $r = ops_run($t, $s, [ '--help' ], no_conn => 1);
        is($r->{rc}, 0, "$s --help: exit 0");
        like($r->{out}, qr/^usage: \Q$s\E /, 'usage');
        like($r->{out}, qr/--namespace/, 'the common options');
        like($r->{out}, qr/Exit codes/, 'the exit codes');
    }
};

$t->finish;
