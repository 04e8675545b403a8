#!/usr/bin/perl

# Open311 GeoReport v2, the catalog side: discovery, the service list and
# the service definitions in JSON and XML, checked field by field against
# the specification's tables; errors in Open311's form with the right
# status; every XML answer well-formed, with the declaration.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Digest::SHA ();

use Lapor::Test;

my $t = Lapor::Test->new;

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /open311/v2/ {
            lapor_open311;
            lapor_open311_contact "Diskominfos Bali, lapor@example.id";
        }
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 5);

my $catalog = json_decode($t->read_file("$Lapor::Test::REPO/examples/catalog.json"));
my @codes = map { $_->{code} } @{$catalog->{categories}};
my %agency_name = map { $_->{code} => $_->{name} } @{$catalog->{agencies}};

sub get {
    my ($path, %h) = @_;
    return $t->http_get("/open311/v2/$path", headers => \%h);
}

sub xml_ok {
    my ($r, $name) = @_;
    like($r->{headers}{'content-type'}, qr{^text/xml; charset=utf-8$}i,
        "$name: text/xml; charset=utf-8");
    like($r->{body}, qr/\A<\?xml version="1\.0" encoding="UTF-8"\?>/,
        "$name: the XML declaration first");
    is($t->xml_wellformed($r->{body}), '', "$name: well-formed (xmllint)");
}

subtest 'discovery.json: every required field' => sub {
    my $r = get('discovery.json');
    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'}, qr{^application/json; charset=utf-8$},
        'application/json; charset=utf-8');
    my $d = $r->{json};
    is(ref $d, 'HASH', 'an object');
    like($d->{changeset}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
        'changeset: a sortable datetime');
    is($d->{contact}, 'Diskominfos Bali, lapor@example.id',
        'contact from lapor_open311_contact');
    ok(length $d->{key_service}, 'key_service');
    is(ref $d->{endpoints}, 'ARRAY', 'endpoints: an array');
    my $e = $d->{endpoints}[0];
    is($e->{specification}, 'http://wiki.open311.org/GeoReport_v2',
        'specification');
    is($e->{url}, $t->base_url . '/open311/v2', 'url');
    is($e->{changeset}, $d->{changeset}, 'endpoint changeset');
    is($e->{type}, 'production', 'type');
    is_deeply($e->{formats}, ['text/xml', 'application/json'], 'formats');
};

subtest 'discovery.xml: the same fields' => sub {
    my $r = get('discovery.xml');
    is($r->{status}, 200, 'status 200');
    xml_ok($r, 'discovery.xml');
    my $x = $r->{body};
    is($t->xpath($x, '/discovery/contact'),
        'Diskominfos Bali, lapor@example.id', 'contact');
    like($t->xpath($x, '/discovery/changeset'), qr/^\d{4}-/, 'changeset');
    ok(length $t->xpath($x, '/discovery/key_service'), 'key_service');
    is($t->xpath($x, '/discovery/endpoints/endpoint/specification'),
        'http://wiki.open311.org/GeoReport_v2', 'specification');
    is($t->xpath($x, '/discovery/endpoints/endpoint/type'), 'production',
        'type');
    is($t->xpath_count($x, '/discovery/endpoints/endpoint/formats/format'),
        2, 'two formats');
};

subtest 'services.json: the catalog categories as services' => sub {
    my $r = get('services.json');
    is($r->{status}, 200, 'status 200');
    my $s = $r->{json};
    is(ref $s, 'ARRAY', 'the root is an array');
    is(scalar @$s, scalar @codes, 'one service per category');
    is_deeply([ map { $_->{service_code} } @$s ], \@codes,
        'in catalog order');
    my ($infra) = grep { $_->{service_code} eq 'infrastruktur' } @$s;
    is($infra->{service_name}, 'Jalan, Jembatan dan Infrastruktur',
        'service_name in Indonesian by default');
    like($infra->{description}, qr/\(\Q$agency_name{'pupr-kim'}{id}\E\)$/,
        'description names the agency');
    is($infra->{metadata}, JSON::PP::true, 'metadata true');
    is($infra->{type}, 'realtime', 'type realtime');
    is($infra->{keywords}, 'infrastruktur,pupr-kim', 'keywords');
    is($infra->{group}, $agency_name{'pupr-kim'}{id}, 'group: the agency');
    for my $f (qw/service_code service_name description metadata type
                  keywords group/)
    {
        is(scalar(grep { !exists $_->{$f} } @$s), 0, "every service: $f");
    }

    $r = get('services.json', 'Accept-Language' => 'en');
    ($infra) = grep { $_->{service_code} eq 'infrastruktur' } @{$r->{json}};
    is($infra->{service_name}, 'Roads, bridges and infrastructure',
        'in English with Accept-Language: en');
};

