#!/usr/bin/perl

# lapor-aof-check (lua-free-scripts/) on append-only files written by
# Redis started from the shipped files, cut as a crash cuts them.
#
# A crash (or SIGKILL) during Redis's write(2) of a transaction leaves only
# its beginning in the AOF.  The shipped redis.conf has "aof-load-truncated
# no": Redis refuses to start on such a file, and lapor-aof-check --fix
# (the systemd drop-in's ExecStartPre, the harness's start_redis) cuts the
# file back to the last whole transaction.  With "yes", the setting of
# earlier releases, Redis 7.0 cuts after the last whole command, inside the
# transaction, starts, and at the next start runs that beginning with what
# it wrote after it, or drops what it wrote: the script finds and cuts such
# leftovers too.  Every case ends with Redis started from the file: what
# was acknowledged is there, nothing of the cut transaction is.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use File::Copy ();
use File::Path ();
use POSIX ();

use Lapor::Test;

my $t = Lapor::Test->new;
my $CHECK = $Lapor::Test::AOF_CHECK;

$t->start_redis;
my $RDIR = $t->{redis}{redis}{dir};
my $PRISTINE = $t->testdir . '/pristine';

# the commands of the transaction a crash cuts, as the module's submission
# writes them (a hash, sorted sets, a counter, the stream)
my @TX = (
    [ 'HSET', 'lapor:{aof}:report:7', 'id', 7, 'title',
        "Jalan rusak di\r\nDenpasar", 'status', 'submitted' ],
    [ 'ZADD', 'lapor:{aof}:queue:submitted', 7, 7 ],
    [ 'ZADD', 'lapor:{aof}:deadlines:submitted', 99, 7 ],
    [ 'HINCRBY', 'lapor:{aof}:stats', 'sub:x', 1 ],
    [ 'XADD', 'lapor:{aof}:events', '*', 'event', 'report.submitted',
        'id', 7 ],
);

# run_check(args): the script as a province runs it, with redis-check-aof
# (redis-tools) on the PATH to find where to start reading; slow_check:
# without it, reading the whole file itself
my $NO_TOOLS = $t->testdir . '/no-tools';
mkdir $NO_TOOLS;

sub slow_check {
    local $ENV{PATH} = $NO_TOOLS;
    return run_check(@_);
}

sub run_check {
    my (@args) = @_;
    my $out = $t->testdir . '/check.out';
    my $err = $t->testdir . '/check.err';
    system("'$CHECK' " . join(' ', map { "'$_'" } @args)
        . " >'$out' 2>'$err' </dev/null");
    return { rc => $? >> 8, out => $t->read_file($out),
        err => $t->read_file($err) };
}

sub incr_file {
    my @f = glob("$RDIR/appendonlydir/*.incr.aof");
    die "no single incr file: @f\n" unless @f == 1;
    return $f[0];
}

sub tx {
    my ($c, @cmds) = @_;
    is($c->command('MULTI'), 'OK', 'MULTI');
    $c->command(@$_) for @cmds;
    my $r = $c->command('EXEC');
    is(ref $r, 'ARRAY', 'EXEC') or diag($r);
}

# the store as it matters here
sub store {
    my $c = $t->redis_conn;
    my %s = map { $_ => $c->command('GET', $_) }
        qw/ k:before k:single k:multi1 k:multi2 /;
    $s{report} = $c->command('EXISTS', 'lapor:{aof}:report:7');
    $s{queue} = $c->command('ZCARD', 'lapor:{aof}:queue:submitted');
    $s{stats} = $c->command('HGET', 'lapor:{aof}:stats', 'sub:x');
    $s{events} = $c->command('XLEN', 'lapor:{aof}:events');
    $c->close;
    return \%s;
}

my %NOTHING_OF_TX = (report => 0, queue => 0, stats => undef, events => 0);
my %ALL_OF_TX = (report => 1, queue => 1, stats => 1, events => 1);

sub restore {
    $t->stop_redis if $t->{redis}{redis}{pid};
    File::Path::remove_tree("$RDIR/appendonlydir");
    mkdir "$RDIR/appendonlydir";
    for my $f (glob "$PRISTINE/*") {
        File::Copy::copy($f, "$RDIR/appendonlydir/") or die "copy: $!\n";
    }
    unlink "$RDIR/dump.rdb";
}

