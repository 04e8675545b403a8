#!/usr/bin/perl

# lapor-export (lua-free-scripts/) against Redis started from the shipped
# files, logged in as "reader", on reports written by the module through
# the API: text with commas, quotes, line breaks, non-ASCII, phone numbers
# and e-mail addresses; confidential, anonymous, handed back, rated,
# archived reports.  Each exported record, JSON Lines and CSV (RFC 4180,
# parsed back here), equals the API's view of the report: the public view
# (masked, confidential reduced) and the officers' (admin) view, without
# the reporter unless --reveal --key FILE.  The filters (dates, state read
# from its sorted set, agency), the masking port against every case of
# t/unit/test_mask.c, and the errors.  Throughput is measured by
# t/bench/export, not here.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Encode ();

use Lapor::Test;
use Lapor::Ops qw/ ops_run /;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";
my $API = '/api/v1';
my $CATALOG = "$Lapor::Test::REPO/examples/catalog.json";
my $LIB = "$Lapor::Test::REPO/lua-free-scripts/lib/lapor-common.sh";

###############################################################################
# The masking, byte for byte as lapor_mask.c: every case of its unit test.

sub c_string {
    my ($lit) = @_;
    my $s = '';
    for my $part ($lit =~ /"((?:[^"\\]|\\.)*)"/gs) {
        $part =~ s/\\x([0-9a-fA-F]{2})/chr hex $1/ge;
        $part =~ s/\\([0-7]{1,3})/chr oct $1/ge;
        $part =~ s/\\n/\n/g;
        $part =~ s/\\t/\t/g;
        $part =~ s/\\r/\r/g;
        $part =~ s/\\(.)/$1/g;
        $s .= $part;
    }
    return $s;
}