subtest 'services.xml' => sub {
    my $r = get('services.xml');
    is($r->{status}, 200, 'status 200');
    xml_ok($r, 'services.xml');
    my $x = $r->{body};
    is($t->xpath_count($x, '/services/service'), scalar @codes,
        'one <service> per category');
    is($t->xpath($x, '/services/service[1]/service_code'), $codes[0],
        'service_code');
    is($t->xpath($x, '/services/service[1]/metadata'), 'true', 'metadata');
    is($t->xpath($x, '/services/service[1]/type'), 'realtime', 'type');
};

subtest 'services/{code}: the attributes LAPOR! needs' => sub {
    my $r = get('services/kesehatan.json');
    is($r->{status}, 200, 'status 200');
    my $d = $r->{json};
    is(ref $d, 'HASH', 'the service definition is an object');
    is($d->{service_code}, 'kesehatan', 'service_code');
    my %a = map { $_->{code} => $_ } @{$d->{attributes}};
    is_deeply([ map { $_->{code} } @{$d->{attributes}} ],
        [qw/type title anonymous confidential/], 'four attributes in order');
    is_deeply([ map { $_->{order} } @{$d->{attributes}} ], [1, 2, 3, 4],
        'order 1..4');
    is($a{type}{datatype}, 'singlevaluelist', 'type: singlevaluelist');
    is_deeply([ map { $_->{key} } @{$a{type}{values}} ],
        [qw/pengaduan aspirasi informasi/], 'type: the three report types');
    is($a{title}{datatype}, 'string', 'title: string');
    ok(!exists $a{title}{values}, 'title: no values');
    for my $c (qw/anonymous confidential/) {
        is($a{$c}{datatype}, 'singlevaluelist', "$c: singlevaluelist");
        is_deeply([ map { $_->{key} } @{$a{$c}{values}} ], [qw/true false/],
            "$c: true/false");
    }
    for my $at (@{$d->{attributes}}) {
        is($at->{variable}, JSON::PP::true, "$at->{code}: variable");
        is($at->{required}, JSON::PP::false, "$at->{code}: not required");
        ok(exists $at->{datatype_description}
            && !defined $at->{datatype_description},
            "$at->{code}: datatype_description null");
        ok(length $at->{description}, "$at->{code}: description");
    }

    $r = get('services/kesehatan.xml');
    xml_ok($r, 'services/kesehatan.xml');
    my $x = $r->{body};
    is($t->xpath($x, '/service_definition/service_code'), 'kesehatan',
        'XML service_code');
    is($t->xpath_count($x, '/service_definition/attributes/attribute'), 4,
        'XML: four attributes');
    is($t->xpath_count($x,
        '/service_definition/attributes/attribute[code="type"]/values/value'),
        3, 'XML: three type values');
    is($t->xpath($x,
        '/service_definition/attributes/attribute[code="anonymous"]/values'
        . '/value[1]/key'), 'true', 'XML: anonymous true first');
};