sub read_raw {
    my ($f) = @_;
    open my $fh, '<:raw', $f or die "$f: $!\n";
    local $/;
    return scalar <$fh>;
}

sub write_raw {
    my ($f, $data) = @_;
    open my $fh, '>:raw', $f or die "$f: $!\n";
    print {$fh} $data;
    close $fh;
}

# Redis started as shipped, without the script before it: it must refuse
my $refusals = 0;
sub redis_refuses {
    my ($name, $like) = @_;
    my $log = $t->testdir . '/refused-' . ++$refusals . '.log';
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', $log;
        open STDERR, '>&', \*STDOUT;
        exec { $Lapor::Test::REDIS_SERVER } $Lapor::Test::REDIS_SERVER,
            "$RDIR/redis.conf" or POSIX::_exit(127);
    }
    my $limit = time + 10;
    my $done;
    while (!$done && time < $limit) {
        $done = waitpid($pid, POSIX::WNOHANG());
        select undef, undef, undef, 0.05 unless $done;
    }
    unless ($done) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        fail("$name: Redis started on the cut file");
        return;
    }
    isnt($? >> 8, 0, "$name: Redis as shipped refuses to start");
    like($t->read_file($log), $like, "$name: and says why");
}

###############################################################################
# The file: a write before, then the transaction, Redis stopped cleanly.

my $c = $t->redis_conn;
is($c->command('SET', 'k:before', 'b'), 'OK', 'a write before');
tx($c, @TX);
$c->close;
$t->stop_redis;

my $FILE = incr_file();
my $DATA = read_raw($FILE);
my $TX_AT = rindex($DATA, "*1\r\n\$5\r\nMULTI\r\n");
my $SIZE = length $DATA;
ok($TX_AT > 0 && $DATA =~ /\*1\r\n\$4\r\nEXEC\r\n\z/,
    "the transaction: bytes $TX_AT to $SIZE of " . ($FILE =~ s{.*/}{}r));

mkdir $PRISTINE;
File::Copy::copy($_, "$PRISTINE/") or die "copy: $!\n"
    for glob "$RDIR/appendonlydir/*";

subtest 'the arguments' => sub {
    my $r = run_check();
    is($r->{rc}, 2, 'no PATH: exit 2');
    like($r->{err}, qr/PATH is needed\nTry 'lapor-aof-check --help'/, 'said');
    is($r->{out}, '', 'nothing on standard output');
    $r = run_check('--frobnicate', $RDIR);
    is($r->{rc}, 2, 'an unknown option: exit 2');
    like($r->{err}, qr/unknown option "--frobnicate"/, 'said');
    $r = run_check($RDIR, $RDIR);
    is($r->{rc}, 2, 'two paths: exit 2');
    $r = run_check('--help');
    is($r->{rc}, 0, '--help: exit 0');
    like($r->{out}, qr/^usage: lapor-aof-check \[--fix\]/, 'the usage');
    $r = run_check("$RDIR/nothing-here");
    is($r->{rc}, 5, 'a path that does not exist: exit 5');
    like($r->{err}, qr/nothing-here: no such file or directory/, 'said');
    mkdir $t->testdir . '/empty';
    $r = run_check($t->testdir . '/empty');
    is($r->{rc}, 0, 'a directory without an AOF yet: exit 0');
    like($r->{out}, qr/no AOF yet, nothing to check/, 'said');
};

