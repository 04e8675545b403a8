#!/usr/bin/perl

# Open311 bad input: every malformed request is answered with the
# documented Open311 error (400, 403, 404, 413) in the format the path
# asks for, never a 5xx and never an nginx HTML page: missing and unknown
# api keys, unknown service codes, no location, bad dates and ranges,
# malformed form encoding (bad %-escapes, repeated keys, too many pairs),
# invalid UTF-8, bodies over the limits, chunked bodies, random bytes.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $KEY = 'key-of-the-test-client-0123456789';
$t->open311_keys({ 'test-client' => $KEY });

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_open311_keys %%TESTDIR%%/open311-keys;

    server {
        listen 127.0.0.1:%%PORT%%;
        client_max_body_size 128k;
        location /open311/v2/ { lapor_open311; }
        location /small/ {
            lapor_open311;
            client_max_body_size 1k;
        }
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 5);

my %EN = ('Accept-Language' => 'en');

sub post_raw {
    my ($body, %o) = @_;
    return $t->open311_post($body, headers => { %EN, %{$o{headers} || {}} },
        %o);
}

# the answer is an Open311 error list with that status, in that format
sub open311_error {
    my ($r, $status, $want, $name, $fmt) = @_;
    $fmt ||= 'json';
    is($r->{status}, $status, "$name: status $status") or diag $r->{body};
    if ($fmt eq 'xml') {
        like($r->{headers}{'content-type'}, qr{^text/xml}, "$name: XML");
        is($t->xml_wellformed($r->{body}), '', "$name: well-formed");
        is($t->xpath($r->{body}, '/errors/error[1]/code'), $status,
            "$name: <code>$status</code>");
        like($t->xpath($r->{body}, '/errors/error[1]/description'),
            $want, "$name: the description") if $want;
        return;
    }
    like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8},
        "$name: JSON");
    is(ref $r->{json}, 'ARRAY', "$name: an array");
    is($r->{json}[0]{code}, $status, "$name: code $status");
    ok((grep { $_->{description} =~ $want } @{$r->{json} || []}),
        "$name: says $want") or diag $r->{body} if $want;
}

my $good = $t->form_encode(@{$t->open311_form()});

subtest 'api_key' => sub {
    open311_error(post_raw($t->open311_form(api_key => undef)), 403,
        qr/api_key is required/, 'missing');
    open311_error(post_raw($t->open311_form(api_key => 'nope')), 403,
        qr/Invalid api_key/, 'unknown');
    open311_error(post_raw($t->open311_form(api_key => 'nope'), fmt => 'xml'),
        403, qr/Invalid api_key/, 'unknown, XML', 'xml');
    open311_error(post_raw("$good&api_key=$KEY"), 403, undef,
        'given twice');
    open311_error(post_raw($t->open311_form(api_key => uc $KEY)), 403, undef,
        'another case');
};

subtest 'unknown service_code, no location' => sub {
    open311_error(post_raw($t->open311_form(service_code => 'sampah')), 404,
        qr/service_code/, 'unknown service_code');
    open311_error(post_raw($t->open311_form(service_code => 'sampah'),
        fmt => 'xml'), 404, undef, 'XML', 'xml');
    open311_error(post_raw($t->open311_form(lat => undef, long => undef,
        address_string => undef)), 400, qr/^lat: a location is required/,
        'no location');
    open311_error(post_raw($t->open311_form(long => undef)), 400,
        qr/^long: /, 'lat without long');
    open311_error(post_raw($t->open311_form(lat => '1e400')), 400,
        qr/^lat: /, 'a coordinate out of range');
    open311_error(post_raw($t->open311_form(lat => 'NaN')), 400,
        qr/^lat: must be of type number/, 'not a number');
};

subtest 'malformed form encoding' => sub {
    open311_error(post_raw("$good&x=%4"), 400, qr/%/, 'a cut %-escape');
    open311_error(post_raw("$good&x=%zz"), 400, qr/%/, 'a %-escape of no '
        . 'hex');
    open311_error(post_raw("%G0=1&$good"), 400, undef, 'in a key');
    open311_error(post_raw("$good&description=again"), 400,
        qr/^description: must be given only once/, 'a repeated key');
    open311_error(post_raw("$good&attribute[type]=aspirasi"
        . "&attribute[type][]=informasi"), 400,
        qr/^attribute\[type\]: must be given only once/,
        'an attribute twice');
    open311_error(post_raw($good . ('&' x 70)), 400, qr/too many/,
        'too many pairs');
    open311_error(post_raw($good . '&' . ('k' x 65) . '=1'), 400,
        qr/too long a name/, 'a key too long');
    open311_error(post_raw($good, content_type => 'text/plain'), 400, undef,
        'another content type');
    open311_error(post_raw($good, content_type => undef), 400, undef,
        'no content type');
    my $r = post_raw($good, content_type =>
        'application/x-www-form-urlencoded; charset=utf-8');
    is($r->{status}, 201, 'with "; charset=utf-8": 201') or diag $r->{body};
    $r = post_raw('');
    open311_error($r, 403, undef, 'an empty body');
};

