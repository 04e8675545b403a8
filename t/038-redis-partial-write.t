#!/usr/bin/perl

# Batches larger than the Redis socket takes at once.  The module writes a
# batch to Redis at the end of the event loop's turn without asking epoll
# first (ngx_http_lapor_redis_add_write); what the socket does not take
# must wait for epoll and go out when the socket drains.  Here a proxy
# between nginx and Redis, with a receive buffer of a few kilobytes, stops
# reading while 40 submissions with long texts are written (some 400 KB in
# one group commit), then reads again: every submission gets its 201 and
# its report, complete.  The same once more with Redis's answers held back
# instead, and with clients that go away meanwhile.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IO::Select;
use IO::Socket::INET;
use Socket qw/ SOL_SOCKET SO_RCVBUF /;
use Time::HiRes qw/ time sleep /;
use POSIX ();

use Lapor::Test;

my $t = Lapor::Test->new;

$t->start_redis;
my $REDIS_PORT = $t->redis_port;
my $HOLD = $t->testdir . '/hold';       # exists: the proxy does not read
my $HOLD_BACK = $t->testdir . '/holdback';  # exists: no answers forwarded
my $STATS = $t->testdir . '/proxy.stats';

# the proxy: one child, every connection; counts the bytes it forwarded
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 16, ReuseAddr => 1) or die "listen: $!\n";
setsockopt($listen, SOL_SOCKET, SO_RCVBUF, 4096) or die "SO_RCVBUF: $!\n";
my $PROXY_PORT = $listen->sockport;

my $proxy = fork();
die "fork: $!\n" unless defined $proxy;
if ($proxy == 0) {
    my $sel = IO::Select->new($listen);
    my (%peer, %up);
    $up{bytes} = 0;
    while (1) {
        for my $fh ($sel->can_read(0.01)) {
            if ($fh == $listen) {
                my $c = $listen->accept or next;
                my $r = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                    PeerPort => $REDIS_PORT) or do { close $c; next };
                $peer{$c} = $r;
                $peer{$r} = $c;
                $up{$c} = 1;
                $sel->add($c, $r);
                next;
            }
            next if $up{$fh} && -e $HOLD;
            next if !$up{$fh} && -e $HOLD_BACK;
            my $n = sysread($fh, my $buf, 65536);
            if (!$n) {
                my $o = delete $peer{$fh};
                $sel->remove($fh, $o);
                delete $peer{$o};
                close $fh;
                close $o;
                next;
            }
            $up{bytes} += $n if $up{$fh};
            my $o = $peer{$fh};
            while (length $buf) {
                my $w = syswrite($o, $buf);
                last unless defined $w;
                substr($buf, 0, $w, '');
            }
        }
        if (open my $s, '>', "$STATS.tmp") {
            print {$s} "$up{bytes}\n";
            close $s;
            rename "$STATS.tmp", $STATS;
        }
    }
    POSIX::_exit(0);
}
close $listen;

END {
    local $?;
    if ($proxy) {
        kill 'KILL', $proxy;
        waitpid($proxy, 0);
    }
}

my $login = $t->redis_login('lapor');
$t->write_conf(<<"EOF");
    lapor_redis 127.0.0.1:$PROXY_PORT $login;
    lapor_redis_timeout 20s;
    lapor_namespace pw;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200);

sub forwarded {
    return 0 + ($t->read_file($STATS) // 0) if -e $STATS;
    return 0;
}

# $n submissions (40 unless told) whose texts are long: 3990 characters,
# 15.9 KB in UTF-8
sub requests {
    my ($tag, $n) = @_;
    return map {
        my $doc = $t->report_doc(title => "Laporan panjang $tag nomor $_",
            body => "Nomor $_ ($tag)." . ("\x{1F6A7}" x 3970));
        $t->raw_request('POST', '/api/v1/reports',
            headers => { 'Content-Type' => 'application/json' },
            body => $t->report_json($doc));
    } 1 .. ($n || 40);
}

sub check_reports {
    my ($res, $name) = @_;
    my @bad = grep { $_->{status} != 201 } @$res;
    is(scalar @bad, 0, "$name: " . @$res . " × 201")
        or diag(join "\n", map { "$_->{status} $_->{body}" } @bad[0 .. 2]);
    my @broken;
    for my $r (grep { $_->{status} == 201 } @$res) {
        my $id = $r->{json}{id};
        my $h = $t->report_hash("lapor:{pw}:report:$id");
        push @broken, "$id: no body" unless length($h->{body} // '') > 15000;
        push @broken, "$id: not queued" unless defined $t->redis_cmd(
            'ZSCORE', 'lapor:{pw}:queue:submitted', $id);
    }
    is_deeply(\@broken, [], "$name: each report complete");
}

# One submission first: the worker then holds a block of report numbers,
# and the 40 go to Redis in one step, their writes.
sub warm_up {
    my ($res) = $t->http_parallel([ (requests('warm'))[0] ]);
    is($res->{status}, 201, 'a first submission: 201');
}

subtest 'Redis does not read for a while: the rest of the batch waits' => sub {
    warm_up();
    my $before = forwarded();
    $t->write_file($HOLD, '');
    # more than the kernel buffers for the socket (tcp_wmem's 4 MB at most)
    my @socks = map { $t->http_start($_) } requests('hold', 400);
    sleep 1;
    my $during = forwarded() - $before;
    # what the kernel holds for the proxy: the rest is still in hiredis's
    # buffer, waiting for epoll to say the socket takes more
    my $ss = `ss -tnH state established '( dport = :$PROXY_PORT or sport = :$PROXY_PORT )' 2>/dev/null`;
    note("while held:\n$ss");
    my $queued;
    $queued += $1 + $2 while $ss =~ /^\s*(\d+)\s+(\d+)/mg;
    unlink $HOLD;
    my @res = map { $t->http_end($_, timeout => $t->tmo(20)) } @socks;
    sleep 0.2;
    my $total = forwarded() - $before;
    cmp_ok($total, '>', 6_000_000, "the groups: $total bytes to Redis");
    cmp_ok($queued, '<', $total / 2,
        'the kernel held less than half of it: the socket refused the rest')
        if defined $queued;
    cmp_ok($during, '<', 300_000, 'next to nothing read while the proxy held');
    check_reports(\@res, 'held');
};

subtest 'Redis answers held back: the writes go on' => sub {
    warm_up();
    $t->write_file($HOLD_BACK, '');
    my @socks = map { $t->http_start($_) } requests('back');
    sleep 1;
    unlink $HOLD_BACK;
    my @res = map { $t->http_end($_, timeout => $t->tmo(20)) } @socks;
    check_reports(\@res, 'held back');
};

subtest 'clients that go away while the batch waits' => sub {
    warm_up();
    my $n = $t->redis_cmd('ZCARD', 'lapor:{pw}:queue:submitted');
    $t->write_file($HOLD, '');
    my @socks = map { $t->http_start($_) } requests('gone');
    sleep 0.5;
    close $_ for @socks[0 .. 19];
    sleep 0.5;
    unlink $HOLD;
    my @res = map { $t->http_end($_, timeout => $t->tmo(20)) }
        @socks[20 .. 39];
    is(scalar(grep { $_->{status} == 201 } @res), 20,
        'the 20 that stayed: 201');
    my $r = $t->wait_status('/api/v1/health', 200, 10);
    is($r->{status}, 200, 'the worker serves on');
    cmp_ok($t->redis_cmd('ZCARD', 'lapor:{pw}:queue:submitted'), '>=',
        $n + 20, 'their reports are stored');
};

$t->finish;
