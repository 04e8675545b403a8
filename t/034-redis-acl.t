#!/usr/bin/perl

# The shipped Redis ACL (redis/users.acl) against the commands the module
# really sends.  The list below is checked against the sources both ways: a
# command the sources send that the list does not know fails, and so does a
# way of sending commands the test cannot read.  Each command of the list is
# checked with ACL DRYRUN for the user "lapor" on a Redis started from the
# shipped files, and the ACL allows nothing else.  Then end to end: report
# submissions (the numbering in blocks of 64 with INCRBY) as "lapor", and a
# Redis restart that must replay the transactions of its append-only file.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $SRC = "$Lapor::Test::REPO/ngx_lapor_module";

# Every command the module can send, with the arguments of a typical call
# (keys below lapor:{ns}:), and what it is for.  AUTH is allowed to every
# user by Redis itself.
my %SENT = (
    AUTH => [ [ 'lapor', 'pw' ], 'handshake: log in (password=)' ],
    SELECT => [ [ 3 ], 'handshake: db= other than 0' ],
    PING => [ [], 'handshake; GET health' ],
    MULTI => [ [], 'every transaction' ],
    EXEC => [ [], 'every transaction' ],
    GET => [ [ "${P}idem:x" ], 'Idempotency-Key record' ],
    SET => [ [ "${P}idem:x", 'pending:x', 'NX', 'PX', 60000 ],
        'Idempotency-Key records, version claims, the sweep lock' ],
    DEL => [ [ "${P}idem:x" ], 'an Idempotency-Key claim given up' ],
    INCR => [ [ "${P}rl:submit:x:1" ], 'rate-limit counters, seq:report' ],
    INCRBY => [ [ "${P}seq:report", 64 ], 'report numbers, 64 at a time' ],
    PEXPIRE => [ [ "${P}rl:submit:x:1", 60000 ], 'rate-limit windows' ],
    HSET => [ [ "${P}report:1", 'status', 'submitted' ], 'report hashes' ],
    HSETNX => [ [ "${P}report:1", 'dispatched_at', 1 ],
        'first dispatch and response times' ],
    HMGET => [ [ "${P}report:1", 'status', 'version' ],
        'actions, queue pages' ],
    HGETALL => [ [ "${P}report:1" ], 'GET reports/{id}, GET stats' ],
    HINCRBY => [ [ "${P}stats", 'status:submitted', 1 ], 'statistics' ],
    RPUSH => [ [ "${P}report:1:events", '{}' ], 'timelines' ],
    LRANGE => [ [ "${P}report:1:events", 0, -1 ], 'GET timeline' ],
    ZADD => [ [ "${P}queue:submitted", 1, 1 ], 'queues and indexes' ],
    ZREM => [ [ "${P}queue:submitted", 1 ], 'queues and indexes' ],
    ZRANGEBYSCORE => [ [ "${P}queue:submitted", '-inf', '+inf',
        'LIMIT', 0, 10 ], 'GET queue, the auto-close sweep' ],
    ZRANGE => [ [ "${P}updated", 10, 0, 'BYSCORE', 'REV', 'WITHSCORES',
        'LIMIT', 0, 10 ], 'the Open311 lists, newest first' ],
    ZCARD => [ [ "${P}queue:submitted" ], 'GET stats, metrics' ],
    ZCOUNT => [ [ "${P}deadlines:submitted", '-inf', 1 ], 'overdue counts' ],
    XADD => [ [ "${P}events", 'MAXLEN', '~', 100000, '*', 'type', 'x' ],
        'the event stream' ],
    ROLE => [ [], 'handshake with Sentinel: only a master is accepted' ],
    WAIT => [ [ 1, 500 ], 'lapor_redis_wait: after each write transaction' ],
    CLUSTER => [ [ 'SLOTS' ],
        'Redis Cluster: the slot map (CLUSTER SLOTS only, a subcommand rule)' ],
    ASKING => [ [], 'Redis Cluster: before a command sent on after -ASK' ],
);

