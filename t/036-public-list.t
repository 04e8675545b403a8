#!/usr/bin/perl

# GET reports: the public list.  Newest first; every item exactly the
# public view GET reports/{id} gives (anonymous without a reporter,
# confidential reduced, text masked), whoever asks; keyset paging that
# shows every report once; one filter at a time (category, status,
# agency), each following the report through dispatch, re-dispatch, "bukan
# wewenang", archive and feedback (the sweep moves them through the same
# code: t/023 checks the places); paging across the sets a list is the
# union of (all: every state's; a category: open and closed); 400
# invalid-query for bad
# parameters; HEAD; 405 with Allow for other methods; the "read" limit;
# Redis down: 503.  The lists are sorted sets, read by range, never a
# scan.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Time::HiRes qw/ sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes' });
my ($ADMIN, $PUPR, $DINKES) = @$TOK{qw/ admin-1 pupr-1 dinkes-1 /};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;
    lapor_limit read 600r/m burst=300;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my %TRACK;

sub submit {
    my (%over) = @_;
    my $r = $t->post_report($t->report_doc(%over));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    $TRACK{$r->{json}{id}} = $r->{json}{tracking_token};
    return $r->{json}{id};
}

sub act {
    my ($id, $action, $token, $body) = @_;
    my $r = $t->report_action($id, $action, token => $token, body => $body);
    die "$action: $r->{status} $r->{body}\n" unless $r->{status} == 200;
}

sub list {
    my ($query, %o) = @_;
    return $t->http_get('/api/v1/reports'
        . (defined $query && length $query ? "?$query" : ''), %o);
}

sub ids {
    my ($r) = @_;
    return [map { $_->{id} } @{$r->{json}{items} || []}];
}

