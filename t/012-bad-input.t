#!/usr/bin/perl

# Bad report submissions, data-driven: wrong media types, malformed,
# truncated and oversized JSON, invalid UTF-8 (sent as raw bytes), control
# characters, deep nesting, wrong types, values out of range, unknown
# fields, missing identity.  Each must get the documented 4xx as
# problem+json (never a 5xx), store nothing, and log no alert.  Also the
# 413 from client_max_body_size, and bodies nginx spooled to a file.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;
use Time::HiRes qw/ time sleep /;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bad';
my $P = "lapor:{$NS}:";

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bad;

    server {
        listen 127.0.0.1:%%PORT%%;
        client_max_body_size 64k;

        location /api/v1/ { lapor_api; }

        location /small/ {
            client_max_body_size 1k;
            lapor_api;
        }

        location /spool/ {
            client_body_buffer_size 1k;
            lapor_api;
        }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my $JSON = JSON::PP->new->utf8->canonical;

# The valid report every case starts from, and its bytes.
sub doc { $t->report_doc(@_) }
sub enc { $JSON->encode($_[0]) }
my $valid = enc(doc());

# Replaces the first "<member>":<value> of the valid report's bytes: the
# value given is raw JSON text (bytes), so anything can be injected.
sub with_raw {
    my ($member, $raw, $base) = @_;
    my $text = defined $base ? $base : $valid;
    $text =~ s/"\Q$member\E":("(?:[^"\\]|\\.)*"|[^,{}\[\]]+|\{[^}]*\})/"$member":$raw/
        or die "no member $member in $text";
    return $text;
}

# A UTF-8 title with raw bytes inserted in the middle.
sub title_bytes {
    my ($bytes) = @_;
    return with_raw('title', qq{"Jalan rusak $bytes di Denpasar"});
}

# Today and later days in the catalog's time zone (+08:00).
sub local_date {
    my ($days) = @_;
    my @tm = gmtime(time + 8 * 3600 + $days * 86400);
    return sprintf '%04d-%02d-%02d', $tm[5] + 1900, $tm[4] + 1, $tm[3];
}

# Not within a few seconds of midnight in +08:00, so that "today" and
# "tomorrow" mean the same here and in nginx.
{
    my $left = 86400 - (time + 8 * 3600) % 86400;
    sleep($left + 1) if $left < 5;
}

my $nested = sub {
    my ($depth) = @_;    # arrays inside the top-level object
    return with_raw('channel', '"web","x":' . ('[' x $depth) . '0'
        . (']' x $depth));
};

my $e = "\xc3\xa9";      # é in UTF-8: 1 character, 2 bytes
my $euro = "\xe2\x82\xac";    # €: 1 character, 3 bytes

###############################################################################
# The cases: [ name, body bytes, expected status, problem type,
# [ error fields ] (invalid-report), { content_type => ... } ].

my $FORM = 'application/x-www-form-urlencoded';

my @media = (
    [ 'text/plain', $valid, 415, 'unsupported-media-type', undef,
        { content_type => 'text/plain' } ],
    [ 'form-encoded', 'type=pengaduan&title=Jalan+rusak', 415,
        'unsupported-media-type', undef, { content_type => $FORM } ],
    [ 'no content type', $valid, 415, 'unsupported-media-type', undef,
        { content_type => undef } ],
    [ 'multipart/form-data', $valid, 415, 'unsupported-media-type', undef,
        { content_type => 'multipart/form-data; boundary=x' } ],
    [ 'application/json-patch+json', $valid, 415, 'unsupported-media-type',
        undef, { content_type => 'application/json-patch+json' } ],
    [ 'application/jsonx', $valid, 415, 'unsupported-media-type', undef,
        { content_type => 'application/jsonx' } ],
    [ 'charset latin1', $valid, 415, 'unsupported-media-type', undef,
        { content_type => 'application/json; charset=iso-8859-1' } ],
    [ 'application/xml', '<report/>', 415, 'unsupported-media-type', undef,
        { content_type => 'application/xml' } ],
);

