#!/usr/bin/perl

# Officer tokens: "nginx -t" names the file and the line of a malformed
# token file, and "nginx -s reload" picks up a changed file (a revoked token
# stops working, a new one starts).

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Digest::SHA ();

use Lapor::Test;

my $t = Lapor::Test->new;

my $conf = <<'EOF';
    lapor_redis %%REDIS%%;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF

sub line {
    my ($token, $role, $agency, $label) = @_;
    return join(' ', Digest::SHA::sha256_hex($token), $role, $agency, $label)
        . "\n";
}

subtest 'nginx -t rejects a malformed token file, naming the line' => sub {
    my $a = line('a', 'admin', '-', 'x');
    my @cases = (
        [ 'short hash', "# ok\nabc admin - x\n", qr/line 2: .*SHA-256/ ],
        [ 'bad role', line('a', 'boss', '-', 'x'), qr/line 1: .*role/ ],
        [ 'admin with an agency', line('a', 'admin', 'dinkes', 'x'),
            qr/line 1: .*admin/ ],
        [ 'agency without one', line('a', 'agency', '-', 'x'),
            qr/line 1: .*agency/ ],
        [ 'no label', substr($a, 0, -3) . "\n", qr/line 1: .*label/ ],
        [ 'five fields', line('a', 'admin', '-', 'x y'),
            qr/line 1: .*four fields/ ],
        [ 'the same token twice', $a . line('b', 'admin', '-', 'y')
            . line('a', 'admin', '-', 'z'),
            qr/line 3: the same token as line 1/ ],
        [ 'an agency not in the catalog', line('a', 'agency', 'nowhere', 'x'),
            qr/line 1: agency "nowhere" is not in the catalog/ ],
    );

    for my $c (@cases) {
        my ($name, $text, $want) = @$c;
        $t->write_file('tokens', $text);
        my ($rc, $out) = $t->nginx_t($conf);
        isnt($rc, 0, "$name: nginx -t fails");
        like($out, qr/"lapor_tokens"/, "$name: names the directive");
        like($out, $want, "$name: names the line and the reason");
        unlike($out, qr/[0-9a-f]{64}/, "$name: no hash in the message");
    }

    unlink $t->testdir . '/tokens';
    my ($rc, $out) = $t->nginx_t($conf);
    isnt($rc, 0, 'a missing file fails');
    like($out, qr/"lapor_tokens" cannot open/, 'and says so');
};

$t->start_redis;

my $old = 'old-officer-token-0123456789';
my $new = 'new-officer-token-9876543210';

$t->write_file('tokens', "# officers\n" . line($old, 'admin', '-', 'old.admin'));
$t->write_conf($conf);
$t->start_nginx;

sub queue {
    my ($token) = @_;
    return $t->http_get('/api/v1/queue',
        headers => { Authorization => "Bearer $token" })->{status};
}

is($t->wait_status('/api/v1/health', 200, 5)->{status}, 200, 'ready');
is(queue($old), 200, 'the officer token is accepted');
is(queue($new), 401, 'an unknown token is not');

SKIP: {
    skip 'valgrind mode: reload needs master_process on', 2 if $t->valgrind;

    # revoke the old token, add the new one
    $t->write_file('tokens', line($new, 'admin', '-', 'new.admin'));
    my @old_workers = $t->reload;

    # Until an old worker has seen the signal it still accepts connections
    # with the old tokens: one 401 from a new worker proves nothing about
    # the next request.  Wait for the old workers to be gone.
    ok($t->wait_pids_gone($t->tmo(10), @old_workers),
        'the workers of the old configuration are gone');
    is(queue($new), 200, 'after a reload the new token is accepted');
    is(queue($old), 401, 'and the revoked one refused');

    subtest 'a revoked token: 401 invalid-token, also on officers\' actions'
        => sub {
        my $r = $t->post_report($t->report_doc);
        is($r->{status}, 201, 'a report');
        my $id = $r->{json}{id};

        $r = $t->report_action($id, 'dispatch', token => $old,
            body => { agency => 'pupr-kim' });
        $t->problem_ok($r, 401, 'invalid-token', 'dispatch: 401, not 403');
        like($r->{headers}{'www-authenticate'} // '',
            qr/^Bearer error="invalid_token"/, '... with WWW-Authenticate');
        $t->problem_ok($t->report_view($id, $old), 401, 'invalid-token',
            'reading the report: 401');
        $t->problem_ok($t->queue_get($old, ''), 401, 'invalid-token',
            'GET queue: 401');

        $r = $t->report_action($id, 'dispatch', token => $new,
            body => { agency => 'pupr-kim' });
        is($r->{status}, 200, 'the new token dispatches it');
    };
}

$t->finish;
