#!/usr/bin/perl

# The timeline's first entry, the submission, is not stored: a submission
# (POST reports, Open311 POST requests) writes no "report:<id>:events" list,
# and the readers make the entry up from the hash's created_at.  Reports of
# release 0.1.0, whose list starts with the stored entry (simulated here by
# writing it with the admin connection), read exactly as before: GET
# reports/{id}/events answers the same bytes for a report with the entry
# stored or made up, for every viewer, before and after an action, and
# never shows the submission twice; Open311 servicerequestupdates likewise.
# A hash without created_at (damaged) gets no made-up entry, logged.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use POSIX qw/ strftime /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes' });
my ($ADMIN, $PUPR) = @$TOK{qw/ admin-1 pupr-1 /};
$t->open311_keys({ 'test-client' => 'key-of-the-test-client-0123456789' });

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_open311_keys %%TESTDIR%%/open311-keys;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
        location /open311/v2/ { lapor_open311; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

# The entry as release 0.1.0 stored it, in the same MULTI as the hash.
sub stored_entry {
    my ($id) = @_;
    my $at = $t->redis_cmd('HGET', "${P}report:$id", 'created_at');
    return qq({"type":"submitted","at":$at,"actor":"reporter",)
        . q("status":"submitted","visibility":"public"});
}

sub submit {
    my (%over) = @_;
    my $r = $t->post_report($t->report_doc(%over));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    return { id => $r->{json}{id}, track => $r->{json}{tracking_token},
        created_at => $r->{json}{created_at} };
}

sub submit_open311 {
    my $r = $t->open311_post($t->open311_form);
    die "open311: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    return { id => $r->{json}[0]{service_request_id} };
}

sub act {
    my ($rep, $action, $token, $body) = @_;
    my $r = $t->report_action($rep->{id}, $action, token => $token,
        body => $body);
    die "$action: $r->{status} $r->{body}\n" unless $r->{status} == 200;
}

# GET reports/{id}/events as each viewer: { who => "status body" }
sub timelines {
    my ($rep) = @_;
    my %tl;
    my %who = (public => undef, admin => $ADMIN);
    $who{reporter} = $rep->{track} if $rep->{track};
    for my $who (sort keys %who) {
        my $r = $t->report_events($rep->{id}, $who{$who});
        $tl{$who} = "$r->{status} $r->{body}";
    }
    return \%tl;
}

sub types {
    my ($rep, $token) = @_;
    my $r = $t->report_events($rep->{id}, $token);
    return join ' ', map { $_->{type} } @{$r->{json}{events} || []};
}

my @REPORTS = (
    [ 'a report', submit() ],
    [ 'a confidential report', submit(confidential => JSON::PP::true) ],
    [ 'an anonymous report', submit(anonymous => JSON::PP::true,
        reporter => undef) ],
    [ 'an Open311 report', submit_open311() ],
);

subtest 'a submission stores no timeline' => sub {
    for my $x (@REPORTS) {
        my ($what, $rep) = @$x;
        is($t->redis_cmd('EXISTS', "${P}report:$rep->{id}:events"), 0,
            "$what: no report:<id>:events");
        ok(defined $t->redis_cmd('HGET', "${P}report:$rep->{id}",
            'created_at'), "$what: its hash has created_at");
    }
};

subtest 'GET events: the submission, made up from created_at' => sub {
    my $rep = $REPORTS[0][1];
    for my $token (undef, $rep->{track}, $ADMIN) {
        my $r = $t->report_events($rep->{id}, $token);
        is($r->{status}, 200, 'status 200') or diag $r->{body};
        is_deeply($r->{json}, { id => $rep->{id}, events => [ {
                type => 'submitted', at => $rep->{created_at},
                actor => 'reporter', status => 'submitted' } ] },
            'one entry: submitted at created_at, by the reporter');
        like($r->{body}, qr/^\{"id":$rep->{id},"events":\[\{"type":"submitted","at":"[^"]+","actor":"reporter","status":"submitted"\}\]\}$/,
            'members in the stored order');
    }
};

subtest 'the same bytes as the entry 0.1.0 stored' => sub {
    for my $x (@REPORTS) {
        my ($what, $rep) = @$x;
        my $new = timelines($rep);

        # the list as the released module wrote it with the report
        $t->redis_cmd('RPUSH', "${P}report:$rep->{id}:events",
            stored_entry($rep->{id}));
        my $old = timelines($rep);

        for my $who (sort keys %$new) {
            is($new->{$who}, $old->{$who}, "$what, $who: the same answer");
        }
        like($new->{admin}, qr/^200 /, "$what: 200");

        # back to what a submission writes now
        $t->redis_cmd('DEL', "${P}report:$rep->{id}:events");
    }
};

subtest 'after an action: the submission, then the action' => sub {
    my $rep = submit();
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim',
        message => 'Mohon dicek ke lokasi.' });

    my $list = $t->redis_cmd('LRANGE', "${P}report:$rep->{id}:events", 0, -1);
    is(scalar @$list, 1, 'the list holds the action only');
    like($list->[0] // '', qr/^\{"type":"dispatch",/, 'the dispatch');

    is(types($rep, $ADMIN), 'submitted dispatch', 'in this order');
    my $r = $t->report_events($rep->{id}, undef);
    is($r->{json}{events}[0]{at}, $rep->{created_at},
        'the submission at created_at');

    # the same report as 0.1.0 would have stored it
    my $new = timelines($rep);
    $t->redis_cmd('LPUSH', "${P}report:$rep->{id}:events",
        stored_entry($rep->{id}));
    my $old = timelines($rep);
    for my $who (sort keys %$new) {
        is($new->{$who}, $old->{$who}, "$who: the same answer as stored");
    }

    act($rep, 'respond', $PUPR, { message => 'Kami datang besok.' });
    is(types($rep, $ADMIN), 'submitted dispatch respond',
        'a 0.1.0 report: its stored submission once, then the actions');
    is($t->redis_cmd('LLEN', "${P}report:$rep->{id}:events"), 3,
        'three stored entries');
};

subtest 'a 0.1.0 report is never shown two submissions' => sub {
    my $rep = submit();
    $t->redis_cmd('RPUSH', "${P}report:$rep->{id}:events",
        stored_entry($rep->{id}));
    is(types($rep, $rep->{track}), 'submitted', 'one entry');

    act($rep, 'defer', $ADMIN, { reason => 'Mohon lengkapi lokasinya.' });
    act($rep, 'comments', $rep->{track}, { message => 'Di depan pasar.' });
    is(types($rep, $rep->{track}), 'submitted defer comments',
        'three entries, one submission');
    is($t->redis_cmd('LLEN', "${P}report:$rep->{id}:events"), 3,
        'as stored');

    # the same steps on a report of this release: one entry fewer stored
    my $now = submit();
    act($now, 'defer', $ADMIN, { reason => 'Mohon lengkapi lokasinya.' });
    act($now, 'comments', $now->{track}, { message => 'Di depan pasar.' });
    is(types($now, $now->{track}), 'submitted defer comments',
        'the same timeline');
    is($t->redis_cmd('LLEN', "${P}report:$now->{id}:events"), 2,
        'two stored entries');
};

subtest 'Open311 servicerequestupdates: the same with the entry stored'
    => sub {
    my $rep = submit_open311();
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    act($rep, 'respond', $PUPR,
        { message => 'Tim kami datang besok; hubungi 0812-3456-7890.' });

    my $from = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time - 60));
    my $get = sub {
        my $r = $t->http_get("/open311/v2/servicerequestupdates.json"
            . "?start_date=$from", headers => { 'Accept-Language' => 'en' });
        is($r->{status}, 200, 'status 200') or diag $r->{body};
        return $r->{body};
    };

    my $new = $get->();
    like($new, qr/"service_request_id":"$rep->{id}"/, 'the report is listed');
    like($new, qr/Tim kami datang besok; hubungi \*/,
        'with the words of its last entry');

    $t->redis_cmd('LPUSH', "${P}report:$rep->{id}:events",
        stored_entry($rep->{id}));
    is($get->(), $new, 'the same answer with the entry stored');
};

subtest 'a hash without created_at: no submission entry, logged' => sub {
    my $rep = submit();
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    $t->redis_cmd('HDEL', "${P}report:$rep->{id}", 'created_at');
    $t->log_mark;
    my $r = $t->report_events($rep->{id}, $ADMIN);
    is($r->{status}, 200, 'status 200') or diag $r->{body};
    is(types($rep, $ADMIN), 'dispatch', 'the stored entries only');
    ok($t->wait_log(qr/\[error\].*lapor: report $rep->{id} has no created_at/),
        'error.log says why');
};

$t->finish;
