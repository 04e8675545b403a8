#!/usr/bin/perl

# lapor-relay (lua-free-scripts/) as the ACL user "relay" of the shipped
# users.acl, against Redis started from the shipped files, the events
# written by the module through the API, and a small HTTP receiver here
# (core Perl) that records every request and answers as told:
# - the relay user may run exactly the commands the script sends, on the
#   event stream and the dead-letter stream only (checked with ACL DRYRUN);
# - every event is delivered at least once, as JSON with the stream's
#   fields, signed (X-Lapor-Signature: HMAC-SHA256 of the body, checked
#   here), and acknowledged only after a 2xx;
# - a receiver that fails for a while gets everything afterwards;
# - a relay killed (SIGKILL) while it holds an event loses nothing: another
#   relay claims the event and delivers it;
# - two relays at once share the events, each delivered;
# - after --tries failures an event goes to the dead-letter stream;
# - a Redis restart is waited out.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Digest::SHA ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw/ time sleep /;

use Lapor::Test;
use Lapor::Ops qw/ ops_run ops_script script_commands acl_commands /;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $STREAM = "${P}events";
my $DEAD = "${P}relay:dead";
my $dir = $t->testdir;
my $SECRET = 'rahasia-webhook-' . substr($t->new_key, 0, 16);
$t->write_file('secret', "$SECRET\n");

subtest 'users.acl: relay may run exactly what lapor-relay sends' => sub {
    my $found = script_commands({ lib => 0 }, 'lapor-relay');
    # redis-cli's own, for --db N
    $found->{SELECT} = [ 'redis-cli --db' ];
    my ($allowed, $rules) = acl_commands($t, 'relay');
    ok(defined $rules, 'a user relay') or return;
    is_deeply([ sort keys %$allowed ], [ sort keys %$found ],
        'the same commands: ' . join(' ', sort keys %$found));
    like($rules, qr/^on >CHANGE_ME_relay_password resetkeys ~lapor:\{\*\}:events resetchannels -\@all /,
        'the event streams only');
    like($rules, qr/\(~lapor:\{\*\}:relay:dead resetchannels -\@all \+xadd\)$/,
        'XADD on the dead-letter streams only (a selector)');
};

###############################################################################
# The receiver: one process, one request at a time; every request as a
# line of JSON in receiver.log; the answer from the file "answer" (a
# status, optionally "until <time>" after which 200 comes again).

my $rport = $t->port('receiver');
my $receiver = fork();
die "fork: $!\n" unless defined $receiver;
if ($receiver == 0) {
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$rport",
        Listen => 16, ReuseAddr => 1) or POSIX::_exit(1);
    while (my $c = $s->accept) {
        my ($head, $line) = ('');
        while (defined($line = <$c>)) {
            $head .= $line;
            last if $line eq "\r\n";
        }
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my $body = '';
        read($c, $body, $len) if $len;
        my (%h, @kv);
        @kv = $head =~ /^([\w-]+):[ \t]*(.*?)\r$/mg;
        while (my ($k, $v) = splice @kv, 0, 2) {
            $h{lc $k} = $v;
        }
        my $status = 200;
        if (open my $fh, '<', "$dir/answer") {
            my $a = <$fh> // '';
            close $fh;
            if ($a =~ /^(\d{3})(?: until ([\d.]+))?/) {
                $status = $1 if !defined $2 || time < $2;
            }
        }
        open my $log, '>>', "$dir/receiver.log";
        print $log JSON::PP->new->canonical->encode({ headers => \%h,
            body => $body, status => $status }) . "\n";
        close $log;
        print $c "HTTP/1.1 $status X\r\nContent-Length: 0\r\n"
            . "Connection: close\r\n\r\n";
        close $c;
    }
    POSIX::_exit(0);
}

sub answer { $t->write_file('answer', "$_[0]\n") }
answer(200);

sub received {
    return () unless -f "$dir/receiver.log";
    return map { Lapor::Test::json_decode($_) }
        split /\n/, $t->read_file("$dir/receiver.log");
}

###############################################################################

$t->start_redis;
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

subtest 'ACL DRYRUN: relay' => sub {
    my %ok = (
        'XGROUP CREATE' => [ 'XGROUP', 'CREATE', $STREAM, 'g', '$', 'MKSTREAM' ],
        XREADGROUP => [ 'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1,
            'STREAMS', $STREAM, '>' ],
        XAUTOCLAIM => [ 'XAUTOCLAIM', $STREAM, 'g', 'c', 1000, '0-0' ],
        XACK => [ 'XACK', $STREAM, 'g', '1-1' ],
        'XADD dead' => [ 'XADD', $DEAD, '*', 'a', 'b' ],
    );
    for my $n (sort keys %ok) {
        is($t->redis_cmd('ACL', 'DRYRUN', 'relay', @{$ok{$n}}), 'OK',
            "$n allowed");
    }
    for my $cmd ([ 'XADD', $STREAM, '*', 'a', 'b' ],
        [ 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', "${P}report:1:events",
            '>' ],
        [ 'XACK', $DEAD, 'g', '1-1' ], [ 'HGETALL', "${P}report:1" ],
        [ 'XRANGE', $STREAM, '-', '+' ], [ 'XGROUP', 'DESTROY', $STREAM, 'g' ],
        [ 'DEL', $STREAM ])
    {
        like($t->redis_cmd('ACL', 'DRYRUN', 'relay', @$cmd),
            qr/no permissions/, "@$cmd[0,1] refused");
    }
};