# every page of a list, following next_cursor
sub all_pages {
    my ($query, $limit) = @_;
    my (@ids, $cursor, $pages);
    while (1) {
        my $q = join '&', grep { length } ($query // ''), "limit=$limit",
            (defined $cursor ? "cursor=$cursor" : ());
        my $r = list($q);
        die "list $q: $r->{status} $r->{body}\n" unless $r->{status} == 200;
        push @ids, @{ids($r)};
        $pages++;
        $cursor = $r->{json}{next_cursor};
        last unless defined $cursor;
        die "too many pages\n" if $pages > 50;
    }
    return (\@ids, $pages);
}

my %R;
$R{road} = submit(title => 'Jalan berlubang di Jalan Gatot Subroto',
    body => 'Lubang besar; hubungi 0812-3456-7890 atau made@example.com.');
$R{health} = submit(category => 'kesehatan',
    title => 'Antrean obat di puskesmas terlalu lama');
$R{anon} = submit(anonymous => JSON::PP::true,
    title => 'Lampu jalan mati di Jalan Teuku Umar');
$R{secret} = submit(confidential => JSON::PP::true,
    category => 'korupsi-pungli', title => 'Pungutan liar pembuatan KTP');
$R{both} = submit(confidential => JSON::PP::true, anonymous => JSON::PP::true,
    reporter => undef, title => 'Pungutan liar di terminal bus');
$R{school} = submit(category => 'pendidikan',
    title => 'Atap sekolah dasar bocor saat hujan');
my @ALL = sort { $b <=> $a } values %R;

subtest 'newest first, each item as the public sees it' => sub {
    my $r = list();
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');
    is($r->{headers}{'cache-control'}, 'no-store', 'no-store');
    is_deeply(ids($r), \@ALL, 'every report, newest first');
    is($r->{json}{next_cursor}, undef, 'one page: no cursor');

    for my $item (@{$r->{json}{items}}) {
        my $one = $t->report_view($item->{id});
        is_deeply($item, $one->{json},
            "report $item->{id}: the same as GET reports/$item->{id}");
    }

    my %by = map { $_->{id} => $_ } @{$r->{json}{items}};
    ok(!exists $by{$R{anon}}{reporter}, 'anonymous: no reporter');
    is_deeply([sort keys %{$by{$R{secret}}}], [sort qw/ id status version
        created_at updated_at due_at overdue agency confidential /],
        'confidential: reduced to the public fields');
    like($by{$R{road}}{body}, qr/\*\*\*\*-\*\*\*\*-\*\*\*\* atau \*\*\*\*@/,
        'phone numbers and e-mail addresses masked');
    is($by{$R{road}}{reporter}{name}, 'Made Wirawan', 'a name is public');
    ok(!exists $by{$R{road}}{reporter}{contact}, 'a contact never');
    unlike($r->{body}, qr/made\.wirawan|0812-3456|made\@example/,
        'no contact or unmasked number anywhere in the list');

    my $as_admin = list(undef, headers => { Authorization => "Bearer $ADMIN" });
    is_deeply($as_admin->{json}, $r->{json},
        'an officer token changes nothing: the list is public');

    my $en = list(undef, headers => { 'Accept-Language' => 'en' });
    like($en->{json}{items}[0]{agency}{name}, qr/Bali/,
        'agency names in the language asked for');
};

subtest 'keyset paging shows every report once' => sub {
    for my $limit (1, 2, 4, 6, 100) {
        my ($ids, $pages) = all_pages(undef, $limit);
        is_deeply($ids, \@ALL, "limit=$limit: all, in order, once");
        my $want = int(@ALL / $limit) + (@ALL % $limit ? 1 : 0);
        is($pages, $want, "limit=$limit: $want pages");
    }

    # a report that comes in meanwhile is not on the pages after the cursor
    my $first = list('limit=2');
    my $late = submit(title => 'Laporan baru di tengah penelusuran');
    my ($rest) = all_pages(undef, 2);
    my $next = list("limit=2&cursor=$first->{json}{next_cursor}");
    is_deeply(ids($next), [@ALL[2, 3]], 'the next page is unmoved');
    is($rest->[0], $late, 'the new one heads the list from the start');
    unshift @ALL, $late;
    $R{late} = $late;

    my $r = list('limit=20');
    is($r->{json}{next_cursor}, undef, 'the last page has no cursor');
    $r = list('cursor=1');
    is_deeply(ids($r), [], 'a cursor below every score: an empty page');
};

subtest 'filters follow the report' => sub {
    is_deeply(ids(list('category=kesehatan')), [$R{health}],
        'category=kesehatan');
    is_deeply(ids(list('category=pendidikan')), [$R{school}],
        'category=pendidikan');
    is_deeply(ids(list('category=dishub-transportasi')), [],
        'a category without reports: empty')
        if $t->http_get('/api/v1/catalog')->{body} =~ /"dishub-transportasi"/;
    is_deeply(ids(list('status=submitted')), \@ALL, 'status=submitted: all');
    is_deeply(ids(list('status=closed')), [], 'status=closed: none yet');
    is_deeply(ids(list('agency=dinkes')), [$R{health}],
        'agency=dinkes: the one named at submission');

    act($R{road}, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    act($R{health}, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    is_deeply(ids(list('status=dispatched')), [$R{health}, $R{road}],
        'status=dispatched after two dispatches');
    is_deeply(ids(list('agency=dinkes')), [],
        'dispatched elsewhere: gone from its first agency');
    ok((grep { $_ == $R{health} } @{ids(list('agency=pupr-kim'))}),
        'and listed with the new one');
    is_deeply(ids(list('category=kesehatan')), [$R{health}],
        'the category stays');

    act($R{health}, 'not_authority', $PUPR,
        { reason => 'Bukan wewenang dinas ini.' });
    is_deeply(ids(list('status=dispatched')), [$R{road}],
        'bukan wewenang: out of dispatched');
    ok((grep { $_ == $R{health} } @{ids(list('status=submitted'))}),
        'and back in submitted');

    act($R{road}, 'respond', $PUPR, { message => 'Kami tinjau.' });
    act($R{road}, 'follow_up', $PUPR, { message => 'Sudah ditambal.' });
    is_deeply(ids(list('status=followed_up')), [$R{road}], 'followed_up');
    act($R{road}, 'feedback', $TRACK{$R{road}},
        { rating => 4, resolved => 'yes' });
    is_deeply(ids(list('status=closed')), [$R{road}], 'closed by feedback');
    is_deeply(ids(list('status=followed_up')), [], 'no longer followed up');
    act($R{secret}, 'archive', $ADMIN, { reason => 'Laporan ganda.' });
    is_deeply(ids(list('status=archived')), [$R{secret}], 'archived');
    my $secret = list('status=archived')->{json}{items}[0];
    ok(!exists $secret->{title}, 'a confidential report stays reduced in a '
        . 'filtered list');

    # report_places folds away the public sets only when exactly right
    for my $id (@ALL) {
        my $z = $t->report_places('bali', $id);
        is_deeply([grep { /^public/ } sort keys %$z], [],
            "report $id: in exactly the right public sets");
    }
};

subtest 'paging over reports in every state: each once, in order' => sub {
    # the list of all is the union of the states' sets, a category the
    # union of its open and closed reports: the cursor runs across them
    act($R{school}, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    my %state = map { $_ => $t->report_view($_)->{json}{status} } @ALL;
    my %seen = map { $_ => 1 } values %state;
    ok(keys %seen >= 4, 'reports in ' . scalar(keys %seen) . ' states: '
        . join(' ', sort keys %seen));
    for my $limit (1, 2, 3, 100) {
        my ($ids) = all_pages(undef, $limit);
        is_deeply($ids, \@ALL, "all, limit=$limit: every report once, "
            . 'newest first');
    }

    my $cat = $t->redis_hash("lapor:{bali}:report:$R{road}")->{category};
    my @in = grep {
        $t->redis_hash("lapor:{bali}:report:$_")->{category} eq $cat
    } @ALL;
    ok((grep { $_ == $R{road} } @in) && @in > 1,
        "category $cat: a closed report and open ones");
    for my $limit (1, 2, 100) {
        my ($ids) = all_pages("category=$cat", $limit);
        is_deeply($ids, \@in, "category=$cat, limit=$limit: open and "
            . 'closed, each once, newest first');
    }
};

subtest 'newest first by submission, not by number' => sub {
    # numbers come in blocks per worker, or one at a time with an
    # Idempotency-Key: they are not in the order of submission
    my $a = submit(title => 'Pertama dari tiga laporan berurutan');
    sleep 1.1;
    my $r = $t->post_report($t->report_doc(
        title => 'Kedua dari tiga laporan berurutan'),
        headers => { 'Idempotency-Key' => 'order-' . time });
    is($r->{status}, 201, 'the second, with an Idempotency-Key');
    my $b = $r->{json}{id};
    sleep 1.1;
    my $c = submit(title => 'Ketiga dari tiga laporan berurutan');
    ok($b > $c && $c > $a, "numbers out of order: $a, $b, $c");
    is_deeply([@{ids(list('limit=3'))}], [$c, $b, $a],
        'listed newest first all the same');
    my $p1 = list('limit=1');
    my $p2 = list("limit=1&cursor=$p1->{json}{next_cursor}");
    is_deeply(ids($p2), [$b], 'and paged in that order');
};

subtest 'bad parameters: 400 invalid-query' => sub {
    for my $case (
        ['status=open', 'status'], ['status=', undef],
        ['category=nope', 'category'], ['agency=nope', 'agency'],
        ['category=kesehatan&status=submitted', 'status'],
        ['agency=dinkes&category=kesehatan', 'agency'],
        ['cursor=abc', 'cursor'], ['cursor=0', 'cursor'],
        ['cursor=-5', 'cursor'], ['limit=0', 'limit'],
        ['limit=101', 'limit'], ['limit=x', 'limit'])
    {
        my ($q, $field) = @$case;
        my $r = list($q, headers => { 'Accept-Language' => 'en' });
        if (!defined $field) {
            is($r->{status}, 200, "$q: an empty value is no filter");
            next;
        }
        $t->problem_ok($r, 400, 'urn:lapor:problem:invalid-query', $q);
        is($r->{json}{errors}[0]{field}, $field, "$q: names $field");
    }
    my $r = list('category=nope', headers => { 'Accept-Language' => 'id' });
    is($r->{json}{errors}[0]{message}, 'bukan kategori yang dikenal',
        'in Indonesian by default');
    $r = list('foo=bar');
    is($r->{status}, 200, 'other parameters are ignored');
};

subtest 'methods' => sub {
    my $r = $t->http_head('/api/v1/reports');
    is($r->{status}, 200, 'HEAD 200');
    is($r->{body}, '', 'HEAD: no body');
    $r = $t->http_request('PUT', '/api/v1/reports');
    $t->problem_ok($r, 405, 'urn:lapor:problem:method-not-allowed', 'PUT');
    is($r->{headers}{allow}, 'GET, HEAD, POST', 'Allow: GET, HEAD, POST');
};

subtest 'Redis down: 503' => sub {
    $t->stop_redis;
    my $r = list();
    $t->problem_ok($r, 503, 'urn:lapor:problem:redis-unavailable',
        'list without Redis');
    ok($r->{headers}{'retry-after'}, 'Retry-After');
    $t->start_redis;
    $t->wait_status('/api/v1/health', 200, 10);
};

$t->finish;
