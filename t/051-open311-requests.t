#!/usr/bin/perl

# Open311 GeoReport v2, POST requests and GET requests/{id}: a form filed
# with an api_key becomes a LAPOR! report through the same validation,
# idempotency, rate limit and transaction as POST reports; it is seen in
# the REST API, the queues, the statistics and the event stream; its
# Open311 view follows the agency's work (open/closed, status_notes,
# expected_datetime) and keeps the privacy rules in both formats.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $KEY = 'key-of-the-test-client-0123456789';

my $TOK = $t->officer_tokens({ 'admin-bali' => 'admin',
    'pupr.petugas' => 'pupr-kim' });
my ($ADMIN, $PUPR) = @$TOK{'admin-bali', 'pupr.petugas'};

# the key file made as an operator would: lapor-token client - <label>
my ($line, $KEY2) = $t->lapor_token_script('client', '-', 'fixmystreet');
like($line, qr/^[0-9a-f]{64} client - fixmystreet$/,
    'lapor-token makes an api key line');
$t->open311_keys({ 'test-client' => $KEY });
$t->write_file('open311-keys', $t->read_file('open311-keys') . "$line\n");

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
        location /limited/ {
            lapor_open311;
            lapor_limit submit 2r/m;
        }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 5);

my %EN = ('Accept-Language' => 'en');

sub post {
    my ($form, %o) = @_;
    return $t->open311_post($form, %o,
        headers => { %EN, %{$o{headers} || {}} });
}

sub get {
    my ($path, %h) = @_;
    return $t->http_get("/open311/v2/$path", headers => { %EN, %h });
}

sub xml_ok {
    my ($r, $name) = @_;
    like($r->{headers}{'content-type'}, qr{^text/xml; charset=utf-8$}i,
        "$name: text/xml");
    like($r->{body}, qr/\A<\?xml version="1\.0" encoding="UTF-8"\?>/,
        "$name: the declaration");
    is($t->xml_wellformed($r->{body}), '', "$name: well-formed (xmllint)");
}

# Open311 errors: [{code, description}] with the HTTP status as code
sub errors_ok {
    my ($r, $status, $want, $name) = @_;
    is($r->{status}, $status, "$name: status $status") or diag $r->{body};
    is(ref $r->{json}, 'ARRAY', "$name: an errors array");
    is($r->{json}[0]{code}, $status, "$name: code $status");
    if ($want) {
        ok((grep { $_->{description} =~ $want } @{$r->{json} || []}),
            "$name: says $want") or diag $r->{body};
    }
}

###############################################################################

my ($ID, $ID_XML);
my $desc = 'Lubang besar di tengah jalan sejak dua minggu; sudah dua '
    . 'pengendara jatuh. Hubungi saya di 0812-3456-7890 atau '
    . 'made.wirawan@example.com.';

subtest 'POST requests.json: 201, the number, a Location' => sub {
    my $r = post($t->open311_form(description => $desc,
        media_url => 'https://foto.example.id/lubang.jpg',
        'attribute[title]' => 'Jalan berlubang di Gatot Subroto'));
    is($r->{status}, 201, 'status 201') or diag $r->{body};
    like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8},
        'JSON');
    is(ref $r->{json}, 'ARRAY', 'the root is an array');
    $ID = $r->{json}[0]{service_request_id};
    like($ID, qr/^[1-9][0-9]*$/, 'service_request_id: the report number');
    ok(!exists $r->{json}[0]{token}, 'no token beside the id');
    unlike($r->{body}, qr/tracking_token/, 'the tracking token is not shown');
    is($r->{headers}{location}, "/open311/v2/requests/$ID.json", 'Location');
};

subtest 'POST requests.xml' => sub {
    my $r = post($t->open311_form(), fmt => 'xml');
    is($r->{status}, 201, 'status 201') or diag $r->{body};
    xml_ok($r, 'POST requests.xml');
    $ID_XML = $t->xpath($r->{body},
        '/service_requests/request/service_request_id');
    like($ID_XML, qr/^[1-9][0-9]*$/, 'service_request_id');
    isnt($ID_XML, $ID, 'another report');
    is($r->{headers}{location}, "/open311/v2/requests/$ID_XML.xml",
        'Location in XML');
};