# A relay in the background, in its own process group (so that it and its
# children can be killed together).
my %relays;
sub start_relay {
    my ($name, @args) = @_;
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/relay-$name.out";
        open STDERR, '>>', "$dir/relay-$name.err";
        $ENV{REDISCLI_AUTH} = $t->acl_password('relay');
        $ENV{LC_ALL} = 'C.UTF-8';
        exec '/usr/bin/dash', ops_script('lapor-relay'), '-p',
            $t->redis_port, '-n', $NS, '--url',
            "http://127.0.0.1:$rport/hook", '--secret-file', "$dir/secret",
            '--consumer', $name, '--start', 0, '--block', 300,
            '--backoff', 0.1, '--max-backoff', 0.4, '--claim-after', 1500,
            '--verbose', @args
            or POSIX::_exit(127);
    }
    $relays{$name} = $pid;
    return $pid;
}

sub kill_relay {
    my ($name, $sig) = @_;
    my $pid = delete $relays{$name} or return;
    kill $sig || 'TERM', -$pid;
    waitpid($pid, 0);
}

sub stream_ids {
    my $r = $t->redis_cmd('XRANGE', $STREAM, '-', '+');
    return map { $_->[0] } @$r;
}

sub delivered_ok {
    return { map { $_->{headers}{'x-lapor-delivery'} => 1 }
        grep { $_->{status} =~ /^2/ } received() };
}

sub all_delivered {
    my ($why) = @_;
    my @ids = stream_ids();
    my $ok = Lapor::Test::wait_until(sub {
        my $d = delivered_ok();
        return !grep { !$d->{$_} } @ids;
    }, 30, 0.2);
    ok($ok, "$why: all " . scalar(@ids) . ' events delivered')
        or diag(join "\n", map { $t->read_file($_) }
            grep { -f } map { "$dir/relay-$_.err" } qw/ A B C /);
    ok(Lapor::Test::wait_until(sub {
        my $p = $t->redis_cmd('XPENDING', $STREAM, 'lapor-relay');
        return $p->[0] == 0;
    }, 10, 0.1), "$why: none pending (all acknowledged)");
}

sub submit {
    my ($n) = @_;
    for (1 .. $n) {
        my $r = $t->post_report($t->report_doc);
        die "submit: $r->{status}\n" unless $r->{status} == 201;
    }
}

subtest 'every event delivered, signed, acknowledged' => sub {
    submit(3);
    start_relay('A');
    all_delivered('three reports');

    my %entry = map { $_->[0] => { @{$_->[1]} } }
        @{$t->redis_cmd('XRANGE', $STREAM, '-', '+')};
    for my $req (received()) {
        my $h = $req->{headers};
        is($h->{'x-lapor-signature'},
            'sha256=' . Digest::SHA::hmac_sha256_hex($req->{body}, $SECRET),
            'the signature: HMAC-SHA256 of the body');
        is($h->{'content-type'}, 'application/json', 'JSON');
        my $j = Lapor::Test::json_decode($req->{body});
        my $e = $entry{$j->{stream_id}};
        ok($e, "a stream entry ($j->{stream_id})") or next;
        is($h->{'x-lapor-delivery'}, $j->{stream_id}, 'X-Lapor-Delivery');
        is($h->{'x-lapor-event'}, $e->{event}, 'X-Lapor-Event');
        is($j->{namespace}, $NS, 'the namespace');
        my %fields = %$j;
        delete @fields{qw/ stream_id namespace /};
        is_deeply(\%fields, { %$e, id => $e->{id} + 0, at => $e->{at} + 0 },
            'the fields of the entry, numbers as numbers');
        ok(JSON::PP->new->canonical->encode($j) =~ /"id":\d/,
            'id is a JSON number');
    }
};

subtest 'a receiver that fails for a while gets everything afterwards' => sub {
    answer('503 until ' . (time + 2));
    submit(3);
    sleep 1;
    my $failed = grep { $_->{status} == 503 } received();
    ok($failed >= 1, "$failed answers were 503");
    all_delivered('after the outage');
    is($t->redis_cmd('XLEN', $DEAD), 0, 'nothing dead');
};

subtest 'a relay killed while it holds an event loses nothing' => sub {
    answer('503');    # A holds the next event, trying again and again
    submit(1);
    my $last = (stream_ids())[-1];
    ok(Lapor::Test::wait_until(sub {
        grep { $_->{headers}{'x-lapor-delivery'} eq $last } received();
    }, 10, 0.1), 'A took the event and is trying');
    kill_relay('A', 'KILL');
    my $p = $t->redis_cmd('XPENDING', $STREAM, 'lapor-relay');
    is($p->[0], 1, 'the event is pending with A, unacknowledged');
    answer(200);
    start_relay('B');
    all_delivered('B claimed it');
    like($t->read_file("$dir/relay-B.err"), qr/delivered \Q$last\E/,
        'delivered by B');
};

