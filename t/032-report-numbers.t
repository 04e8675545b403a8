#!/usr/bin/perl

# Report numbers come from the namespace's sequence in blocks reserved per
# worker.  A block holds only while the Redis connection it came over
# does: after Redis lost its data (here restarted without persistence,
# as after a failover to a replica that missed the last writes) the
# sequence starts again, and a worker that kept using its old block would
# later be handed the same numbers and overwrite those reports.
#
# Also: numbers are distinct and increasing within a worker, a connection
# dropped without data loss only leaves a gap, and the next block is
# reserved before the current one is used up.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'nomor';
my $P = "lapor:{$NS}:";

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_namespace nomor;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $n = 0;

# a report with a title of its own; its number
sub submit {
    my $title = sprintf 'Laporan uji nomor urut ke-%03d', ++$n;
    my $r = $t->post_report($t->report_doc(title => $title));
    is($r->{status}, 201, "report $n: 201") or diag($r->{content});
    return ($r->{json}{id}, $title);
}

# the worker is connected again once health says so
sub reconnected {
    ok(Lapor::Test::wait_until(sub {
        $t->http_get('/api/v1/health')->{status} == 200
    }, $t->tmo(10), 0.05), 'health is 200 again');
}

###############################################################################
# distinct and increasing

my @first = map { (submit())[0] } 1 .. 3;
is_deeply(\@first, [1, 2, 3], 'the first reports are 1, 2 and 3');
is($t->redis_cmd('GET', "${P}seq:report"), 64,
   'one block of 64 numbers reserved');

###############################################################################
# Redis loses everything: the old block is not used again

$t->stop_redis;
$t->start_redis(fresh => 1);    # its data gone with the disk
reconnected();

my ($id, $title) = submit();
is($id, 1, 'after Redis lost its data, numbering starts from its sequence')
    or diag("the worker kept numbers of the lost sequence");

my ($id2, $title2) = submit();
is($id2, 2, 'the next one from the new block');

is($t->redis_cmd('HGET', "${P}report:1", 'title'), $title,
   'report 1 is the report written after the loss');
is($t->redis_cmd('EXISTS', "${P}report:1:events"), 0,
   'report 1 has no timeline list (its first entry follows from the hash)');
is($t->redis_cmd('ZCARD', "${P}queue:submitted"), 2,
   'two reports queued, two reports made');

###############################################################################
# the connection drops, the data stays: a gap, never a number twice

my ($killed) = grep { ($_->{cmd} || '') !~ /^client/ } $t->redis_clients;
ok($killed, 'the worker is connected to Redis');
$t->redis_cmd('CLIENT', 'KILL', 'ID', $killed->{id}) if $killed;
reconnected();

my ($id3) = submit();
cmp_ok($id3, '>', 64, 'after a reconnect a new block, past the old one');
is($t->redis_cmd('ZCARD', "${P}queue:submitted"), 3, 'three reports queued');
is($t->redis_cmd('HGET', "${P}report:2", 'title'), $title2,
   'report 2 untouched');

###############################################################################
# the next block is asked for ahead: one after another, the numbers run on
# without a gap and without a submission waiting for a block

my @run = map { (submit())[0] } 1 .. 40;
is($t->redis_cmd('GET', "${P}seq:report"), $id3 - 1 + 128,
   'with 23 numbers of the block left, the next block is reserved');
push @run, map { (submit())[0] } 1 .. 30;
is_deeply(\@run, [$id3 + 1 .. $id3 + 70],
   '70 more reports numbered one after another');
is($t->redis_cmd('GET', "${P}seq:report"), $id3 - 1 + 128,
   'two blocks reserved for them, nothing more');
is($t->redis_cmd('ZCARD', "${P}queue:submitted"), 73, '73 reports queued');

###############################################################################
# every worker (of every nginx node) numbers from a block of its own: the
# numbers are unique, but do not follow the order of submission

subtest 'two nodes: unique numbers, not in the order of submission' => sub {
    my $t2 = Lapor::Test->new;
    my $redis = '127.0.0.1:' . $t->redis_port . ' ' . $t->redis_login;
    $t2->write_conf(<<"EOC");
    lapor_redis $redis;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_namespace nomor;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOC
    $t2->start_nginx;
    $t2->wait_status('/api/v1/health', 200, 10);

    my $other = sub {
        my $r = $t2->post_report($t2->report_doc(
            title => 'Laporan uji dari simpul kedua'));
        is($r->{status}, 201, 'the second node: 201');
        return $r->{json}{id};
    };

    my ($a1) = submit();
    my $b1 = $other->();
    my ($a2) = submit();
    my $b2 = $other->();

    cmp_ok($b1, '>', $a1, 'the second node numbers from a block of its own');
    cmp_ok($a2, '<', $b1, 'a later report can have a smaller number');
    is_deeply([$a2 - $a1, $b2 - $b1], [1, 1],
        'each node numbers its own reports one after another');
    is(scalar(keys %{{ map { $_ => 1 } $a1, $b1, $a2, $b2 }}), 4,
        'every number once');

    $t2->stop_nginx;
    $t2->check_alerts('no alerts in the second nginx error.log');
};

$t->finish;