my $bad_json = 'invalid-json';
my @syntax = (
    [ 'empty body', '', 400, $bad_json ],
    [ 'only white space', "  \r\n\t ", 400, $bad_json ],
    [ 'lone {', '{', 400, $bad_json ],
    [ 'lone }', '}', 400, $bad_json ],
    [ 'mismatched brackets', '{"type":"pengaduan"]', 400, $bad_json ],
    [ 'missing value', '{"type":}', 400, $bad_json ],
    [ 'missing colon', '{"type" "pengaduan"}', 400, $bad_json ],
    [ 'single quotes', "{'type':'pengaduan'}", 400, $bad_json ],
    [ 'unquoted key', '{type:"pengaduan"}', 400, $bad_json ],
    [ 'trailing comma', substr($valid, 0, -1) . ',}', 400, $bad_json ],
    [ 'comment', '/* c */' . $valid, 400, $bad_json ],
    [ 'NaN', with_raw('location', '{"lat":NaN,"lon":115}'), 400,
        $bad_json ],
    [ 'Infinity', with_raw('location', '{"lat":Infinity,"lon":115}'), 400,
        $bad_json ],
    [ 'leading zero', with_raw('location', '{"lat":-08.6,"lon":115}'), 400,
        $bad_json ],
    [ 'hex number', with_raw('location', '{"lat":0x10,"lon":115}'), 400,
        $bad_json ],
    [ 'unterminated string', '{"type":"pengaduan', 400, $bad_json ],
    [ 'bad escape \\x', title_bytes('\\x41'), 400, $bad_json ],
    [ 'short \\u escape', title_bytes('\\u00e'), 400, $bad_json ],
    [ 'raw newline in a string', title_bytes("\n"), 400, $bad_json ],
    [ 'raw tab in a string', title_bytes("\t"), 400, $bad_json ],
    [ 'BOM before the document', "\xef\xbb\xbf$valid", 400, $bad_json ],
    [ 'trailing garbage', "$valid x", 400, $bad_json ],
    [ 'two documents', "$valid$valid", 400, $bad_json ],
    [ 'two documents, newline', "$valid\n$valid\n", 400, $bad_json ],
    [ 'a comma after the document', "$valid,", 400, $bad_json ],
    [ 'duplicate top-level key',
        '{"title":"Jalan rusak parah sekali","title":"Jalan rusak parah '
        . 'juga",' . substr($valid, 1), 400, $bad_json ],
    [ 'duplicate nested key', with_raw('reporter',
        '{"name":"Made Wirawan","name":"Made Lain",'
        . '"contact":"made@example.com"}'), 400, $bad_json ],
    [ 'raw NUL outside strings', "$valid\0", 400, $bad_json ],
);

my @encoding = (
    [ 'byte 0xff', title_bytes("\xff"), 400, $bad_json ],
    [ 'lone continuation byte', title_bytes("\x80"), 400, $bad_json ],
    [ 'overlong "/" (c0 af)', title_bytes("\xc0\xaf"), 400, $bad_json ],
    [ 'overlong 3-byte (e0 80 af)', title_bytes("\xe0\x80\xaf"), 400,
        $bad_json ],
    [ 'UTF-8 encoded surrogate (ed a0 80)', title_bytes("\xed\xa0\x80"),
        400, $bad_json ],
    [ 'beyond U+10FFFF (f4 90 80 80)', title_bytes("\xf4\x90\x80\x80"), 400,
        $bad_json ],
    [ 'truncated sequence (e2 82)', title_bytes("\xe2\x82"), 400,
        $bad_json ],
    [ 'invalid byte outside strings', substr($valid, 0, 1) . "\xff "
        . substr($valid, 1), 400, $bad_json ],
    [ 'escaped lone low surrogate \\uDC00', title_bytes('\\uDC00'), 400,
        $bad_json ],
    [ 'escaped lone high surrogate \\uD800', title_bytes('\\uD800x'), 400,
        $bad_json ],
    [ 'escaped reversed pair', title_bytes('\\uDC00\\uD800'), 400,
        $bad_json ],
    [ 'escaped NUL \\u0000', title_bytes('\\u0000'), 400, $bad_json ],
    [ 'escaped NUL in the body', with_raw('body',
        '"Lubang besar di jalan\\u0000 sejak dua minggu lalu"'), 400,
        $bad_json ],
    [ 'escaped control \\u0007', title_bytes('\\u0007'), 400, $bad_json ],
    [ 'raw control byte 0x01', title_bytes("\x01"), 400, $bad_json ],
    [ 'raw NUL in a string', title_bytes("\0"), 400, $bad_json ],
    [ 'lead byte c2 without its continuation',
        title_bytes("\xc2"), 400, $bad_json ],
);

