#!/usr/bin/perl

# Open311 GeoReport v2 lists: GET requests (service_request_id overriding
# the rest, service_code, start_date/end_date within 90 days, status,
# newest first, page/page_size) and FixMyStreet's GET
# servicerequestupdates, both from sorted sets the submission and the
# actions keep (by creation time "public:category:<category>:open|closed",
# and without service_code "public:status:<state>"; "updated").

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

my $TOK = $t->officer_tokens({ 'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim' });
my ($ADMIN, $PUPR) = @$TOK{'admin-bali', 'pupr.petugas'};
$t->open311_keys({ 'test-client' => 'key-of-the-test-client-0123456789' });

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_open311_keys %%TESTDIR%%/open311-keys;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /open311/v2/ { lapor_open311; }
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 5);

my %EN = ('Accept-Language' => 'en');

sub get {
    my ($path) = @_;
    return $t->http_get("/open311/v2/$path", headers => \%EN);
}

sub ids { [ map { $_->{service_request_id} } @{$_[0]{json} || []} ] }

sub w3c { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $_[0]) }

sub errors_ok {
    my ($r, $status, $want, $name) = @_;
    is($r->{status}, $status, "$name: status $status") or diag $r->{body};
    is($r->{json}[0]{code}, $status, "$name: an Open311 error");
    ok((grep { $_->{description} =~ $want } @{$r->{json} || []}),
        "$name: says $want") or diag $r->{body} if $want;
}

# six reports: four by Open311, two by the REST API, in three categories
my @ID;
for my $c (qw/infrastruktur kesehatan infrastruktur transportasi/) {
    my $r = $t->open311_post($t->open311_form(service_code => $c));
    is($r->{status}, 201, "POST requests ($c)") or diag $r->{body};
    push @ID, $r->{json}[0]{service_request_id};
    select undef, undef, undef, 0.05;
}
for my $c (qw/kesehatan infrastruktur/) {
    my $r = $t->post_report($t->report_doc(category => $c));
    is($r->{status}, 201, "POST reports ($c)") or diag $r->{body};
    push @ID, $r->{json}{id};
}
my @NEWEST = reverse @ID;

subtest 'the indexes the submission keeps' => sub {
    for my $i (0 .. $#ID) {
        my $h = $t->redis_hash("${P}report:$ID[$i]");
        my $score = $t->redis_cmd({}, 'ZSCORE',
            "${P}public:category:$h->{category}:open", $ID[$i]);
        is($score, $t->queue_score($h->{created_at}, $ID[$i]),
            "report $ID[$i] in public:category:$h->{category}:open");
    }
};

subtest 'GET requests: the last 90 days, newest first' => sub {
    my $r = get('requests.json');
    is($r->{status}, 200, 'status 200') or diag $r->{body};
    is(ref $r->{json}, 'ARRAY', 'an array');
    is_deeply(ids($r), \@NEWEST, 'every report, newest first');
    unlike($r->{body}, qr/Wirawan|made\.wirawan\@/, 'never the reporter');

    $r = get('requests.xml');
    is($r->{status}, 200, 'XML: status 200');
    is($t->xml_wellformed($r->{body}), '', 'XML well-formed');
    is($t->xpath_count($r->{body}, '/service_requests/request'),
        scalar @ID, 'XML: every report');
    is($t->xpath($r->{body}, '/service_requests/request[1]/service_request_id'),
        $NEWEST[0], 'XML: the newest first');
};

subtest 'service_code, a comma list' => sub {
    my $r = get('requests.json?service_code=kesehatan');
    is_deeply(ids($r), [ grep { $t->redis_hash("${P}report:$_")->{category}
        eq 'kesehatan' } @NEWEST ], 'one category');
    $r = get('requests.json?service_code=kesehatan,transportasi');
    is(scalar @{ids($r)}, 3, 'two categories');
    is_deeply([ sort { $b <=> $a } @{ids($r)} ], ids($r), 'newest first');
    errors_ok(get('requests.json?service_code=nope'), 404, undef,
        'an unknown service_code');
};