subtest 'the report is a LAPOR! report like any other' => sub {
    my $r = $t->report_view($ID, $ADMIN);
    is($r->{status}, 200, 'GET reports/{id} (admin): 200');
    my $v = $r->{json};
    is($v->{channel}, 'test-client', 'channel: the api key label');
    is($v->{category}, 'infrastruktur', 'category = service_code');
    is($v->{type}, 'pengaduan', 'type: pengaduan by default');
    is($v->{title}, 'Jalan berlubang di Gatot Subroto', 'attribute[title]');
    is($v->{body}, $desc, 'body = description');
    is($v->{location}{text}, 'Jl. Gatot Subroto Barat, Denpasar',
        'location.text = address_string');
    is($v->{location}{lat}, -8.6289, 'lat');
    is($v->{location}{lon}, 115.1952, 'lon = long');
    is($v->{media_url}, 'https://foto.example.id/lubang.jpg',
        'media_url in the REST view');
    is($t->report_view($ID)->{json}{media_url},
        'https://foto.example.id/lubang.jpg', 'the public\'s too');
    is_deeply($v->{reporter}, { name => 'Made Wirawan',
        contact => 'made.wirawan@example.com' },
        'first_name + last_name and email: the reporter');

    my $h = $t->report_hash("lapor:{$NS}:report:$ID");
    like($h->{reporter}, qr/^v1\./, 'the identity is sealed at rest');
    my %rest = %$h;
    delete $rest{body};
    unlike(join(' ', %rest), qr/Wirawan|made\.wirawan/,
        'no name or contact in the clear (but what the body says)');
    is($h->{media_url}, 'https://foto.example.id/lubang.jpg',
        'media_url kept');

    my $z = $t->report_zsets($NS, $ID);
    ok(exists $z->{'queue:submitted'}, 'in the admins\' queue');
    ok(exists $z->{'deadlines:submitted'}, 'in the deadline index');

    my $s = $t->stats_hash("lapor:{$NS}:stats");
    is($s->{'channel:test-client'}, 2, 'statistics count the channel');

    my @ev = $t->stream_events($NS, $ID);
    is(scalar @ev, 1, 'one event in the stream');
    is($ev[0]{event}, 'report.submitted', 'report.submitted');
    is($ev[0]{channel}, 'test-client', 'with its channel');
};

subtest 'GET requests/{id}.json: the public view in Open311 fields' => sub {
    my $rest = $t->report_view($ID, $ADMIN)->{json};
    my $r = get("requests/$ID.json");
    is($r->{status}, 200, 'status 200') or diag $r->{body};
    is(ref $r->{json}, 'ARRAY', 'an array, even for one');
    my $q = $r->{json}[0];
    is($q->{service_request_id}, $ID, 'service_request_id');
    is($q->{status}, 'open', 'submitted is open');
    is($q->{status_notes}, 'Received; awaiting verification.',
        'status_notes');
    is($q->{service_code}, 'infrastruktur', 'service_code');
    is($q->{service_name}, 'Roads, bridges and infrastructure',
        'service_name');
    like($q->{agency_responsible}, qr/^Bali Provincial Office of Public Works/,
        'agency_responsible');
    is($q->{requested_datetime}, $rest->{created_at},
        'requested_datetime = created_at');
    like($q->{requested_datetime},
        qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/, 'with its offset');
    is($q->{updated_datetime}, $rest->{updated_at}, 'updated_datetime');
    is($q->{expected_datetime}, $rest->{due_at},
        'expected_datetime = the current deadline');
    is($q->{address}, 'Jl. Gatot Subroto Barat, Denpasar', 'address');
    is($q->{lat}, -8.6289, 'lat, a number');
    is($q->{long}, 115.1952, 'long');
    is($q->{media_url}, 'https://foto.example.id/lubang.jpg', 'media_url');
    like($q->{description}, qr/^Lubang besar/, 'description');
    unlike($q->{description}, qr/0812-3456-7890|made\.wirawan\@example/,
        'personal data in the text masked');
    unlike($r->{body}, qr/Wirawan|made\.wirawan|first_name|email|phone/i,
        'never the reporter');

    $r = get("requests/$ID.xml");
    is($r->{status}, 200, 'XML: status 200');
    xml_ok($r, 'requests/{id}.xml');
    my $x = $r->{body};
    is($t->xpath($x, '/service_requests/request/service_request_id'), $ID,
        'XML service_request_id');
    is($t->xpath($x, '/service_requests/request/status'), 'open',
        'XML status');
    is($t->xpath($x, '/service_requests/request/expected_datetime'),
        $rest->{due_at}, 'XML expected_datetime');
    is($t->xpath($x, '/service_requests/request/lat'), '-8.6289', 'XML lat');
    unlike($x, qr/Wirawan|made\.wirawan/, 'XML: never the reporter');

    $r = get("requests/999999.json");
    errors_ok($r, 404, undef, 'an unknown number');
    $r = get("requests/abc.xml");
    is($r->{status}, 404, 'not a number: 404');
    xml_ok($r, 'requests/abc.xml');
};