my @limits = (
    [ 'nesting deeper than 8', $nested->(8), 400, $bad_json ],
    [ 'nesting of 100', $nested->(100), 400, $bad_json ],
    [ 'string over 16384 bytes', with_raw('body',
        '"' . ('a' x 16385) . '"'), 400, $bad_json ],
    [ 'array of 257 elements', with_raw('channel',
        '"web","x":[' . join(',', (0) x 257) . ']'), 400, $bad_json ],
    [ 'object of 257 members', with_raw('channel',
        '"web","x":{' . join(',', map { qq{"k$_":0} } 1 .. 257) . '}'),
        400, $bad_json ],
    [ 'number of 40 digits', with_raw('location',
        '{"lat":' . ('1' x 40) . ',"lon":115}'), 400, $bad_json ],
);

my @report = (
    [ 'null', 'null', 400, 'invalid-report', [''] ],
    [ 'array body', '[' . $valid . ']', 400, 'invalid-report', [''] ],
    [ 'string body', '"laporan"', 400, 'invalid-report', [''] ],
    [ 'number body', '42', 400, 'invalid-report', [''] ],
    [ 'empty object', '{}', 400, 'invalid-report',
        [qw/ type category title body reporter /] ],
    [ 'nesting of exactly 8', $nested->(7), 400, 'invalid-report', ['x'] ],
    [ 'unknown field', with_raw('channel', '"web","priority":"high"'), 400,
        'invalid-report', ['priority'] ],
    [ 'unknown reporter field', with_raw('reporter',
        '{"name":"Made Wirawan","contact":"made@example.com",'
        . '"nik":"5171012345678901"}'), 400, 'invalid-report',
        ['reporter.nik'] ],
    [ 'unknown location field', with_raw('location',
        '{"text":"Denpasar","alt":12}'), 400, 'invalid-report',
        ['location.alt'] ],
    [ 'type is a number', enc(doc(type => 1)), 400, 'invalid-report',
        ['type'] ],
    [ 'category is an array', enc(doc(category => ['infrastruktur'])), 400,
        'invalid-report', ['category'] ],
    [ 'title is a number', with_raw('title', '12345678901'), 400,
        'invalid-report', ['title'] ],
    [ 'title is null', with_raw('title', 'null'), 400, 'invalid-report',
        ['title'] ],
    [ 'body is true', with_raw('body', 'true'), 400, 'invalid-report',
        ['body'] ],
    [ 'anonymous is "true"', enc(doc(anonymous => 'true')), 400,
        'invalid-report', ['anonymous'] ],
    [ 'confidential is 1', with_raw('confidential', '1'), 400,
        'invalid-report', ['confidential'] ],
    [ 'reporter is a string', enc(doc(reporter => 'Made Wirawan')), 400,
        'invalid-report', ['reporter'] ],
    [ 'location is a string', enc(doc(location => 'Denpasar')), 400,
        'invalid-report', ['location'] ],
    [ 'lat is a string', with_raw('location', '{"lat":"-8.6","lon":115.2}'),
        400, 'invalid-report', ['location.lat'] ],
    [ 'occurred_on is a number', with_raw('occurred_on', '20250602'), 400,
        'invalid-report', ['occurred_on'] ],
    [ 'channel is a number', with_raw('channel', '5'), 400,
        'invalid-report', ['channel'] ],
    [ 'unknown type', enc(doc(type => 'keluhan')), 400, 'invalid-report',
        ['type'] ],
    [ 'unknown category', enc(doc(category => 'jalan-raya')), 400,
        'invalid-report', ['category'] ],
    [ 'unknown agency', enc(doc(agency => 'dinas-x')), 400,
        'invalid-report', ['agency'] ],
    [ 'unknown channel', enc(doc(channel => 'fax')), 400, 'invalid-report',
        ['channel'] ],
    [ 'title of 9 characters', enc(doc(title => 'Jalan rus')), 400,
        'invalid-report', ['title'] ],
    [ 'title of 151 two-byte characters', enc(doc(title => "\x{e9}" x 151)),
        400, 'invalid-report', ['title'] ],
    [ 'title of 151 ASCII characters', enc(doc(title => 'a' x 151)), 400,
        'invalid-report', ['title'] ],
    [ 'title with a line break', enc(doc(title => "Jalan rusak\ndi kota")),
        400, 'invalid-report', ['title'] ],
    [ 'title with a tab', enc(doc(title => "Jalan rusak\tdi kota")), 400,
        'invalid-report', ['title'] ],
    [ 'title only spaces', enc(doc(title => ' ' x 20)), 400,
        'invalid-report', ['title'] ],
    [ 'empty title', enc(doc(title => '')), 400, 'invalid-report',
        ['title'] ],
    [ 'body of 19 characters', enc(doc(body => 'b' x 19)), 400,
        'invalid-report', ['body'] ],
    [ 'body of 4001 characters', enc(doc(body => 'b' x 4001)), 400,
        'invalid-report', ['body'] ],
    [ 'body of 16384 bytes', enc(doc(body => 'b' x 16384)), 400,
        'invalid-report', ['body'] ],
    [ 'location.text of 201 characters',
        enc(doc(location => { text => "\x{20ac}" x 201 })), 400,
        'invalid-report', ['location.text'] ],
    [ 'lat 91', enc(doc(location => { lat => 91, lon => 115 })), 400,
        'invalid-report', ['location.lat'] ],
    [ 'lon -180.5', enc(doc(location => { lat => -8, lon => -180.5 })), 400,
        'invalid-report', ['location.lon'] ],
    [ 'lat 1e999', with_raw('location', '{"lat":1e999,"lon":115.2}'), 400,
        'invalid-report', ['location.lat'] ],
    [ 'lon -1e999', with_raw('location', '{"lat":-8.6,"lon":-1e999}'), 400,
        'invalid-report', ['location.lon'] ],
    [ 'lat without lon', enc(doc(location => { lat => -8.6 })), 400,
        'invalid-report', ['location.lon'] ],
    [ 'lon without lat', enc(doc(location => { lon => 115.2 })), 400,
        'invalid-report', ['location.lat'] ],
    [ 'occurred_on 2025-02-29', enc(doc(occurred_on => '2025-02-29')), 400,
        'invalid-report', ['occurred_on'] ],
    [ 'occurred_on 2025-6-02', enc(doc(occurred_on => '2025-6-02')), 400,
        'invalid-report', ['occurred_on'] ],
    [ 'occurred_on with a time', enc(doc(occurred_on =>
        '2025-06-02T10:00:00')), 400, 'invalid-report', ['occurred_on'] ],
    [ 'occurred_on tomorrow', enc(doc(occurred_on => local_date(1))), 400,
        'invalid-report', ['occurred_on'] ],
    [ 'occurred_on in 2999', enc(doc(occurred_on => '2999-01-01')), 400,
        'invalid-report', ['occurred_on'] ],
    [ 'no reporter, not anonymous', enc(doc(reporter => undef)), 400,
        'invalid-report', ['reporter'] ],
    [ 'no reporter, no anonymous member', enc(doc(reporter => undef,
        anonymous => undef)), 400, 'invalid-report', ['reporter'] ],
    [ 'reporter null, not anonymous', with_raw('reporter', 'null'), 400,
        'invalid-report', ['reporter'] ],
    [ 'reporter name of 1 character', enc(doc(reporter => { name => 'M',
        contact => 'made@example.com' })), 400, 'invalid-report',
        ['reporter.name'] ],
    [ 'reporter without name', enc(doc(reporter => {
        contact => 'made@example.com' })), 400, 'invalid-report',
        ['reporter.name'] ],
    [ 'reporter without contact', enc(doc(reporter => {
        name => 'Made Wirawan' })), 400, 'invalid-report',
        ['reporter.contact'] ],
    [ 'contact neither e-mail nor phone', enc(doc(reporter => {
        name => 'Made Wirawan', contact => 'rumah saya' })), 400,
        'invalid-report', ['reporter.contact'] ],
    [ 'phone of 7 digits', enc(doc(reporter => {
        name => 'Made Wirawan', contact => '1234567' })), 400,
        'invalid-report', ['reporter.contact'] ],
    [ 'phone of 16 digits', enc(doc(reporter => {
        name => 'Made Wirawan', contact => '0812345678901234' })), 400,
        'invalid-report', ['reporter.contact'] ],
    [ 'e-mail without a dot in the domain', enc(doc(reporter => {
        name => 'Made Wirawan', contact => 'made@localhost' })), 400,
        'invalid-report', ['reporter.contact'] ],
    [ 'every bad field is listed', enc(doc(title => 'pendek',
        body => 'pendek juga', category => 'tidak-ada', channel => 'fax',
        priority => 1)), 400, 'invalid-report',
        [qw/ title body category channel priority /] ],
);