subtest 'status open and closed, from the index' => sub {
    my $r = $t->report_action($ID[1], 'archive', token => $ADMIN,
        body => { reason => 'Laporan ganda dari aplikasi.' });
    is($r->{status}, 200, 'archive one') or diag $r->{body};
    my $h = $t->redis_hash("${P}report:$ID[1]");
    is($t->redis_cmd({}, 'ZSCORE', "${P}public:category:kesehatan:open",
        $ID[1]), undef, 'out of public:category:kesehatan:open');
    is($t->redis_cmd({}, 'ZSCORE', "${P}public:category:kesehatan:closed",
        $ID[1]), $t->queue_score($h->{created_at}, $ID[1]),
        'into public:category:kesehatan:closed with its creation time');

    is_deeply(ids(get('requests.json?status=closed')), [ $ID[1] ],
        'status=closed');
    is_deeply(ids(get('requests.json?status=open')),
        [ grep { $_ != $ID[1] } @NEWEST ], 'status=open');
    is_deeply(ids(get('requests.json?status=open,closed')), \@NEWEST,
        'status=open,closed');
    is(get('requests.json?status=closed')->{json}[0]{status}, 'closed',
        'and it reads closed');
    errors_ok(get('requests.json?status=pending'), 400, qr/^status: /,
        'another status');
};

subtest 'service_request_id overrides the rest' => sub {
    my $r = get("requests.json?service_request_id=$ID[2],$ID[0],999999"
        . '&service_code=transportasi&status=closed&start_date=bad');
    is($r->{status}, 200, 'status 200') or diag $r->{body};
    is_deeply(ids($r), [ $ID[2], $ID[0] ], 'those, in that order; an '
        . 'unknown number left out');
    errors_ok(get('requests.json?service_request_id=1,x'), 400,
        qr/^service_request_id: /, 'not numbers');
    errors_ok(get('requests.json?service_request_id=1,,2'), 400, undef,
        'an empty item');
};

subtest 'start_date, end_date: W3C datetimes, 90 days at most' => sub {
    # an old report, backdated 100 days in its hash and its indexes
    my $old = $ID[3];
    my $h = $t->redis_hash("${P}report:$old");
    my $then = $h->{created_at} - 100 * 86400;
    $t->redis_cmd({}, 'HSET', "${P}report:$old", 'created_at', $then);
    for my $set ("public:category:transportasi:open",
        "public:status:$h->{status}", "public:agency:$h->{agency}")
    {
        $t->redis_cmd({}, 'ZADD', "${P}$set", $t->queue_score($then, $old),
            $old);
    }

    my $r = get('requests.json');
    ok(!grep({ $_ == $old } @{ids($r)}), 'by default not older than 90 days');

    $r = get('requests.json?start_date=' . w3c($then - 3600) . '&end_date='
        . w3c($then + 3600));
    is_deeply(ids($r), [ $old ], 'a window around it');
    like($r->{json}[0]{requested_datetime}, qr/\+08:00$/,
        'requested_datetime with its offset');

    $r = get('requests.json?start_date=' . w3c($then - 3600));
    is_deeply(ids($r), [ $old ], 'a start alone: 90 days from it');

    my $now = time;
    $r = get('requests.json?end_date=' . w3c($now + 60));
    is(scalar @{ids($r)}, scalar(@ID) - 1, 'an end alone: 90 days before');

    $r = get('requests.json?start_date=2026-01-01T00:00:00%2B08:00'
        . '&end_date=2026-04-01T00:00:00%2B08:00');
    is($r->{status}, 200, 'exactly 90 days: allowed');

    errors_ok(get('requests.json?start_date=2026-01-01T00:00:00Z'
        . '&end_date=2026-04-02T00:00:00Z'), 400, qr/90 days/,
        'a 91-day range');
    errors_ok(get('requests.json?start_date=2026-01-01'), 400,
        qr/^start_date: is not a W3C datetime/, 'a date without a time');
    errors_ok(get('requests.json?start_date=2026-01-01T00:00:00'), 400,
        qr/^start_date: /, 'no time zone');
    errors_ok(get('requests.json?end_date=2026-13-01T00:00:00Z'), 400,
        qr/^end_date: /, 'no such month');
    errors_ok(get('requests.json?start_date=2026-02-01T00:00:00Z'
        . '&end_date=2026-01-01T00:00:00Z'), 400, qr/^end_date: must not be/,
        'the end before the start');
    errors_ok(get('requests.json?status=open&status=closed'), 400,
        qr/^status: must be given only once/, 'a repeated argument');
    errors_ok(get('requests.json?start_date=%zz'), 400, qr/query string/,
        'a bad escape');
};