subtest 'errors in Open311 form, both formats' => sub {
    my $r = get('services/no-such-thing.json');
    is($r->{status}, 404, 'unknown service_code: 404');
    is(ref $r->{json}, 'ARRAY', 'errors: an array');
    is($r->{json}[0]{code}, 404, 'code 404');
    ok(length $r->{json}[0]{description}, 'a description');

    $r = get('services/no-such-thing.xml');
    is($r->{status}, 404, 'XML: 404');
    xml_ok($r, 'XML error');
    is($t->xpath($r->{body}, '/errors/error/code'), '404', '<code>404');
    ok(length $t->xpath($r->{body}, '/errors/error/description'),
        '<description>');

    $r = get('nothing-here.json');
    is($r->{status}, 404, 'unknown resource: 404');
    is($r->{json}[0]{code}, 404, 'in Open311 form');

    $r = get('services');
    is($r->{status}, 404, 'no format extension: 404');
    is(ref $r->{json}, 'ARRAY', 'an Open311 error (JSON)');

    $r = get('services.html');
    is($r->{status}, 404, 'an unknown format: 404');

    $r = $t->http_request('DELETE', '/open311/v2/services.xml');
    is($r->{status}, 405, 'DELETE services: 405');
    is($r->{headers}{allow}, 'GET, HEAD', 'with Allow');
    xml_ok($r, '405');
    is($t->xpath($r->{body}, '/errors/error/code'), '405', 'code 405');

    $r = $t->http_request('POST', '/open311/v2/tokens/abc.json');
    is($r->{status}, 405, 'POST tokens/{token}: 405');

    $r = get('tokens/abcdef.json');
    is($r->{status}, 404, 'tokens/{token}: 404 (realtime, no tokens)');
    is($r->{json}[0]{code}, 404, 'as an Open311 error');
    $r = get('tokens/abcdef.xml');
    xml_ok($r, 'tokens/{token}.xml');
};

subtest 'HEAD' => sub {
    my $r = $t->http_head('/open311/v2/services.json');
    is($r->{status}, 200, 'HEAD services.json 200');
    is($r->{body}, '', 'no body');
};

subtest 'the REST API beside it is unchanged' => sub {
    my $r = $t->http_get('/api/v1/catalog');
    is($r->{status}, 200, 'GET catalog 200');
    $r = $t->http_get('/api/v1/nothing');
    is($r->{status}, 404, 'status 404');
    like($r->{headers}{'content-type'}, qr{^application/problem\+json},
        'problem+json');
};

subtest 'nginx -t: lapor_open311_keys with line numbers' => sub {
    my $conf = <<'EOF';
    lapor_redis %%REDIS%%;
    lapor_open311_keys %%TESTDIR%%/keys;
    server {
        listen 127.0.0.1:%%PORT%%;
        location /open311/v2/ { lapor_open311; }
    }
EOF
    my $h = Digest::SHA::sha256_hex('k');
    my @cases = (
        [ 'an officer role', "# keys\n$h admin - x\n",
            qr/line 2: the role must be "client"/ ],
        [ 'an agency', "$h client dinkes x\n", qr/line 1: .*"-"/ ],
        [ 'a short hash', "abc client - x\n", qr/line 1: .*SHA-256/ ],
        [ 'twice', "$h client - a\n$h client - b\n",
            qr/line 2: the same token as line 1/ ],
    );
    for my $c (@cases) {
        my ($name, $text, $want) = @$c;
        $t->write_file('keys', $text);
        my ($rc, $out) = $t->nginx_t($conf);
        isnt($rc, 0, "$name: nginx -t fails");
        like($out, qr/"lapor_open311_keys"/, "$name: names the directive");
        like($out, $want, "$name: the line and the reason");
        unlike($out, qr/[0-9a-f]{64}/, "$name: no hash in the message");
    }
    $t->write_file('keys', "$h client - fixmystreet\n");
    my ($rc, $out) = $t->nginx_t($conf);
    is($rc, 0, 'a good file passes') or diag $out;

    ($rc, $out) = $t->nginx_t(<<'EOF');
    lapor_redis %%REDIS%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /open311 { lapor_open311; }
    }
EOF
    isnt($rc, 0, 'an exact location is refused');
    like($out, qr/"lapor_open311" directive must be used in a prefix location/,
        'naming the directive');
};

$t->finish;