subtest 'invalid UTF-8 and controls' => sub {
    open311_error(post_raw("$good&first_name=%C3%28"), 400,
        qr/not valid UTF-8/, 'a broken sequence');
    open311_error(post_raw("$good&x=%ED%A0%80"), 400, undef, 'a surrogate');
    open311_error(post_raw("$good&x=%C0%AF"), 400, undef, 'overlong');
    open311_error(post_raw("$good&x=a%00b"), 400, undef, 'NUL');
    open311_error(post_raw("$good&x=%1B"), 400, undef, 'ESC');
    open311_error(post_raw($good . "&x=\xff\xfe"), 400, undef, 'raw bytes');
    open311_error(post_raw($good . "&x=\xff", fmt => 'xml'), 400, undef,
        'raw bytes, XML', 'xml');
};

subtest 'huge bodies' => sub {
    my $big = $good . '&pad=' . ('x' x 70000);
    open311_error(post_raw($big), 413, undef, 'over the 64 KB form limit');
    open311_error(post_raw($big, fmt => 'xml'), 413, undef, 'XML', 'xml');

    my $chunk = sub {
        my ($body) = @_;
        my $c = '';
        for (my $i = 0; $i < length $body; $i += 1000) {
            my $piece = substr($body, $i, 1000);
            $c .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
        }
        return $t->http_raw($t->raw_request('POST',
            '/open311/v2/requests.json', headers => { %EN,
                'Content-Type' => 'application/x-www-form-urlencoded',
                'Transfer-Encoding' => 'chunked' }) . $c . "0\r\n\r\n");
    };

    my $r = $chunk->($big);
    is($r->{status}, 413, 'a chunked body over the limit: 413')
        or diag $r->{raw};
    $r = $chunk->($good);
    is($r->{status}, 201, 'a chunked body within it: 201') or diag $r->{raw};

    $r = $t->open311_post($good . '&pad=' . ('x' x 2000), prefix => '/small',
        headers => \%EN);
    open311_error($r, 413, undef, 'over client_max_body_size (nginx)');
    $r = $t->open311_post($good . '&pad=' . ('x' x 2000), prefix => '/small',
        fmt => 'xml', headers => \%EN);
    open311_error($r, 413, undef, 'nginx\'s 413 as Open311 XML', 'xml');
};

subtest 'dates and ranges of GET requests' => sub {
    for my $c (
        [ 'start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z',
            qr/90 days/, 'a 91-day range' ],
        [ 'start_date=yesterday', qr/^start_date: /, 'words' ],
        [ 'start_date=2026-01-01T00:00:00', qr/^start_date: /,
            'no time zone' ],
        [ 'end_date=2026-02-29T00:00:00Z', qr/^end_date: /,
            'no such day' ],
        [ 'end_date=2026-01-01T25:00:00Z', qr/^end_date: /, 'no such hour' ],
        [ 'start_date=2026-01-01T00:00:00%2B8:00', qr/^start_date: /,
            'a short offset' ],
        [ 'status=open&status=open', qr/only once/, 'a repeated key' ],
        [ 'page_size=abc', qr/^page_size: /, 'page_size not a number' ],
        [ 'start_date=%E2%82', qr/query string/, 'cut UTF-8' ],
        [ 'x=%', qr/query string/, 'a bare %' ],
    ) {
        my ($q, $want, $name) = @$c;
        my $r = $t->http_get("/open311/v2/requests.json?$q",
            headers => \%EN);
        open311_error($r, 400, $want, $name);
        $r = $t->http_get("/open311/v2/requests.xml?$q", headers => \%EN);
        open311_error($r, 400, undef, "$name (XML)", 'xml');
    }
};

subtest 'random bytes never make a 5xx' => sub {
    srand(311);
    my $bad = 0;
    for my $i (1 .. 150) {
        my $n = int rand 300;
        my $body = join '', map { chr int rand 256 } 1 .. $n;
        # half of them start like a real form
        $body = "api_key=$KEY&service_code=kesehatan&$body" if $i % 2;
        my $r = post_raw($body, fmt => $i % 3 ? 'json' : 'xml');
        $bad++ if $r->{status} >= 500 || $r->{status} < 200;
        if ($i % 3 == 0) {
            $bad++ if $t->xml_wellformed($r->{body}) ne '';
        } elsif (!defined $r->{json} || ref $r->{json} ne 'ARRAY') {
            $bad++;
        }
        my $q = join '', map { sprintf '%%%02X', int rand 256 } 1 .. 20;
        $r = $t->http_get("/open311/v2/requests.json?start_date=$q");
        $bad++ if $r->{status} != 400;
    }
    is($bad, 0, '300 random requests: Open311 errors, no 5xx');
};

$t->finish;