subtest 'paging: page and page_size' => sub {
    my @all = @{ids(get('requests.json'))};
    my @seen;
    for my $page (1 .. 3) {
        my $r = get("requests.json?page_size=2&page=$page");
        is($r->{status}, 200, "page $page");
        push @seen, @{ids($r)};
    }
    is_deeply(\@seen, \@all, 'the pages in order, each report once');
    is_deeply(ids(get('requests.json?page_size=2&page=4')),
        @all > 6 ? [ $all[6] ] : [], 'after the last');
    errors_ok(get('requests.json?page_size=0'), 400, qr/^page_size: /,
        'page_size 0');
    errors_ok(get('requests.json?page_size=1001'), 400, qr/^page_size: /,
        'page_size 1001');
    errors_ok(get('requests.json?page=0'), 400, qr/^page: /, 'page 0');
    errors_ok(get('requests.json?page=11'), 400, qr/10000/,
        'deeper than 10000');
};

subtest 'servicerequestupdates: the agencies\' answers' => sub {
    my $from = w3c(time - 5);
    my $r = get("servicerequestupdates.json?start_date=$from");
    is($r->{status}, 200, 'status 200') or diag $r->{body};
    is_deeply([ map { $_->{service_request_id} } @{$r->{json}} ], [ $ID[1] ],
        'only the archived report changed');
    is($r->{json}[0]{status}, 'closed', 'closed');

    sleep 1;    # a later second: the order is by time
    $r = $t->report_action($ID[0], 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($r->{status}, 200, 'dispatch') or diag $r->{body};
    $r = $t->report_action($ID[0], 'respond', token => $PUPR,
        body => { message => 'Tim kami datang besok; hubungi 0812-3456-7890.' });
    is($r->{status}, 200, 'respond') or diag $r->{body};

    is($t->redis_cmd({}, 'ZSCORE', "${P}updated", $ID[0]),
        $t->queue_score($t->redis_hash("${P}report:$ID[0]")->{updated_at},
            $ID[0]), 'the action keeps "updated"');

    $r = get("servicerequestupdates.json?start_date=$from");
    my ($u) = grep { $_->{service_request_id} eq $ID[0] } @{$r->{json}};
    ok($u, 'the answered report is listed');
    is($r->{json}[0]{service_request_id}, $ID[0], 'newest first');
    like($u->{update_id}, qr/^$ID[0]-3$/, 'update_id: number and version');
    is($u->{status}, 'open', 'open');
    like($u->{description}, qr/^Tim kami datang besok; hubungi \*/,
        'the public answer, masked');
    unlike($u->{description}, qr/0812-3456-7890/, 'no phone number');
    like($u->{updated_datetime}, qr/\+08:00$/, 'updated_datetime');

    $r = $t->http_get("/open311/v2/servicerequestupdates.xml?start_date=$from",
        headers => \%EN);
    is($t->xml_wellformed($r->{body}), '', 'XML well-formed');
    is($t->xpath($r->{body},
        '/service_request_updates/request_update[1]/service_request_id'),
        $ID[0], 'XML: <request_update>');

    $r = get('servicerequestupdates.json?start_date=' . w3c(time + 3600));
    is_deeply($r->{json}, [], 'nothing after now: an empty array');
    errors_ok(get('servicerequestupdates.json?start_date=2020-01-01T00:00:00Z'
        . '&end_date=2026-01-01T00:00:00Z'), 400, qr/90 days/,
        'the same 90 days');
};

$t->finish;