subtest 'mask() of the scripts equals lapor_mask.c on its unit cases' => sub {
    my $src = $t->read_file("$Lapor::Test::REPO/t/unit/test_mask.c");
    my $str = qr/"(?:[^"\\]|\\.)*"/s;
    my @cases;
    while ($src =~ /\bexpect\(\s*((?:$str\s*)+),\s*((?:$str\s*)+),\s*\d+\s*\)/g) {
        push @cases, [ c_string($1), c_string($2) ];
    }
    while ($src =~ /\bkeep\(\s*((?:$str\s*)+)\)/g) {
        push @cases, [ c_string($1), c_string($1) ];
    }
    ok(@cases >= 100, scalar(@cases) . ' cases');
    $t->write_file('mask.in', join '', map { unpack('H*', $_->[0]) . "\n" }
        @cases);
    my $awk = 'BEGIN { lapor_init() } { s = ""; for (i = 1; i < length($0); i += 2) s = s CHR[HEX[substr($0, i, 1)] * 16 + HEX[substr($0, i + 1, 1)]]; m = mask(s); o = ""; for (i = 1; i <= length(m); i++) o = o sprintf("%02x", ORD[substr(m, i, 1)]); print o }';
    my $dir = $t->testdir;
    my $out = `dash -c '. "\$1"; LC_ALL=C awk "\$LAPOR_AWK\$LAPOR_MASK_AWK\$2" "\$3"' sh '$LIB' '$awk' '$dir/mask.in'`;
    my @got = split /\n/, $out;
    is(scalar @got, scalar @cases, 'one answer each');
    for my $i (0 .. $#cases) {
        (my $name = $cases[$i][0]) =~ s/([^ -~])/sprintf('\\x%02x', ord $1)/ge;
        is(pack('H*', $got[$i] // ''), $cases[$i][1], "mask(\"$name\")");
    }
};

###############################################################################
# Reports through the API.

my $TOK = $t->officer_tokens({
    'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim',
});
my $ADMIN = $TOK->{'admin-bali'};
my $PUPR = $TOK->{'pupr.petugas'};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status("$API/health", 200, 10);

my (@ids, %track);
sub submit {
    my (%o) = @_;
    my $r = $t->post_report($t->report_doc(%o));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    push @ids, $r->{json}{id};
    $track{$r->{json}{id}} = $r->{json}{tracking_token};
    return $r->{json}{id};
}
sub act {
    my ($id, $action, $token, $body) = @_;
    my $r = $t->report_action($id, $action, token => $token, body => $body);
    die "$action $id: $r->{status} $r->{body}\n" unless $r->{status} == 200;
}

my $r1 = submit(
    title => "Jalan \"berlubang\", rusak; \x{e9}\x{f1} di Ubud, Gianyar",
    body => "Baris pertama, dengan koma.\r\nBaris kedua: \"kutip\" dan \\;\n"
        . "NIK 5171012345678901, HP 0812-3456-7890, surel budi\@example.id.\n"
        . "Aksara Bali \x{1b13}\x{1b38} dan emoji \x{1f6a7}.",
    location => { text => "Jl. Raya Ubud No. 12, \"depan\" pura, 0361-975-1234 5" },
    reporter => { name => "Ni Luh \"Putu\" S\x{e9}kar", contact =>
        'luh.sekar@example.id' });
my $r2 = submit(title => 'Laporan rahasia tentang pungutan liar',
    confidential => JSON::PP::true, category => 'korupsi-pungli');
my $r3 = submit(title => 'Laporan anonim dengan nomor 081234567890',
    anonymous => JSON::PP::true, reporter => undef, location => undef,
    occurred_on => undef);
my $r4 = submit(title => 'Laporan yang dikembalikan instansi');
my $r5 = submit(title => 'Laporan yang selesai dan dinilai');
my $r6 = submit(title => 'Laporan yang diarsipkan admin');
my $r7 = submit(title => 'Laporan yang didisposisikan ke dinas',
    category => 'kesehatan');

act($r4, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
act($r4, 'not_authority', $PUPR, { reason => 'Bukan wewenang kami, Pak.' });
act($r5, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
act($r5, 'respond', $PUPR, { message => 'Kami tangani.' });
act($r5, 'follow_up', $PUPR, { message => 'Sudah diperbaiki.' });
act($r5, 'feedback', $track{$r5}, { rating => 4, resolved => 'partial' });
act($r6, 'archive', $ADMIN, { reason => 'Tidak dapat diproses.' });
act($r7, 'dispatch', $ADMIN, { agency => 'dinkes' });

# a link to a photo, as a report filed through Open311 with a media_url
# stores it (t/051 files one that way; the REST API takes none)
$t->redis_cmd('HSET', "${P}report:$r7", 'media_url',
    'https://example.id/foto/puskesmas.jpg?ukuran=besar&x="1"');

# a number handed out without a report (a gap), as numbers reserved by
# another worker are
$t->redis_cmd('INCRBY', "${P}seq:report", 3);

sub api_view {
    my ($id, $token) = @_;
    my $r = $t->report_view($id, $token);
    die "GET reports/$id: $r->{status}\n" unless $r->{status} == 200;
    return $r->{json};
}

sub without_reporter {
    my ($v) = @_;
    my %c = %$v;
    delete $c{reporter};
    return \%c;
}

sub export {
    my (@args) = @_;
    my $r = ops_run($t, 'lapor-export', [ '-n', $NS, '--catalog', $CATALOG,
        @args ]);
    return $r;
}

sub jsonl {
    my ($out) = @_;
    return [ map { Lapor::Test::json_decode($_) } split /\n/, $out ];
}

###############################################################################
# JSON Lines.

for my $view ([ 'public', undef ], [ 'officer', $ADMIN ]) {
    my ($name, $token) = @$view;
    subtest "--format jsonl --view $name equals GET reports/{id}" => sub {
        my $r = export('--view', $name);
        is($r->{rc}, 0, 'exit 0') or diag($r->{err});
        is($r->{err}, '', 'nothing on stderr');
        like($r->{out}, qr/\A(?:\{[^\n]*\}\n)+\z/, 'one object a line');
        my $rows = jsonl($r->{out});
        is_deeply([ map { $_->{id} } @$rows ], \@ids,
            'every report, in order, no gap');
        for my $row (@$rows) {
            my $api = without_reporter(api_view($row->{id}, $token));
            is_deeply($row, $api, "report $row->{id}")
                or diag(explain($row, $api));
        }
        ok(!(grep { exists $_->{reporter} } @$rows), 'no reporter member');
        my ($seven) = grep { $_->{id} == $r7 } @$rows;
        like($seven->{media_url}, qr{^https://example\.id/foto/},
            'media_url of a report filed through Open311');
        my $raw = $r->{out};
        unlike($raw, qr/luh\.sekar|S\x{c3}\x{a9}kar/, 'no identity anywhere');
        if ($name eq 'public') {
            unlike($raw, qr/5171012345678901|0812-3456-7890|budi\@/,
                'masked text');
            ok(!exists $rows->[1]{title}, 'confidential: no title');
        } else {
            like($raw, qr/0812-3456-7890/, 'officers: unmasked');
        }
    };
}

subtest '--reveal --key FILE: the reporter as the API shows it' => sub {
    my $key = $t->testdir . '/identity.key';
    for my $view ([ 'public', undef ], [ 'officer', $ADMIN ]) {
        my ($name, $token) = @$view;
        my $r = export('--view', $name, '--reveal', '--key', $key);
        is($r->{rc}, 0, "$name: exit 0") or diag($r->{err});
        like($r->{err}, qr/^lapor-export: reporter identities are revealed in this export$/m,
            'said on stderr');
        for my $row (@{jsonl($r->{out})}) {
            my $api = api_view($row->{id}, $token);
            is_deeply($row, $api, "$name: report $row->{id}")
                or diag(explain($row, $api));
        }
    }
    my $r = export('--format', 'csv', '--view', 'officer', '--reveal',
        '--key', $key);
    like($r->{out}, qr/,"Ni Luh ""Putu"" S\x{c3}\x{a9}kar",luh\.sekar\@example\.id,\r\n/,
        'CSV: name and contact (media_url after them, empty)');
};

###############################################################################
# CSV, parsed back.

# RFC 4180: fields separated by ",", records by CRLF, fields with ",", '"',
# CR or LF quoted, '"' doubled.  Returns the records, dies on a violation.
sub parse_csv {
    my ($text) = @_;
    my (@rows, @row, $f);
    pos($text) = 0;
    while (pos($text) < length $text) {
        if ($text =~ /\G"((?:[^"]|"")*)"/gc) {
            ($f = $1) =~ s/""/"/g;
        } elsif ($text =~ /\G([^",\r\n]*)/gc) {
            $f = $1;
        }
        push @row, $f;
        if ($text =~ /\G,/gc) {
            next;
        } elsif ($text =~ /\G\r\n/gc) {
            push @rows, [ @row ];
            @row = ();
        } else {
            die 'CSV: unexpected "' . substr($text, pos($text), 10)
                . '" at byte ' . pos($text) . "\n";
        }
    }
    die "CSV: no CRLF at the end\n" if @row;
    return \@rows;
}

my @COLS = qw/ id status version created_at updated_at due_at overdue agency
    agency_name returned_by returned_by_name confidential anonymous type
    category channel title body location_text lat lon occurred_on rating
    resolved flagged reporter_name reporter_contact media_url /;

# The API view as a CSV row (UTF-8 bytes, as the file holds them).
sub flat {
    my ($v) = @_;
    my %c = map { $_ => '' } @COLS;
    for my $k (qw/ id status version created_at updated_at due_at type
        category channel title body occurred_on rating resolved media_url /)
    {
        $c{$k} = $v->{$k} if defined $v->{$k};
    }
    for my $k (qw/ overdue confidential anonymous flagged /) {
        $c{$k} = $v->{$k} ? 'true' : 'false' if exists $v->{$k};
    }
    if ($v->{agency}) {
        $c{agency} = $v->{agency}{code};
        $c{agency_name} = $v->{agency}{name};
    }
    if ($v->{returned_by}) {
        $c{returned_by} = $v->{returned_by}{code};
        $c{returned_by_name} = $v->{returned_by}{name};
    }
    if ($v->{location}) {
        $c{location_text} = $v->{location}{text} // '';
        $c{$_} = $v->{location}{$_} // '' for qw/ lat lon /;
    }
    return [ map { Encode::encode('UTF-8', "$c{$_}") } @COLS ];
}

for my $view ([ 'public', undef ], [ 'officer', $ADMIN ]) {
    my ($name, $token) = @$view;
    subtest "--format csv --view $name equals GET reports/{id}" => sub {
        my $r = export('--format', 'csv', '--view', $name);
        is($r->{rc}, 0, 'exit 0') or diag($r->{err});
        my $rows = eval { parse_csv($r->{out}) };
        ok($rows, 'RFC 4180') or return diag($@);
        is_deeply(shift @$rows, \@COLS, 'the header');
        is(scalar @$rows, scalar @ids, 'a row per report');
        for my $row (@$rows) {
            my $api = flat(without_reporter(api_view($row->[0], $token)));
            # numbers of the API came through JSON: compare them as numbers
            for my $i (grep { $COLS[$_] =~ /^(?:lat|lon)$/ } 0 .. $#COLS) {
                $api->[$i] += 0 if length $api->[$i];
                $row->[$i] += 0 if length $row->[$i];
            }
            is_deeply($row, $api, "report $row->[0]")
                or diag(explain($row, $api));
        }
        my ($one) = grep { $_->[0] == $r1 } @$rows;
        like($one->[17], qr/\r\n.*\n/s, 'line breaks kept in the body');
        my ($seven) = grep { $_->[0] == $r7 } @$rows;
        like($seven->[-1], qr{^https://example\.id/foto/.*"1"$},
            'media_url, the last column');
    };
}

###############################################################################
# Filters.

subtest 'filters' => sub {
    my $ids = sub { [ map { $_->{id} } @{jsonl($_[0]{out})} ] };

    my $r = export('--state', 'submitted');
    is($r->{rc}, 0, '--state submitted') or diag($r->{err});
    is_deeply($ids->($r), [ $r1, $r2, $r3, $r4 ],
        'from queue:submitted, by time of entry (4 was handed back)');

    $r = export('--state', 'submitted', '--batch', 1);
    is_deeply($ids->($r), [ $r1, $r2, $r3, $r4 ], 'a page of 1 at a time');

    $r = export('--state', 'closed');
    is_deeply($ids->($r), [ $r5 ], '--state closed (no sorted set)');

    $r = export('--state', 'dispatched', '--view', 'officer');
    is_deeply($ids->($r), [ $r7 ], '--state dispatched');

    $r = export('--agency', 'dinkes');
    is_deeply($ids->($r), [ $r7 ], '--agency dinkes');

    my ($today) = $t->catalog_time(time) =~ /^(\d{4}-\d\d-\d\d)/;
    $r = export('--from', $today, '--to', $today);
    is(scalar @{$ids->($r)}, scalar @ids, "--from/--to $today: all");
    $r = export('--to', '2020-01-01');
    is_deeply($ids->($r), [], '--to 2020-01-01: none');
    is($r->{rc}, 0, 'exit 0');

    $r = export('--format', 'csv', '--state', 'archived');
    my $rows = parse_csv($r->{out});
    is(scalar @$rows, 2, 'CSV: the header and one row');
    is($rows->[1][0], $r6, 'the archived one');
};

subtest '--lang en and --now' => sub {
    my $r = export('--lang', 'en', '--view', 'officer');
    is($r->{rc}, 0, '--lang en: exit 0') or diag($r->{err});
    for my $row (@{jsonl($r->{out})}) {
        my $api = $t->report_view($row->{id}, $ADMIN,
            headers => { 'Accept-Language' => 'en' })->{json};
        is_deeply($row, without_reporter($api),
            "report $row->{id}: agency names in English");
    }
    # ten years on: every running clock is past its deadline, the
    # followed-up reports read as closed
    $r = export('--now', time + 10 * 365 * 86400);
    my @open = grep { $_->{due_at} } @{jsonl($r->{out})};
    ok(@open >= 3, scalar(@open) . ' reports with a deadline');
    ok(!(grep { !$_->{overdue} } @open), 'all overdue then');
};

subtest 'errors' => sub {
    for my $bad ([ [ '--format', 'xml' ], qr/--format is jsonl or csv/ ],
        [ [ '--view', 'admin' ], qr/--view is public or officer/ ],
        [ [ '--from', '2026-1-1' ], qr/invalid date/ ],
        [ [ '--state', 'open' ], qr/invalid state "open"/ ],
        [ [ '--reveal' ], qr/--reveal needs --key/ ],
        [ [ '--tls' ], qr/--tls is not supported/ ])
    {
        my $r = export(@{$bad->[0]});
        is($r->{rc}, 2, "@{$bad->[0]}: exit 2");
        like($r->{err}, $bad->[1], 'message');
        is($r->{out}, '', 'nothing on stdout');
    }
    my $r = ops_run($t, 'lapor-export', [ '-n', $NS ]);
    is($r->{rc}, 2, 'no --catalog: exit 2');

    $r = ops_run($t, 'lapor-export', [ '-n', $NS, '--catalog', $CATALOG ],
        auth => 'wrong');
    is($r->{rc}, 3, 'wrong password: exit 3');
    like($r->{err}, qr/refused the login/, 'says so');
    $t->redis_cmd('ACL', 'LOG', 'RESET');

    $r = ops_run($t, 'lapor-export', [ '-n', 'nope', '--catalog', $CATALOG ]);
    is($r->{rc}, 4, 'unknown namespace: exit 4');

    $r = ops_run($t, 'lapor-export', [ '-n', $NS, '--catalog', $CATALOG,
        '-p', $t->port('unused') ], no_conn => 1);
    is($r->{rc}, 3, 'Redis down: exit 3');
};

subtest '--db N: the reports of that database' => sub {
    # database 1 holds report 1 and the sequence only
    for my $k ("${P}report:$r1", "${P}seq:report") {
        is($t->redis_cmd('COPY', $k, $k, 'DB', 1), 1, "$k copied to db 1");
    }
    my $r = export('--db', 1);
    is($r->{rc}, 0, '--db 1: exit 0') or diag($r->{err});
    is_deeply([ map { $_->{id} } @{jsonl($r->{out})} ], [ $r1 ],
        'only the report of database 1');
    $r = export('--db', 0);
    is(scalar @{jsonl($r->{out})}, scalar @ids, '--db 0: all of database 0');
};


$t->finish;