# Subcommands: the only commands allowed with a subcommand rule, not whole
my %SUBCOMMAND = (CLUSTER => 'slots');

# Commands sent to the sentinels only (lapor_redis sentinel=...), never to
# the data servers: the user lapor of redis/sentinel.conf must allow them,
# users.acl must not.
my %TO_SENTINEL = (
    SENTINEL => 'get-master-addr-by-name: where the master is',
    SUBSCRIBE => '+switch-master: follow a failover at once',
);

# The hiredis calls that put commands on the wire, and how many of each the
# sources hold.  The commands of each are read below: a new call is a way
# of sending this test cannot see, so it fails until the test knows it.
my %HIREDIS_CALLS = (
    redisAsyncCommandArgv => 6,         # AUTH, SELECT, PING or ROLE at
                                        # connect; SENTINEL, SUBSCRIBE;
                                        # CLUSTER SLOTS
    redisAsyncFormattedCommand => 2,    # ngx_http_lapor_redis_send*(), and
                                        # again after a cluster redirection
);

# Where the argv of ngx_http_lapor_redis_send*() comes from: a batch
# (ngx_http_lapor_batch_cmd) or a constant array (health's PING).
my %ARGV_BUILT = (
    'ngx_http_lapor_batch.c' => 1,
    'ngx_http_lapor_health.c' => 1,
    'ngx_http_lapor_redis.c' => 1,      # WAIT, appended to a write
    'ngx_http_lapor_cluster.c' => 1,    # ASKING, before a redirected one
);

###############################################################################
# The sources.

sub sources {
    opendir my $dh, $SRC or die "$SRC: $!\n";
    my @f = sort grep { /\.[ch]$/ } readdir $dh;
    closedir $dh;
    return map { [ $_, $t->read_file("$SRC/$_") ] } @f;
}

my (%found, @unreadable, %calls, %argv_built);