subtest 'two relays at once share the events' => sub {
    start_relay('C');
    my $before = scalar(received());
    submit(6);
    all_delivered('B and C');
    my %by;
    for my $name (qw/ B C /) {
        my $err = $t->read_file("$dir/relay-$name.err");
        $by{$name} = () = $err =~ /delivered /g;
    }
    ok($by{B} + $by{C} >= 6, "B and C delivered $by{B} and $by{C}");
};

subtest 'a Redis restart is waited out' => sub {
    $t->stop_redis;
    sleep 1;
    $t->start_redis;
    $t->wait_status('/api/v1/health', 200, 10);
    submit(2);
    all_delivered('after the restart');
    like($t->read_file("$dir/relay-B.err") . $t->read_file("$dir/relay-C.err"),
        qr/(?:cannot connect to|lost the connection to) Redis.*trying again/,
        'the relays said so');
    kill_relay($_) for qw/ B C /;
};

subtest 'dead letters after --tries' => sub {
    answer(400);
    submit(1);
    my $last = (stream_ids())[-1];
    my $r = ops_run($t, 'lapor-relay', [ '-n', $NS, '--url',
        "http://127.0.0.1:$rport/hook", '--secret-file', "$dir/secret",
        '--consumer', 'D', '--tries', 3, '--backoff', 0.1, '--once', '--verbose',
        '--block', 100 ], user => 'relay');
    is($r->{rc}, 0, '--once: exit 0') or diag($r->{err});
    like($r->{err}, qr/\Q$last\E report\.submitted: HTTP 400 after 3 tries: moved to lapor:\{bali\}:relay:dead/,
        'said');
    my $dead = $t->redis_cmd('XRANGE', $DEAD, '-', '+');
    is(scalar @$dead, 1, 'one dead letter');
    my %f = @{$dead->[0][1]};
    is($f{stream_id}, $last, 'the event');
    is($f{error}, 'HTTP 400', 'why');
    is($f{tries}, 3, 'how often');
    is($f{event}, 'report.submitted', 'its fields');
    my $p = $t->redis_cmd('XPENDING', $STREAM, 'lapor-relay');
    is($p->[0], 0, 'acknowledged');
    is(scalar(grep { $_->{headers}{'x-lapor-delivery'} eq $last }
        received()), 3, 'three tries');
    answer(200);
};

subtest 'errors' => sub {
    my @base = ('-n', $NS, '--url', "http://127.0.0.1:$rport/hook",
        '--secret-file', "$dir/secret");
    for my $bad ([ [ '-n', $NS ], qr/--url URL is needed/ ],
        [ [ @base[0 .. 3] ], qr/--secret-file FILE is needed/ ],
        [ [ @base, '--tries', 0 ], qr/--tries must be at least 1/ ],
        [ [ '-n', $NS, '--url', 'ftp://x', '--secret-file', "$dir/secret" ],
            qr/http:\/\/ or https:\/\// ],
        [ [ @base, '--start', 'x' ], qr/--start is/ ])
    {
        my $r = ops_run($t, 'lapor-relay', $bad->[0], user => 'relay');
        is($r->{rc}, 2, "@{$bad->[0]}: exit 2");
        like($r->{err}, $bad->[1], 'message');
    }
    my $r = ops_run($t, 'lapor-relay', [ @base, '--once' ], user => 'relay',
        auth => 'wrong');
    is($r->{rc}, 3, 'wrong password: exit 3');
    like($r->{err}, qr/refused the login of user "relay"/, 'says so');
    $r = ops_run($t, 'lapor-relay', [ @base, '--once', '--db', 99 ],
        user => 'relay');
    is($r->{rc}, 3, '--db 99 (there are 16): exit 3');
    like($r->{err}, qr/refused database 99 to user "relay": .*out of range/,
        'says so, and reads no other database instead');
    $r = ops_run($t, 'lapor-relay', [ @base[2 .. 5], '-n', 'nope',
        '--once' ], user => 'relay');
    is($r->{rc}, 4, 'unknown namespace: exit 4');
    like($r->{err}, qr/unknown namespace "nope"/, 'says so');
    ok(!$t->redis_cmd('EXISTS', 'lapor:{nope}:events'), 'no stream made');
    $r = ops_run($t, 'lapor-relay', [ @base, '--once', '--user', 'reader' ],
        auth => $t->acl_password('reader'));
    is($r->{rc}, 3, 'as reader: exit 3');
    like($r->{err}, qr/NOPERM/, 'refused');
    $t->redis_cmd('ACL', 'LOG', 'RESET');
};

kill_relay($_, 'KILL') for keys %relays;
kill 'TERM', $receiver;
waitpid($receiver, 0);

$t->finish;