# Valid variants: the validator is not simply rejecting everything.
my @good = (
    [ 'charset=utf-8', $valid, { content_type =>
        'application/json; charset=utf-8' } ],
    [ 'upper-case media type', $valid, { content_type =>
        'Application/JSON;charset=UTF-8' } ],
    [ 'trailing white space', "$valid\r\n \n" ],
    [ 'title of 150 two-byte characters', enc(doc(title => "\x{e9}" x 150)) ],
    [ 'title of exactly 10 characters', enc(doc(title => 'Jalan rusk')) ],
    [ 'body of 4000 three-byte characters',
        enc(doc(body => "\x{20ac}" x 4000)) ],
    [ 'body of exactly 20 characters', enc(doc(body => 'b' x 20)) ],
    [ 'body with line breaks and tabs', enc(doc(body =>
        "Baris pertama laporan.\nBaris kedua\tdengan tab.\r\nSelesai.")) ],
    [ 'escaped surrogate pair (emoji)', title_bytes('\\uD83D\\uDE00') ],
    [ 'escapes \\" \\\\ \\/', title_bytes('\\"kutip\\" \\\\ \\/') ],
    [ 'location.text of 200 characters',
        enc(doc(location => { text => "\x{20ac}" x 200 })) ],
    [ 'lat 90 and lon -180', enc(doc(location => { lat => 90,
        lon => -180 })) ],
    [ 'lat and lon in exponent form', with_raw('location',
        '{"lat":-8.6e0,"lon":1.152E2}') ],
    [ 'explicit nulls for optional members', with_raw('location', 'null') ],
    [ 'occurred_on today', enc(doc(occurred_on => local_date(0))) ],
    [ 'anonymous without reporter', enc(doc(anonymous => JSON::PP::true,
        reporter => undef)) ],
    [ 'minimal anonymous report', enc({ type => 'informasi',
        category => 'lainnya', title => 'Jadwal layanan Samsat',
        body => 'Mohon informasi jadwal layanan Samsat keliling.',
        anonymous => JSON::PP::true }) ],
    [ 'phone of 8 digits', enc(doc(reporter => { name => 'Made Wirawan',
        contact => '12345678' })) ],
    [ 'phone of 15 digits with +, spaces and dashes', enc(doc(reporter => {
        name => 'Made Wirawan', contact => '+62 812-3456-7890-12' })) ],
    [ 'agency other than the default', enc(doc(agency => 'inspektorat')) ],
    [ 'every channel', enc(doc(channel => 'wifi-portal')) ],
    [ 'reporter name of 2 characters', enc(doc(reporter => { name => 'Al',
        contact => 'al@example.com' })) ],
    [ 'keys in another order, spaced out', join("\n", '{', ' "title" : '
        . '"Jalan rusak di depan pasar" ,', '"type":"pengaduan",',
        '"body":"Aspal mengelupas dan berlubang sejak bulan lalu.",',
        '"category":"infrastruktur","anonymous":true', '}') ],
);

