#!/usr/bin/perl

# Answers larger than 64 KB come whole: a queue page of 100 reports with
# 150-character titles in 4-byte UTF-8 (about 90 KB of JSON, and a Redis
# reply of the same size), the same for an agency inbox; paging with the
# keyset cursor returns every report exactly once and in order; a timeline
# of 40 clarifications of 2,000 characters (and messages at the 4,000
# character limit, in 4-byte characters and in characters JSON escapes)
# for the admin, the reporter and, masked, the public.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $N = 130;

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin',
    'dinkes-1' => 'dinkes' });
my ($ADMIN, $DINKES) = @$TOK{qw/ admin-1 dinkes-1 /};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 2s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $SIGN = "\x{1F6A7}";    # construction sign: 4 bytes in UTF-8

# 150 characters, unique by the number, most of them 4-byte.
sub title_of {
    my ($i) = @_;
    my $head = sprintf 'Laporan %03d jalan rusak ', $i;
    return $head . ($SIGN x (150 - length $head));
}

sub whole_ok {
    my ($r, $name) = @_;
    is($r->{status}, 200, "$name: 200") or return;
    ok(ref $r->{json} eq 'HASH', "$name: the JSON parses")
        or diag($r->{json_error});
    my $len = $r->{headers}{'content-length'};
    is($len, length $r->{body}, "$name: Content-Length is the body's length")
        if defined $len;
    cmp_ok(length $r->{body}, '>', 65536, "$name: more than 64 KB");
}

# Every page of a queue; returns the ids in the order given.
sub all_pages {
    my ($token, $query, $limit) = @_;
    my ($cursor, $bad, @ids);
    my $pages = 0;

    while (1) {
        my $r = $t->queue_get($token, "$query&limit=$limit"
            . (defined $cursor ? "&cursor=$cursor" : ''));
        unless ($r->{status} == 200 && ref $r->{json} eq 'HASH') {
            $bad = "page " . ($pages + 1) . ": $r->{status}";
            last;
        }
        $pages++;
        my @page = map { $_->{id} } @{$r->{json}{items}};
        $cursor = $r->{json}{next_cursor};
        $bad = "page $pages has " . scalar(@page) . " items"
            if @page > $limit || (@page < $limit && defined $cursor);
        push @ids, @page;
        last unless defined $cursor;
        $bad = 'no end' if $pages > 200;
        last if $bad;
    }

    return (\@ids, $pages, $bad);
}

###############################################################################

my (%title, @ids);

for my $i (1 .. $N) {
    my $r = $t->post_report($t->report_doc(title => title_of($i)));
    die "submit $i: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    $title{$r->{json}{id}} = title_of($i);
    push @ids, $r->{json}{id};
}

# The order of queue:submitted: by entry time, then id.
sub queue_order {
    my ($key, @which) = @_;
    my $z = $t->redis_cmd('ZRANGE', "$P$key", 0, -1);
    return [map { $_ + 0 } @$z];
}