subtest 'manifests and files it does not repair: clear errors' => sub {
    my $d = $t->testdir . '/odd';
    mkdir $d;
    my $man = "$d/appendonly.aof.manifest";
    my $resp = sub { join '', map {
        my @a = @$_;
        '*' . @a . "\r\n" . join '', map { '$' . length($_) . "\r\n$_\r\n" } @a
    } @_ };

    $t->write_file($man, "file appendonly.aof.1.incr.aof seq 1\n");
    my $r = run_check($d);
    is($r->{rc}, 5, 'a manifest line without its type: exit 5');
    like($r->{err}, qr/cannot read the line "file appendonly\.aof\.1\.incr\.aof seq 1"/,
        'said');

    $t->write_file($man, "file \"odd name.aof\" seq 1 type i\n");
    $r = run_check($man);
    is($r->{rc}, 5, 'a quoted file name: exit 5');
    like($r->{err}, qr/cannot read the line|a file name this script does not read/,
        'said');

    $t->write_file($man, "file appendonly.aof.1.incr.aof seq 1 type i\n");
    $r = run_check($d);
    is($r->{rc}, 5, 'a file the manifest names is missing: exit 5');
    like($r->{err}, qr/appendonly\.aof\.1\.incr\.aof \(named in \Q$man\E\)/,
        'said');

    $t->write_file("$d/second.manifest", '');
    $r = run_check($d);
    is($r->{rc}, 5, 'two manifests: exit 5');
    like($r->{err}, qr/more than one manifest/, 'said');
    unlink "$d/second.manifest";

    $t->write_file($man, "file appendonly.aof.1.base.rdb seq 1 type b\n");
    write_raw("$d/appendonly.aof.1.base.rdb", "REDIS0010\xfa\x00");
    $r = run_check($d);
    is($r->{rc}, 0, 'only an RDB base file: exit 0');
    like($r->{out}, qr/an RDB file, nothing to check/, 'said');

    for my $case (
        [ 'an EXEC without MULTI', 2, [ [ 'SELECT', 0 ], [ 'SET', 'a', 1 ],
            [ 'EXEC' ], [ 'SET', 'b', 2 ] ], 'an EXEC without MULTI at byte' ],
        [ 'a MULTI inside a MULTI, not after a restart', 3,
            [ [ 'SELECT', 0 ], [ 'MULTI' ], [ 'SET', 'a', 1 ], [ 'MULTI' ],
            [ 'SET', 'b', 2 ], [ 'EXEC' ] ],
            'a MULTI inside a MULTI at byte' ],
    ) {
        my ($name, $before, $cmds, $what) = @$case;
        my $at = length $resp->(@$cmds[0 .. $before - 1]);
        my $like = qr/\Q$what $at\E[ ,;]/;
        my $data = $resp->(@$cmds);
        write_raw("$d/plain.aof", $data);
        for my $how (\&run_check, \&slow_check) {
            $r = $how->('--fix', "$d/plain.aof");
            is($r->{rc}, 5, "$name: exit 5");
            like($r->{err}, $like, 'said') or diag($r->{err});
            is(read_raw("$d/plain.aof"), $data, 'the file unchanged');
        }
    }
};

subtest 'a whole file: nothing to do, as each PATH names it' => sub {
    for my $p ($RDIR, "$RDIR/appendonlydir",
        "$RDIR/appendonlydir/appendonly.aof.manifest", $FILE)
    {
        my $r = run_check($p);
        is($r->{rc}, 0, "$p: exit 0");
        like($r->{out}, qr/^\Q$FILE\E: no cut transaction$/, 'said');
    }
    my $r = run_check('--quiet', '--fix', $RDIR);
    is($r->{rc}, 0, '--quiet --fix: exit 0');
    is($r->{out} . $r->{err}, '', 'nothing said');
    is(read_raw($FILE), $DATA, 'the file as it was');
};

subtest 'cut inside the transaction, at every byte' => sub {
    my @wrong;
    for my $at ($TX_AT + 1 .. $SIZE - 1) {
        write_raw($FILE, substr($DATA, 0, $at));
        my $r = run_check($FILE);
        # "*1\r\n$5\r\nMULTI\r\n" is 15 bytes
        my $what = $at < $TX_AT + 15
            ? 'a command cut short at the end'
            : 'a transaction without its EXEC at the end';
        push @wrong, "$at: exit $r->{rc}: $r->{out}$r->{err}"
            unless $r->{rc} == 1
                && $r->{out} eq "$FILE: $what (cut by a crash): bytes "
                    . "$TX_AT to $at (" . ($at - $TX_AT) . " bytes)\n";
    }
    is_deeply(\@wrong, [], 'each found: from the MULTI to the end (exit 1)');

    my @differ;
    for (my $at = $TX_AT + 1; $at < $SIZE; $at += 5) {
        write_raw($FILE, substr($DATA, 0, $at));
        my ($a, $b) = (run_check($FILE), slow_check($FILE));
        push @differ, "$at: $a->{rc} $a->{out} / $b->{rc} $b->{out}$b->{err}"
            unless $a->{rc} == $b->{rc} && $a->{out} eq $b->{out};
    }
    is_deeply(\@differ, [], 'without redis-check-aof: the same, every 5th byte');

    write_raw($FILE, substr($DATA, 0, $TX_AT + 3));
    my $r = run_check($FILE);
    like($r->{out}, qr/a command cut short at the end .*bytes $TX_AT to/,
        'inside the MULTI itself: a command cut short');
};