for my $src (sources()) {
    my ($file, $text) = @$src;

    # comments out, so that a command named in one does not count
    (my $code = $text) =~ s{/\*.*?\*/}{ my $c = $&; $c =~ tr/\n//cd; $c }gse;

    while ($code =~ /\bngx_http_lapor_batch_cmd\s*\(([^;]*?)\)\s*;/gs) {
        my $args = $1;
        my $line = 1 + (() = substr($code, 0, $-[0]) =~ /\n/g);
        next if $args =~ /ngx_http_lapor_batch_t\s*\*/;    # the prototype
        my ($name) = $args =~ /^[^,]+,\s*(.*?)\s*$/s;
        if (defined $name
            && $name =~ /^(?:"[A-Z]+"|[^"?]+\?\s*"[A-Z]+"\s*:\s*"[A-Z]+")$/)
        {
            push @{$found{$_}}, "$file:$line" for $name =~ /"([A-Z]+)"/g;
        } else {
            push @unreadable, "$file:$line: ngx_http_lapor_batch_cmd($args)";
        }
    }

    while ($code =~ /\bargv\s*\[[^\]]*\]\s*=\s*"([A-Za-z]+)"/g) {
        my $cmd = uc $1;
        my $line = 1 + (() = substr($code, 0, $-[0]) =~ /\n/g);
        push @{$found{$cmd}}, "$file:$line";
    }

    while ($code =~ /_argv\s*\[\s*\]\s*=\s*\{\s*"([A-Za-z]+)"/g) {
        my $cmd = uc $1;
        my $line = 1 + (() = substr($code, 0, $-[0]) =~ /\n/g);
        push @{$found{$cmd}}, "$file:$line";
    }

    $calls{$1}++ while $code =~ /\b(redis(?:v?Async)?(?:v?Command\w*|
        FormattedCommand|Append\w*|v?Format\w*))\s*\(/gx;

    $argv_built{$file}++ while $code =~ /(?:\.|->)argv\s*=[^=]/g;
}

subtest 'the sources send only the commands this test knows' => sub {
    ok(scalar keys %found >= 20, scalar(keys %found) . ' commands found');

    my @new = grep { !$SENT{$_} && !$TO_SENTINEL{$_} } sort keys %found;
    is_deeply(\@new, [], 'none unknown to this test')
        or diag(join "\n", map { "$_ at @{$found{$_}}: add it to %SENT, "
            . 'and to redis/users.acl and redis/README.md' } @new);

    my @gone = grep { !$found{$_} } sort keys %SENT, keys %TO_SENTINEL;
    is_deeply(\@gone, [], 'each one still sent')
        or diag("no longer in the sources: @gone (remove them here, from "
            . 'redis/users.acl and redis/README.md)');

    is_deeply(\@unreadable, [], 'every batch command name is a literal')
        or diag(join "\n", @unreadable);

    is_deeply(\%calls, \%HIREDIS_CALLS, 'no other hiredis command call')
        or diag(explain(\%calls));
    is_deeply(\%argv_built, \%ARGV_BUILT, 'no other argv for redis_send')
        or diag(explain(\%argv_built));
};

###############################################################################
# The ACL file.

my $acl = $t->read_file("$Lapor::Test::REPO/redis/users.acl");
my ($lapor) = $acl =~ /^user lapor (.*)$/m;

subtest 'users.acl: lapor may run exactly those commands, on lapor:* keys' => sub {
    ok(defined $lapor, 'a user lapor') or return;
    my @rules = split ' ', $lapor;
    my %allowed = map { /^\+([a-z]+)$/ ? (uc $1 => 1) : () } @rules;
    for my $cmd (sort keys %SUBCOMMAND) {
        my $rule = '+' . lc($cmd) . "|$SUBCOMMAND{$cmd}";
        ok((grep { $_ eq $rule } @rules), "$rule (that subcommand only)");
        $allowed{$cmd} = 1 if grep { $_ eq $rule } @rules;
        ok(!(grep { $_ eq '+' . lc $cmd } @rules), "not all of $cmd");
    }

    my @missing = grep { $_ ne 'AUTH' && !$allowed{$_} } sort keys %SENT;
    is_deeply(\@missing, [], 'every command the module sends is allowed');
    my @extra = grep { !$SENT{$_} } sort keys %allowed;
    is_deeply(\@extra, [], 'and nothing else (least privilege)');

    is_deeply([ grep { /^[~%]/ } @rules ], [ '~lapor:*' ],
        'keys lapor:* only');
    ok((grep { $_ eq 'resetchannels' } @rules)
        && !(grep { /^&/ } @rules), 'no Pub/Sub channel');
    my %sub = map { ('+' . lc($_) . "|$SUBCOMMAND{$_}" => 1) } keys %SUBCOMMAND;
    ok((grep { $_ eq '-@all' } @rules)
        && !(grep { /^\+@/ || (/\|/ && !$sub{$_}) } @rules),
        'commands one by one: no category, no other subcommand rule');
    like($lapor, qr/^on >CHANGE_ME_lapor_password /, 'on, with a password');
};

subtest 'sentinel.conf: lapor may ask for the master and subscribe' => sub {
    my $conf = $t->read_file("$Lapor::Test::REPO/redis/sentinel.conf");
    my ($user) = $conf =~ /^user lapor (.*)$/m;
    ok(defined $user, 'a user lapor on the sentinels') or return;
    my @rules = split ' ', $user;
    ok((grep { $_ eq '-@all' } @rules), 'commands one by one');
    ok((grep { $_ eq '+sentinel|get-master-addr-by-name' } @rules),
        'SENTINEL get-master-addr-by-name only');
    ok((grep { $_ eq '+subscribe' } @rules), 'SUBSCRIBE');
    is_deeply([ sort grep { /^\+/ } @rules ],
        [ '+sentinel|get-master-addr-by-name', '+subscribe' ],
        'nothing else (least privilege)');
    is_deeply([ grep { /^&/ } @rules ], [ '&+switch-master' ],
        'the +switch-master channel only');
    for my $cmd (sort keys %TO_SENTINEL) {
        unlike($lapor || '', qr/\+\Q\L$cmd\E\b/i,
            "$cmd not allowed on the data servers");
    }
};

###############################################################################
# ACL DRYRUN on a Redis started from the shipped files.

$t->start_redis;

sub dryrun {
    my ($user, @cmd) = @_;
    return $t->redis_cmd('ACL', 'DRYRUN', $user, @cmd);
}

subtest 'ACL DRYRUN: lapor may send each command, as the module does' => sub {
    for my $cmd (sort keys %SENT) {
        is(dryrun('lapor', $cmd, @{$SENT{$cmd}[0]}), 'OK',
            "$cmd allowed ($SENT{$cmd}[1])");
    }
};

subtest 'ACL DRYRUN: nothing outside lapor:*, no other command' => sub {
    for my $cmd (qw/ GET INCRBY HSET ZADD XADD /) {
        my @args = @{$SENT{$cmd}[0]};
        s/^lapor:\{$NS\}:/other:/ for @args;
        like(dryrun('lapor', $cmd, @args), qr/no permissions to access/,
            "$cmd on other:* refused");
    }
    for my $cmd ([ 'FLUSHALL' ], [ 'FLUSHDB' ], [ 'KEYS', '*' ],
        [ 'SCAN', 0 ], [ 'EVAL', 'return 1', 0 ], [ 'FUNCTION', 'FLUSH' ],
        [ 'CONFIG', 'GET', 'dir' ], [ 'DEBUG', 'SLEEP', 0 ],
        [ 'RENAME', "${P}a", "${P}b" ], [ 'UNLINK', "${P}a" ],
        [ 'PUBLISH', 'c', 'm' ], [ 'SUBSCRIBE', 'c' ], [ 'MONITOR' ],
        [ 'ACL', 'LIST' ], [ 'CLIENT', 'LIST' ], [ 'SHUTDOWN' ],
        [ 'DISCARD' ], [ 'EXISTS', "${P}a" ], [ 'CLUSTER', 'NODES' ],
        [ 'CLUSTER', 'SETSLOT', 1, 'STABLE' ], [ 'CLUSTER', 'FAILOVER' ],
        [ 'READONLY' ], [ 'MIGRATE', '127.0.0.1', 1, "${P}a", 0, 1 ])
    {
        like(dryrun('lapor', @$cmd), qr/no permissions to run/,
            "$cmd->[0] refused");
    }
};

subtest 'the default user is off: no client gets its rights' => sub {
    my $c = Lapor::Test::RedisConn->new(port => $t->redis_port);
    like($c->command('PING'), qr/^NOAUTH/, 'PING without AUTH: NOAUTH');
    like($c->command('GET', "${P}seq:report"), qr/^NOAUTH/,
        'GET without AUTH: NOAUTH');
    like($c->command('AUTH', 'default', ''), qr/^WRONGPASS/,
        'AUTH default: refused');
    like($c->command('AUTH', 'admin', 'CHANGE_ME_admin_password'),
        qr/^WRONGPASS/, 'the placeholder is no password');
    $c->close;

    # the failed logins just made are in ACL LOG: take them out of the
    # end-of-file check, and only them
    my @log = $t->acl_log;
    is_deeply([ sort map { "$_->{reason} $_->{username}" } @log ],
        [ 'auth admin', 'auth default' ], 'two failed logins logged');
    $t->redis_cmd('ACL', 'LOG', 'RESET');
};

###############################################################################
# End to end, as the user lapor of the shipped ACL.

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

sub no_denials {
    my ($name) = @_;
    my @log = $t->acl_log;
    ok(!@log, "$name: ACL LOG empty")
        or diag(join "\n", map { Lapor::Test::acl_log_text($_) } @log);
}

my @ids;

subtest 'POST reports without Idempotency-Key as lapor: 201' => sub {
    my @c = $t->redis_clients;
    is(scalar @c, 1, 'one module connection');
    is($c[0]{user}, 'lapor', 'logged in as lapor') if @c;

    for my $n (1 .. 3) {
        my $r = $t->post_report($t->report_doc(
            title => "Laporan nomor $n tanpa Idempotency-Key"));
        is($r->{status}, 201, "report $n: 201")
            or diag($r->{body});
        push @ids, $r->{json}{id} if $r->{status} == 201;
    }
    is_deeply(\@ids, [1, 2, 3], 'numbered 1, 2, 3');
    is($t->redis_cmd('GET', "${P}seq:report"), 64,
        'from one block of 64 (INCRBY)');
    no_denials('after the submissions');
};

subtest 'POST with an Idempotency-Key, views, timeline, health' => sub {
    my $r = $t->post_report($t->report_doc(title => 'Dengan kunci'),
        headers => { 'Idempotency-Key' => 'kunci-acl-1' });
    is($r->{status}, 201, 'with a key: 201');
    push @ids, $r->{json}{id} if $r->{status} == 201;
    my $again = $t->post_report($t->report_doc(title => 'Dengan kunci'),
        headers => { 'Idempotency-Key' => 'kunci-acl-1' });
    is($again->{status}, 201, 'the repeat: 201');
    is($again->{headers}{'idempotent-replayed'}, 'true', 'replayed');

    for my $id (@ids) {
        is($t->http_get("/api/v1/reports/$id")->{status}, 200,
            "GET reports/$id");
    }
    is($t->http_get("/api/v1/reports/$ids[0]/events")->{status}, 200,
        'GET events (the timeline)');
    is($t->http_get('/api/v1/health')->{status}, 200, 'GET health');
    no_denials('after reads');
};

# Without Sentinel and lapor_redis_wait the handshake ends with PING and a
# write is its transaction alone: neither ROLE nor WAIT is ever sent.
subtest 'one Redis, lapor_redis_wait off: no ROLE, no WAIT' => sub {
    my $stats = $t->redis_cmd('INFO', 'commandstats');
    like($stats, qr/^cmdstat_exec:calls=\d+/m, 'transactions ran');
    unlike($stats, qr/^cmdstat_wait:/m, 'no WAIT');
    unlike($stats, qr/^cmdstat_role:/m, 'no ROLE');
};

# A stop (TERM) flushes the append-only file, so that what comes back is
# exactly what the replay of its transactions gives (after a KILL, the
# shipped "appendfsync everysec" may lose the last second).
subtest 'a Redis restart: the AOF transactions are replayed at start' => sub {
    my $title = $t->redis_cmd('HGET', "${P}report:$ids[0]", 'title');
    like($title, qr/Laporan nomor 1/, 'report 1 stored');

    $t->stop_redis;
    $t->start_redis;
    $t->wait_status('/api/v1/health', 200, 10);

    is($t->redis_cmd('HGET', "${P}report:$ids[0]", 'title'), $title,
        'report 1 is back');
    is(scalar(grep { /:report:\d+$/ } $t->redis_scan("${P}report:*")),
        scalar @ids, 'every report is back');
    is($t->http_get("/api/v1/reports/$ids[-1]")->{status}, 200,
        'and served');
    my $log = $t->read_file($t->testdir . '/redis-' . $t->redis_port
        . '.log');
    unlike($log, qr/NOPERM|CRITICAL/, 'no refused AOF command in the log')
        or diag(join "\n", grep { /NOPERM|CRITICAL/ } split /\n/, $log);

    my $r = $t->post_report($t->report_doc(title => 'Setelah restart'));
    is($r->{status}, 201, 'a new report after the restart');
    no_denials('after the restart');
};

$t->finish;
