#!/usr/bin/perl

# Idempotency-Key on POST reports: a retry with the same key and body gets
# the first answer byte for byte (Idempotent-Replayed: true) and never a
# second report; the same key with another body is 422; malformed keys are
# 400; a duplicate that arrives while the first is still being written is
# 409 with Retry-After, and still only one report exists.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Digest::SHA qw/ sha256_hex /;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'idem';
my $P = "lapor:{$NS}:";

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 5s;
    lapor_namespace idem;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

sub reports { scalar grep { !/:events$/ } $t->redis_scan("${P}report:*") }
sub submitted { $t->stats_hash("${P}stats")->{submitted} // 0 }

# A raw POST with the given Idempotency-Key (undef: none) and body.
sub post_req {
    my ($key, $body, %headers) = @_;
    $headers{'Content-Type'} = 'application/json';
    $headers{'Idempotency-Key'} = $key if defined $key;
    return $t->raw_request('POST', '/api/v1/reports', headers => \%headers,
        body => $body);
}

sub post_key { $t->http_raw(post_req(@_)) }

my $n = 0;
# A distinct valid report body each time.
sub fresh_body {
    $n++;
    return $t->report_json($t->report_doc(
        title => "Lampu jalan padam di Jalan Teuku Umar nomor $n"));
}

###############################################################################

subtest 'the same key three times: one report, identical answers' => sub {
    my $body = fresh_body();
    my ($r0, $s0) = (reports(), submitted());

    my @r = map { post_key('retry-7f3a9c', $body) } 1 .. 3;

    is($r[0]{status}, 201, 'first: 201');
    ok(!exists $r[0]{headers}{'idempotent-replayed'},
        'first: no Idempotent-Replayed');
    for my $i (1, 2) {
        is($r[$i]{status}, 201, "repeat $i: 201");
        is($r[$i]{headers}{'idempotent-replayed'}, 'true',
            "repeat $i: Idempotent-Replayed: true");
        is($r[$i]{body}, $r[0]{body}, "repeat $i: the same body, byte for "
            . 'byte');
        is($r[$i]{headers}{location}, $r[0]{headers}{location},
            "repeat $i: the same Location");
        like($r[$i]{headers}{'content-type'} // '', qr{^application/json},
            "repeat $i: application/json");
        is($r[$i]{headers}{'cache-control'}, 'no-store',
            "repeat $i: Cache-Control: no-store");
    }

    is(reports() - $r0, 1, 'exactly one report hash more');
    is(submitted() - $s0, 1, 'stats submitted counted once');

    my $j = $r[0]{json} || {};
    my $v = $t->http_get("/api/v1/reports/$j->{id}",
        headers => { Authorization => "Bearer $j->{tracking_token}" });
    is($v->{status}, 200, 'the replayed token opens the report');
};

subtest 'Redis keeps neither the key nor the token in plaintext' => sub {
    my $key = 'kunci-rahasia-4242-unik';
    my $r = post_key($key, fresh_body());
    is($r->{status}, 201, 'a fresh key: 201');
    my $token = $r->{json}{tracking_token} // 'none';

    my $all = $t->redis_contents('*');
    my @where = grep {
        my $k = $_;
        index($k, $key) >= 0 || index($k, $token) >= 0
            || grep { index($_, $key) >= 0 || index($_, $token) >= 0 }
                @{$all->{$k}}
    } sort keys %$all;
    is_deeply(\@where, [], 'neither appears in any key or value');

    # the record is named by the key's SHA-256 and lives 24 hours
    my $rec = "${P}idem:" . sha256_hex($key);
    is($t->redis_cmd('EXISTS', $rec), 1, "the record $rec");
    my $ttl = $t->redis_cmd('PTTL', $rec);
    ok($ttl > 24 * 3600 * 1000 - 60_000 && $ttl <= 24 * 3600 * 1000,
        "expires in 24 hours ($ttl ms)");
};

subtest 'the same key with another body: 422, no new report' => sub {
    my $first = post_key('dipakai-ulang', fresh_body());
    is($first->{status}, 201, 'first: 201');
    my ($r0, $s0) = (reports(), submitted());

    my $r = post_key('dipakai-ulang', fresh_body());
    $t->problem_ok($r, 422, 'idempotency-key-reused', 'another body: 422');

    # a different byte is a different body
    my $again = post_key('dipakai-ulang', fresh_body() . ' ');
    $t->problem_ok($again, 422, 'idempotency-key-reused',
        'another body with trailing space: 422');

    $r = post_key('dipakai-ulang', fresh_body(),
        'Accept-Language' => 'en');
    is($r->{json}{title}, 'Idempotency-Key already used', 'in English');

    is(reports(), $r0, 'no report added');
    is(submitted(), $s0, 'stats unchanged');
};

subtest 'different keys, same body: two reports' => sub {
    my $body = fresh_body();
    my $a = post_key('kunci-a', $body);
    my $b = post_key('kunci-b', $body);
    is($a->{status}, 201, 'key a: 201');
    is($b->{status}, 201, 'key b: 201');
    isnt($a->{json}{id}, $b->{json}{id}, 'two ids');
    ok(!exists $b->{headers}{'idempotent-replayed'}, 'no replay');

    my $c = post_key(undef, $body);
    my $d = post_key(undef, $body);
    isnt($c->{json}{id}, $d->{json}{id},
        'without a key every POST is a new report');
};

subtest 'malformed keys: 400 invalid-idempotency-key, nothing stored' => sub {
    my ($r0, $s0) = (reports(), submitted());

    my %bad = (
        'empty' => '',
        '256 characters' => 'k' x 256,
        'a space inside' => 'kunci dengan spasi',
        'non-ASCII (UTF-8 bytes)' => "kunci-\xc3\xa9",
        'a DEL byte' => "kunci\x7f",
        'a high byte' => "kunci\xff",
    );
    for my $name (sort keys %bad) {
        my $r = post_key($bad{$name}, fresh_body());
        $t->problem_ok($r, 400, 'invalid-idempotency-key', $name);
    }

    my $r = post_key('x' x 256, fresh_body(), 'Accept-Language' => 'en');
    is($r->{json}{title}, 'Invalid Idempotency-Key', 'in English');

    is(reports(), $r0, 'no report added');
    is(submitted(), $s0, 'stats unchanged');

    $r = post_key('k' x 255, fresh_body());
    is($r->{status}, 201, '255 characters: 201');
    $r = post_key('x', fresh_body());
    is($r->{status}, 201, '1 character: 201');
    $r = post_key('!#$%&\'*+-.^_`|~:/?@[]{}()<>,;="\\', fresh_body());
    is($r->{status}, 201, 'every kind of visible ASCII: 201');
};

subtest 'a duplicate while the first is in flight: 409, one report' => sub {
    my $body = fresh_body();
    my $key = 'sedang-diproses-' . int(time);
    my ($r0, $s0) = (reports(), submitted());

    # writes wait in Redis for 1.5 s: both requests are in flight
    my $c = $t->redis_conn;
    my $p = $c->command('CLIENT', 'PAUSE', 1500, 'WRITE');
    is($p, 'OK', 'CLIENT PAUSE 1500 WRITE');
    my $t0 = time;

    my @res = $t->http_parallel([ map { post_req($key, $body) } 1 .. 2 ],
        timeout => $t->tmo(10));
    my $elapsed = time - $t0;
    $c->close;

    my @status = sort map { $_->{status} } @res;
    note("answers: @status after " . sprintf('%.2fs', $elapsed));

    my @first = grep { $_->{status} == 201
        && !$_->{headers}{'idempotent-replayed'} } @res;
    my @replay = grep { $_->{status} == 201
        && ($_->{headers}{'idempotent-replayed'} // '') eq 'true' } @res;
    my @conflict = grep { $_->{status} == 409 } @res;

    is(scalar @first, 1, 'one first 201');
    is(scalar(@replay) + scalar(@conflict), 1,
        'the other: 409 or a replayed 201');
    for my $r (@conflict) {
        $t->problem_ok($r, 409, 'request-in-progress', '409 problem');
        like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/,
            '409 with Retry-After');
    }
    for my $r (@replay) {
        is($r->{body}, $first[0]{body}, 'the replay is the first answer');
    }
    cmp_ok($elapsed, '>=', 1.0, 'the answers waited for the pause');

    is(reports() - $r0, 1, 'exactly one report exists');
    is(submitted() - $s0, 1, 'stats submitted counted once');

    # the retry a client makes after the 409
    my $r = post_key($key, $body);
    is($r->{status}, 201, 'a retry after the first finished: 201');
    is($r->{headers}{'idempotent-replayed'}, 'true', 'replayed');
    is($r->{body}, $first[0]{body}, 'the first answer');
    is(reports() - $r0, 1, 'still one report');
};

subtest 'a duplicate with another body while in flight: 409 or 422' => sub {
    my $key = 'sedang-lain-' . int(time);
    my $c = $t->redis_conn;
    $c->command('CLIENT', 'PAUSE', 1000, 'WRITE');
    my @res = $t->http_parallel([ post_req($key, fresh_body()),
        post_req($key, fresh_body()) ], timeout => $t->tmo(10));
    $c->close;

    my @status = sort { $a <=> $b } map { $_->{status} } @res;
    is($status[0], 201, 'one 201');
    ok($status[1] == 422 || $status[1] == 409,
        "the other 422 or 409 (got $status[1])");
};

$t->finish;