subtest 'cut: Redis refuses, the script cuts it back, nothing is lost' => sub {
    # a few of the places: in MULTI, in the hash, between commands, in EXEC
    my $hset = index($DATA, 'HSET', $TX_AT);
    my $zadd = index($DATA, "*4\r\n\$4\r\nZADD", $TX_AT);
    for my $at ($TX_AT + 14, $hset + 10, $zadd, $SIZE - 3) {
        subtest "cut at byte $at" => sub {
            restore();
            write_raw($FILE, substr($DATA, 0, $at));
            redis_refuses("cut at $at",
                qr/Unexpected end of file reading the append only file|Bad file format/);
            is(length read_raw($FILE), $at, 'Redis left the file alone');

            my $r = run_check('--fix', $RDIR);
            is($r->{rc}, 0, '--fix: exit 0') or diag($r->{err});
            like($r->{out}, qr/cut \d+ bytes out, kept in \S+\.cut-\d{8}T\d{6}Z$/m,
                'said');
            is(read_raw($FILE), substr($DATA, 0, $TX_AT),
                'the file ends before the MULTI');
            my @kept = glob("$FILE.cut-*");
            is(scalar @kept, 1, 'one file kept');
            is(read_raw($kept[0]), substr($DATA, $TX_AT, $at - $TX_AT),
                'with the bytes cut') if @kept;

            $t->start_redis(aof_check => 0);
            is_deeply(store(), { 'k:before' => 'b', 'k:single' => undef,
                'k:multi1' => undef, 'k:multi2' => undef, %NOTHING_OF_TX },
                'Redis started: the write before, nothing of the transaction');

            # what Redis 7.0 with "yes" gets wrong after such a start
            my $c = $t->redis_conn;
            is($c->command('SET', 'k:single', 's'), 'OK', 'a single write');
            tx($c, [ 'SET', 'k:multi1', 1 ], [ 'SET', 'k:multi2', 2 ]);
            $c->close;
            $t->stop_redis;
            $t->start_redis(aof_check => 0);
            is_deeply(store(), { 'k:before' => 'b', 'k:single' => 's',
                'k:multi1' => 1, 'k:multi2' => 2, %NOTHING_OF_TX },
                'after a restart: every later write, nothing of the cut one');
            $t->stop_redis;
            is(run_check($RDIR)->{rc}, 0, 'the file is whole');
        };
    }
};

subtest 'NUL bytes after the last command' => sub {
    restore();
    write_raw($FILE, $DATA . ("\0" x 4096));
    redis_refuses('NUL bytes', qr/Bad file format|Unexpected end of file/);
    my $r = run_check($RDIR);
    is_deeply(slow_check($RDIR), $r, 'without redis-check-aof: the same');
    is($r->{rc}, 1, 'found: exit 1');
    like($r->{out}, qr/NUL bytes after the last command .*bytes $SIZE to \Q@{[$SIZE + 4096]}\E/,
        'said');
    is(run_check('--fix', $RDIR)->{rc}, 0, '--fix: exit 0');
    is(read_raw($FILE), $DATA, 'the file as it was before them');
    $t->start_redis(aof_check => 0);
    is_deeply(store(), { 'k:before' => 'b', 'k:single' => undef,
        'k:multi1' => undef, 'k:multi2' => undef, %ALL_OF_TX },
        'Redis started: every write');
    $t->stop_redis;
};

subtest 'damage in the middle: not touched' => sub {
    restore();
    my $bad = $DATA;
    my $at = index($bad, "*3\r\n\$3\r\nSET");
    substr($bad, $at, 1, 'x');
    write_raw($FILE, $bad);
    for my $fix ([], ['--fix']) {
        for my $how (\&run_check, \&slow_check) {
            my $r = $how->(@$fix, $RDIR);
            is($r->{rc}, 5, "@$fix: exit 5");
            like($r->{err}, qr/damaged at byte $at .*redis-check-aof/, 'said');
            is(read_raw($FILE), $bad, 'the file unchanged');
        }
    }
    is(scalar(() = glob("$FILE.*")), 0, 'nothing written beside it');
};