###############################################################################

# The alert check, once the worker finished with the previous requests:
# it answers one more request only after them (one worker), so a line
# logged after an answer was sent is not blamed on the next group.
sub settled_alerts {
    my ($name) = @_;
    $t->http_get('/api/v1/health');
    return $t->check_alerts($name);
}

sub reports_count {
    return scalar grep { !/:events$/ } $t->redis_scan("${P}report:*");
}

# Posts one case and checks the answer; returns the response.
sub check_case {
    my ($c, $path) = @_;
    my ($name, $body, $status, $type, $fields, $o) = @$c;
    $o ||= {};

    my $r = $t->post_report($body, path => $path || '/api/v1/reports',
        (exists $o->{content_type}
            ? (content_type => $o->{content_type}) : ()));

    my @e = Lapor::Test::check_problem($r, $status, $type);
    push @e, "a 5xx" if $r->{status} >= 500;
    my $j = ref $r->{json} eq 'HASH' ? $r->{json} : {};
    my $errors = ref $j->{errors} eq 'ARRAY' ? $j->{errors} : undef;

    if ($type eq 'invalid-report') {
        if ($errors) {
            my %got = map { ($_->{field} // '<undef>') => 1 } @$errors;
            my %want = map { $_ => 1 } @$fields;
            my @miss = grep { !$got{$_} } sort keys %want;
            my @more = grep { !$want{$_} } sort keys %got;
            push @e, "error fields missing: @miss" if @miss;
            push @e, "unexpected error fields: @more" if @more;
            push @e, 'an error without a message'
                if grep { !defined $_->{message} || !length $_->{message} }
                    @$errors;
        } else {
            push @e, 'no errors array';
        }
    } elsif ($type eq 'invalid-json') {
        if ($errors && @$errors == 1) {
            push @e, "errors[0].field is not \"\""
                unless defined $errors->[0]{field}
                    && $errors->[0]{field} eq '';
            push @e, 'errors[0].message does not give a byte offset'
                unless ($errors->[0]{message} // '') =~ /\d/;
        } else {
            push @e, 'errors is not one entry';
        }
        push @e, 'no parser member'
            unless defined $j->{parser}
                || ($errors && defined $errors->[0]{parser});
    }

    my $ok = ok(!@e, "$name: $status $type");
    unless ($ok) {
        diag(join "\n", @e);
        diag("response: $r->{status} " . substr($r->{body}, 0, 600));
    }
    return $r;
}

my $before = reports_count();
my $stats_before = $t->stats_hash("${P}stats")->{submitted} // 0;
my $seq_before = $t->redis_cmd('GET', "${P}seq:report") // 0;

my $ncases = @media + @syntax + @encoding + @limits + @report;
cmp_ok($ncases, '>=', 40, "$ncases distinct bad inputs");

for my $group ([ 'wrong media types: 415', \@media ],
    [ 'malformed JSON: 400 invalid-json', \@syntax ],
    [ 'invalid UTF-8 and control characters: 400 invalid-json', \@encoding ],
    [ 'parser limits: 400 invalid-json', \@limits ],
    [ 'invalid reports: 400 invalid-report with every bad field',
        \@report ])
{
    my ($name, $cases) = @$group;
    subtest $name => sub {
        check_case($_) for @$cases;
        settled_alerts("no alerts in error.log ($name)");
    };
}

subtest 'truncation at every structural point: 400 invalid-json' => sub {
    my $text = enc(doc(location => { text => "Jl. Gatot Subroto \x{20ac}",
        lat => -8.6, lon => 115.2 }, anonymous => JSON::PP::false,
        confidential => JSON::PP::true));

    # cut points: after { [ : , " and after the end of every scalar value
    my (@cuts, $in_string, $escape);
    for my $i (0 .. length($text) - 2) {
        my $ch = substr($text, $i, 1);
        if ($in_string) {
            if ($escape) { $escape = 0; next }
            if ($ch eq '\\') { $escape = 1; next }
            if ($ch eq '"') { $in_string = 0; push @cuts, $i + 1 }
            next;
        }
        if ($ch eq '"') { $in_string = 1; push @cuts, $i + 1; next }
        push @cuts, $i + 1 if $ch =~ /[{\[:,}\]]/;
        push @cuts, $i + 1
            if $ch =~ /[0-9el]/ && substr($text, $i + 1, 1) =~ /[,}\]]/;
    }

    cmp_ok(scalar @cuts, '>=', 40, scalar(@cuts) . ' cut points');

    my @bad;
    for my $n (@cuts) {
        my $r = $t->post_report(substr($text, 0, $n));
        my @e = Lapor::Test::check_problem($r, 400, 'invalid-json');
        push @bad, "cut at $n (" . substr($text, $n - 12 < 0 ? 0 : $n - 12,
            $n < 12 ? $n : 12) . "): @e" if @e;
    }
    is_deeply(\@bad, [], 'every prefix is 400 invalid-json')
        or diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);

    my $r = $t->post_report($text);
    is($r->{status}, 201, 'and the whole document is 201')
        or diag($r->{body});

    settled_alerts('no alerts in error.log (truncation)');
};