subtest 'anonymous and confidential in every representation' => sub {
    my $r = post($t->open311_form('attribute[anonymous]' => 'true',
        'attribute[confidential]' => 'true', first_name => undef,
        last_name => undef, email => undef,
        media_url => 'https://foto.example.id/rahasia.jpg'));
    is($r->{status}, 201, 'anonymous without a name: 201') or diag $r->{body};
    my $id = $r->{json}[0]{service_request_id};

    for my $fmt (qw/json xml/) {
        $r = get("requests/$id.$fmt");
        is($r->{status}, 200, "$fmt: status 200");
        unlike($r->{body}, qr/Lubang|Gatot|8\.6289|115\.1952|rahasia/,
            "$fmt: no content of a confidential report");
    }
    my $q = get("requests/$id.json")->{json}[0];
    ok(!exists $q->{description} && !exists $q->{address}
        && !exists $q->{lat}, 'no description, address, coordinates');
    like($q->{service_notice}, qr/^Confidential report/, 'a service_notice');
    is($q->{status}, 'open', 'but the state');
    ok($q->{requested_datetime} && $q->{agency_responsible},
        'the dates and the agency');

    my $v = $t->report_view($id, $ADMIN)->{json};
    ok($v->{anonymous} && $v->{confidential}, 'stored anonymous, confidential');
    my $pub = $t->report_view($id)->{json};
    ok(!exists $pub->{body} && !exists $pub->{media_url},
        'the public REST view of it: no content either');
    is($v->{reporter}, undef, 'no identity');
};

subtest 'an agency\'s work shows in requests/{id}' => sub {
    my $r = $t->report_action($ID, 'dispatch', token => $ADMIN,
        body => { agency => 'pupr-kim' });
    is($r->{status}, 200, 'dispatch') or diag $r->{body};
    my $q = get("requests/$ID.json")->{json}[0];
    is($q->{status}, 'open', 'dispatched: open');
    is($q->{status_notes}, 'Dispatched to the responsible agency.',
        'status_notes');
    my $rest = $t->report_view($ID, $ADMIN)->{json};
    is($q->{expected_datetime}, $rest->{due_at}, 'the new deadline');
    is($q->{updated_datetime}, $rest->{updated_at}, 'updated');

    $r = $t->report_action($ID, 'respond', token => $PUPR,
        body => { message => 'Tim kami meninjau lokasi besok.' });
    is($r->{status}, 200, 'respond') or diag $r->{body};
    $q = get("requests/$ID.json")->{json}[0];
    is($q->{status_notes}, 'In progress at the agency.', 'in progress');

    $r = $t->report_action($ID, 'follow_up', token => $PUPR,
        body => { message => 'Lubang sudah ditambal hari ini.' });
    is($r->{status}, 200, 'follow_up') or diag $r->{body};
    $q = get("requests/$ID.json")->{json}[0];
    is($q->{status_notes}, 'Followed up; awaiting the reporter\'s response.',
        'followed up');

    $r = $t->report_action($ID_XML, 'archive', token => $ADMIN,
        body => { reason => 'Laporan ganda dari aplikasi.' });
    is($r->{status}, 200, 'archive another') or diag $r->{body};
    $q = get("requests/$ID_XML.json")->{json}[0];
    is($q->{status}, 'closed', 'archived: closed');
    ok(!exists $q->{expected_datetime}, 'no deadline when closed');
};

subtest 'Idempotency-Key: one report for a repeated POST' => sub {
    my $form = $t->open311_form();
    my %h = ('Idempotency-Key' => 'o311-retry-0001');
    my $r1 = post($form, headers => \%h);
    is($r1->{status}, 201, 'first: 201');
    my $r2 = post($form, headers => \%h, fmt => 'xml');
    is($r2->{status}, 201, 'repeat: 201');
    is($r2->{headers}{'idempotent-replayed'}, 'true', 'Idempotent-Replayed');
    is($t->xpath($r2->{body}, '/service_requests/request/service_request_id'),
        $r1->{json}[0]{service_request_id}, 'the same number');
    my $r3 = post($t->open311_form(description => 'Sesuatu yang lain sama '
        . 'sekali, cukup panjang.'), headers => \%h);
    errors_ok($r3, 400, qr/Idempotency-Key/, 'reused with another body');
};