# With "aof-load-truncated yes" (earlier releases' setting; the override is
# what this part is about), Redis starts on the cut file, cut after the last
# whole command, and writes after it.
sub leftover {
    my ($at, @writes) = @_;
    restore();
    write_raw($FILE, substr($DATA, 0, $at));
    $t->start_redis(aof_check => 0, conf => [ 'aof-load-truncated' => 'yes' ]);
    is_deeply(store(), { 'k:before' => 'b', 'k:single' => undef,
        'k:multi1' => undef, 'k:multi2' => undef, %NOTHING_OF_TX },
        '"yes": Redis starts without the transaction');
    my $c = $t->redis_conn;
    for my $w (@writes) {
        if ($w eq 'single') {
            is($c->command('SET', 'k:single', 's'), 'OK', 'a single write');
        } else {
            tx($c, [ 'SET', 'k:multi1', 1 ], [ 'SET', 'k:multi2', 2 ]);
        }
    }
    $c->close;
    $t->stop_redis;
    return read_raw($FILE);
}

for my $case (
    [ 'after the hash, then a single write and a transaction',
        index($DATA, 'ZADD', $TX_AT) + 6, 'single', 'multi' ],
    [ 'in the second ZADD, then a transaction and a single write',
        index($DATA, 'ZADD', index($DATA, 'ZADD', $TX_AT) + 4) + 6,
        'multi', 'single' ],
    [ 'right after MULTI, then a single write and a transaction',
        $TX_AT + 16, 'single', 'multi' ],
    [ 'right after MULTI, then a transaction', $TX_AT + 16, 'multi' ],
)
{
    my ($name, $at, @writes) = @$case;
    subtest "\"aof-load-truncated yes\" left it: cut $name" => sub {
        my $left = leftover($at, @writes);

        # what Redis 7.0 makes of it (the reason for "no"): shown on a copy
        my $copy = $left;
        $t->start_redis(aof_check => 0, conf => [ 'aof-load-truncated' => 'yes' ]);
        my $s = store();
        $t->stop_redis;
        my %did = map { $_ => 1 } @writes;
        my %want = ('k:before' => 'b',
            'k:single' => $did{single} ? 's' : undef,
            'k:multi1' => $did{multi} ? 1 : undef,
            'k:multi2' => $did{multi} ? 2 : undef, %NOTHING_OF_TX);
        if (eq_hash($s, \%want)) {
            note('Redis ' . '(this version) loaded it correctly');
        } else {
            note('without the script, Redis 7.0 loads: '
                . join ', ', map { "$_=" . ($s->{$_} // 'nil') } sort keys %$s);
        }
        write_raw($FILE, $copy);

        my $r = run_check($RDIR);
        is($r->{rc}, 1, 'found: exit 1');
        like($r->{out}, qr/the beginning of a transaction cut by a crash, followed by what Redis wrote after its restart: bytes $TX_AT to \d+/,
            'said') or diag($r->{out}, $r->{err});
        is_deeply(slow_check($RDIR), $r, 'without redis-check-aof: the same');
        $r = run_check('--fix', $RDIR);
        is($r->{rc}, 0, '--fix: exit 0') or diag($r->{err});
        is(run_check($RDIR)->{rc}, 0, 'then whole');
        my $fixed = read_raw($FILE);
        is(substr($fixed, 0, $TX_AT), substr($DATA, 0, $TX_AT),
            'what came before is as it was');
        unlike(substr($fixed, $TX_AT), qr/HSET|ZADD|HINCRBY|XADD/,
            'nothing of the cut transaction is left');

        $t->start_redis(aof_check => 0, conf => []);
        is_deeply(store(), \%want,
            'Redis as shipped starts: every later write, nothing of the cut one');
        $t->stop_redis;
        $t->start_redis(aof_check => 0);
        is_deeply(store(), \%want, 'and again after a restart');
        $t->stop_redis;
    };
}

$t->finish;