subtest 'nothing was stored for any bad input' => sub {
    is(reports_count(), $before + 1, 'only the one complete report');
    is($t->stats_hash("${P}stats")->{submitted} // 0, $stats_before + 1,
        'stats submitted');
    # one valid report takes one number; numbers are reserved in blocks
    # of 64 per worker, so the sequence moved by at most one block
    my $seq = $t->redis_cmd('GET', "${P}seq:report") // 0;
    ok($seq - $seq_before == 0 || $seq - $seq_before == 64,
        'no number was drawn for a bad input')
        or diag("the sequence moved by " . ($seq - $seq_before));
};

subtest 'valid variants are accepted: 201' => sub {
    for my $c (@good) {
        my ($name, $body, $o) = @$c;
        $o ||= {};
        my $r = $t->post_report($body, (exists $o->{content_type}
            ? (content_type => $o->{content_type}) : ()));
        is($r->{status}, 201, $name) or diag(substr($r->{body}, 0, 600));
    }

    # what was stored is what was sent
    my $body = "\x{20ac}" x 4000;
    my $r = $t->post_report(enc(doc(body => $body,
        title => "Judul \x{1F600} dengan emoji")));
    my $c = $r->{json} || {};
    $r = $t->http_get("/api/v1/reports/$c->{id}",
        headers => { Authorization => "Bearer $c->{tracking_token}" });
    my $j = $r->{json} || {};
    ok(($j->{body} // '') eq $body, '4000 three-byte characters stored');
    is($j->{title}, "Judul \x{1F600} dengan emoji",
        'a character outside the BMP stored');

    settled_alerts('no alerts in error.log (valid variants)');
};

subtest 'a chunked request body is read like any other' => sub {
    my $body = enc(doc());
    my $chunked = '';
    for (my $i = 0; $i < length $body; $i += 100) {
        my $piece = substr($body, $i, 100);
        $chunked .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
    }
    $chunked .= "0\r\n\r\n";

    my $r = $t->http_raw($t->raw_request('POST', '/api/v1/reports',
        headers => { 'Content-Type' => 'application/json',
            'Transfer-Encoding' => 'chunked' }) . $chunked);
    is($r->{status}, 201, 'chunked valid report: 201') or diag($r->{raw});
};

subtest 'a body over client_max_body_size: 413 problem+json' => sub {
    my $big = enc(doc(body => 'b' x 2000));
    my $r = $t->post_report($big, path => '/small/reports');
    $t->problem_ok($r, 413, 'body-too-large', 'Content-Length over 1k');
    unlike($r->{body}, qr/<html/i, 'not the HTML page');

    my $chunked = sprintf("%x\r\n%s\r\n0\r\n\r\n", length $big, $big);
    $r = $t->http_raw("POST /small/reports HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n$chunked");
    $t->problem_ok($r, 413, 'body-too-large', 'chunked body over 1k');

    $r = $t->post_report($big, path => '/small/reports',
        headers => { 'Accept-Language' => 'en' });
    is($r->{headers}{'content-language'}, 'en', 'in English on request');

    $r = $t->post_report(enc(doc()), path => '/small/reports');
    is($r->{status}, 201, 'a report under 1k in the same location: 201');

    settled_alerts('no alerts in error.log (413)');
};

subtest 'a body spooled to a temporary file is parsed' => sub {
    my $d = doc(body => join(' ', ('Laporan panjang tentang jalan rusak.')
        x 80));
    my $text = enc($d);
    cmp_ok(length $text, '>', 2500, 'the body is about 3 KB');
    my $r = $t->post_report($text, path => '/spool/reports');
    is($r->{status}, 201, '~3 KB body over client_body_buffer_size 1k: 201')
        or diag($r->{body});
    my $c = $r->{json} || {};
    $r = $t->http_get("/api/v1/reports/$c->{id}");
    is($r->{json}{body}, $d->{body}, 'the body stored whole');

    # a three-byte character across the 8 KB pieces the file is read in
    my $prefix = enc(doc(body => 'X'));
    my $at = index($prefix, '"X"') + 1;      # first byte of the text
    my $pad = 1;
    $pad++ while (8192 - $at - $pad) % 3 == 0;
    my $long = ('a' x $pad) . ("\x{20ac}" x 3200);
    $text = enc(doc(body => $long));
    cmp_ok(length $text, '>', 9000, 'a body of more than 8 KB');
    $r = $t->post_report($text, path => '/spool/reports');
    is($r->{status}, 201, 'a character split between two reads: 201')
        or diag($r->{body});
    $c = $r->{json} || {};
    $r = $t->http_get("/api/v1/reports/$c->{id}");
    ok(($r->{json}{body} // '') eq $long, 'stored whole');

    # errors after the first 8 KB
    my $bad = $text;
    substr($bad, 9000, 3) = "\xff\xff\xff";
    $r = $t->post_report($bad, path => '/spool/reports');
    $t->problem_ok($r, 400, 'invalid-json', 'invalid UTF-8 at byte 9000');

    $r = $t->post_report("$text x", path => '/spool/reports');
    $t->problem_ok($r, 400, 'invalid-json', 'trailing garbage after 9 KB');
    my ($off) = (($r->{json}{errors}[0]{message} // '') =~ /(\d+)/);
    ok(defined $off && $off >= length($text) && $off <= length($text) + 2,
        'its offset counts every byte before it') or diag($r->{body});

    $r = $t->post_report(substr($text, 0, 5000), path => '/spool/reports');
    $t->problem_ok($r, 400, 'invalid-json', 'truncated spooled body');

    settled_alerts('no alerts in error.log (spooled bodies)');
};

subtest 'a 4xx answer keeps the connection open for the next request' => sub {
    my $health = "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n";

    for my $c ([ 'invalid JSON', '{"type":', 400 ],
        [ 'invalid report', '{}', 400 ],
        [ 'unsupported media type', $valid, 415, 'text/plain' ])
    {
        my ($name, $body, $status, $ct) = @$c;
        $ct ||= 'application/json';
        my $req = "POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\n"
            . "Content-Type: $ct\r\nContent-Length: " . length($body)
            . "\r\n\r\n$body";
        my $r = $t->http_raw($req . $health);
        my @status = $r->{raw} =~ m{HTTP/1\.1 (\d{3}) }g;
        is("@status", "$status 200",
            "$name, then GET health on the same connection");
    }

    settled_alerts('no alerts in error.log (keep-alive)');
};

$t->finish;