subtest 'api_key: missing or unknown is 403' => sub {
    errors_ok(post($t->open311_form(api_key => undef)), 403, qr/api_key/,
        'missing');
    errors_ok(post($t->open311_form(api_key => '')), 403, undef, 'empty');
    errors_ok(post($t->open311_form(api_key => 'wrong')), 403,
        qr/Invalid api_key/, 'unknown');
    my $r = post($t->open311_form(api_key => 'wrong'), fmt => 'xml');
    is($r->{status}, 403, 'XML: 403');
    xml_ok($r, '403');
    is($t->xpath($r->{body}, '/errors/error/code'), '403', 'code 403');

    $r = post($t->open311_form(api_key => $KEY2));
    is($r->{status}, 201, 'the key made by lapor-token works');
    is($t->report_view($r->{json}[0]{service_request_id}, $ADMIN)
        ->{json}{channel}, 'fixmystreet', 'with its label as channel');
};

subtest 'validation: the same rules, Open311 names' => sub {
    my $r = post($t->open311_form(description => 'Pendek'));
    errors_ok($r, 400, qr/^description: must have at least 20 characters$/,
        'a short description');
    $r = post($t->open311_form(description => 'x' x 4001));
    errors_ok($r, 400, qr/^description: must have at most 4000/,
        '4001 characters');
    $r = post($t->open311_form(description => "\x{e9}" x 4000));
    is($r->{status}, 201, '4000 characters (8000 bytes) pass')
        or diag $r->{body};
    $r = post($t->open311_form(service_code => 'nope'));
    errors_ok($r, 404, undef, 'an unknown service_code');
    $r = post($t->open311_form(service_code => undef));
    errors_ok($r, 400, qr/^service_code: is required$/, 'no service_code');
    $r = post($t->open311_form(lat => undef, long => undef,
        address_string => undef));
    errors_ok($r, 400, qr/^lat: a location is required/, 'no location');
    $r = post($t->open311_form(lat => undef, long => undef,
        address_string => undef, address_id => 'ADDR-99'));
    is($r->{status}, 201, 'address_id alone is a location');
    $r = post($t->open311_form(first_name => undef, last_name => undef));
    errors_ok($r, 400, qr/^first_name: /, 'no name, not anonymous');
    $r = post($t->open311_form(email => 'not-an-address'));
    errors_ok($r, 400, qr/^email: must be an e-mail address or a phone/,
        'a bad e-mail');
    $r = post($t->open311_form('attribute[type]' => 'keluhan'));
    errors_ok($r, 400, qr/^attribute\[type\]: is not a known report type$/,
        'an unknown type');
    $r = post($t->open311_form(media_url => 'ftp://x/y'));
    errors_ok($r, 400, qr/^media_url: must be an http or https URL$/,
        'media_url');
    $r = post($t->open311_form(description => 'Pendek', lat => 99), fmt => 'xml');
    is($r->{status}, 400, 'XML: 400');
    xml_ok($r, 'invalid XML');
    is($t->xpath_count($r->{body}, '/errors/error'), 2, 'one error per field');
    $r = post($t->open311_form(), content_type => 'application/json');
    errors_ok($r, 400, undef, 'another content type');
};

subtest 'the submit rate limit holds for Open311' => sub {
    my @s = map { $t->open311_post($t->open311_form(), prefix => '/limited',
        headers => \%EN) } 1 .. 3;
    is($s[0]{status}, 201, 'first: 201');
    is($s[1]{status}, 201, 'second: 201');
    errors_ok($s[2], 429, undef, 'third');
    ok($s[2]{headers}{'retry-after'}, 'with Retry-After');
};

subtest 'stored text that is no XML never breaks a document' => sub {
    $t->redis_cmd({}, 'HSET', "lapor:{$NS}:report:$ID", 'body',
        "A\x01B\x00C\xff\xfeD & <E> \x{1b}[31m\r\nF\xef\xbf\xbe",
        'place', "]]> <!-- \x0b");
    my $r = get("requests/$ID.xml");
    is($r->{status}, 200, 'XML: status 200');
    xml_ok($r, 'control characters, bad UTF-8, U+FFFE');
    like($t->xpath($r->{body}, '/service_requests/request/description'),
        qr/& <E>/, 'the text, escaped and read back');
    $r = get("requests/$ID.json");
    is($r->{status}, 200, 'JSON: status 200');
    ok(!$r->{json_error}, 'JSON parses');
};

$t->finish;