subtest "a page of 100 with long UTF-8 titles is whole" => sub {
    my $r = $t->queue_get($ADMIN, 'status=submitted&limit=100');
    whole_ok($r, 'queue page');

    my @items = @{($r->{json} || {})->{items} || []};
    is(scalar @items, 100, '100 items');
    is(scalar(grep { ($title{$_->{id}} // '') eq $_->{title} } @items), 100,
        'every title exactly as submitted');
    is(scalar(grep { $_->{status} eq 'submitted' && $_->{version} == 1 }
        @items), 100, 'every item whole');
    my $order = queue_order('queue:submitted');
    is_deeply([map { $_->{id} } @items], [@$order[0 .. 99]],
        'the oldest 100, oldest first');
    like($r->{json}{next_cursor} // '', qr/^\d+$/, 'a next cursor');

    my $last = $items[-1]{id};
    my $h = $t->report_hash("${P}report:$last");
    is($r->{json}{next_cursor}, $t->queue_score($h->{entered_at}, $last),
        'the cursor is the score of the last item');
};

subtest "paging by the cursor returns each report once, in order" => sub {
    my $order = queue_order('queue:submitted');
    is(scalar @$order, $N, "$N reports in queue:submitted");

    # the same as (created, id) from the hashes
    my %created = map { $_ => $t->report_hash("${P}report:$_")->{entered_at} }
        @ids;
    is_deeply($order, [sort { $created{$a} <=> $created{$b} || $a <=> $b }
        @ids], 'queue:submitted is by entry time, then number');

    for my $limit (100, 7, 1) {
        my ($got, $pages, $bad) = all_pages($ADMIN, 'status=submitted',
            $limit);
        ok(!$bad, "limit=$limit: every page well formed") or diag($bad);
        is($pages, int(($N + $limit - 1) / $limit), "limit=$limit: "
            . "$pages pages");
        is_deeply($got, $order, "limit=$limit: every report once, in order");
    }
};

subtest 'an agency inbox of 100 large items, by deadline' => sub {
    my @mine = @ids[0 .. 99];
    for my $id (@mine) {
        my $r = $t->report_action($id, 'dispatch', token => $ADMIN,
            body => { agency => 'dinkes' });
        die "dispatch $id: $r->{status}\n" unless $r->{status} == 200;
    }

    my $r = $t->queue_get($DINKES, 'limit=100');
    whole_ok($r, 'inbox page');
    my @items = @{($r->{json} || {})->{items} || []};
    is(scalar @items, 100, '100 items');
    is(scalar(grep { ($title{$_->{id}} // '') eq $_->{title} } @items), 100,
        'every title exactly as submitted');
    is($r->{json}{next_cursor}, undef, 'no next page');

    my %due = map { $_ => $t->report_hash("${P}report:$_")->{due_at} } @mine;
    my @by_deadline = sort { $due{$a} <=> $due{$b} || $a <=> $b } @mine;
    is_deeply([map { $_->{id} } @items], \@by_deadline,
        'by deadline, then number');

    my ($got, $pages, $bad) = all_pages($DINKES, 'status=dispatched', 9);
    ok(!$bad, 'limit=9: every page well formed') or diag($bad);
    is($pages, 12, '12 pages');
    is_deeply($got, \@by_deadline, 'every report once, in order');

    ($got) = all_pages($ADMIN, 'status=submitted', 100);
    is_deeply($got, [@{queue_order('queue:submitted')}],
        'queue:submitted: the 30 left');
    is(scalar @$got, $N - 100, '30 of them');
};

subtest 'a timeline over 64 KB is whole, for every viewer' => sub {
    my $r = $t->post_report($t->report_doc);
    my $id = $r->{json}{id};
    my $track = $r->{json}{tracking_token};
    my (@messages, @public);

    for my $i (1 .. 40) {
        my $head = sprintf 'Klarifikasi %02d: hubungi posko 0812-3456-7890; '
            . "j\x{e9}l\x{e1}n ", $i;
        my $m = $head;
        $m .= "perbaikan tahap berikutnya $SIGN " while length $m < 2000;
        $m = substr($m, 0, 2000);
        (my $masked = $m) =~ s/0812-3456-7890/****-****-****/;
        push @messages, $m;
        push @public, $masked;

        $r = $t->report_action($id, 'clarify', token => $ADMIN,
            body => { message => $m });
        die "clarify $i: $r->{status} $r->{body}\n"
            unless $r->{status} == 200;
    }

    for my $v (['admin', $ADMIN, \@messages], ['reporter', $track,
        \@messages], ['public', undef, \@public])
    {
        my ($who, $token, $want) = @$v;
        $r = $t->report_events($id, $token);
        whole_ok($r, "$who timeline");
        my @ev = @{($r->{json} || {})->{events} || []};
        is(scalar @ev, 41, "$who: 41 entries");
        is_deeply([map { $_->{message} } @ev[1 .. $#ev]], $want,
            "$who: every message whole" . ($who eq 'public' ? ', masked'
                : ''));
    }
};

subtest 'messages at the 4,000-character limit' => sub {
    my $r = $t->post_report($t->report_doc);
    my $id = $r->{json}{id};

    my @m = ($SIGN x 4000, '"' x 4000, "\\\n\t" x 1333 . 'x',
        join('', map { chr(0x4e00 + $_) } 0 .. 3999));

    for my $m (@m) {
        $r = $t->report_action($id, 'clarify', token => $ADMIN,
            body => { message => $m });
        is($r->{status}, 200, 'clarify with ' . length($m) . ' characters '
            . 'of U+' . sprintf('%04X', ord $m));
    }

    $r = $t->report_action($id, 'clarify', token => $ADMIN,
        body => { message => $SIGN x 4001 });
    ok(!Lapor::Test::check_problem($r, 400, undef)
        && ($r->{json}{type} // '') =~ /^urn:lapor:problem:invalid-(?:report|action)$/,
        '4,001 characters: 400 invalid-report') or diag($r->{body});

    for my $token ($ADMIN, undef) {
        $r = $t->report_events($id, $token);
        is($r->{status}, 200, 'timeline: 200');
        my @ev = @{($r->{json} || {})->{events} || []};
        is_deeply([map { $_->{message} } @ev[1 .. $#ev]], \@m,
            'every message whole for the ' . ($token ? 'admin' : 'public'));
    }

    unlike($t->error_log, qr/timeline entry \d+ of report \d+ is damaged/,
        'no entry judged damaged');
};

$t->finish;
