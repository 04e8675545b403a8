#!/usr/bin/perl

# The catalog and the report-intake directives: GET catalog (shape, ETag,
# 304, per-server catalogs), and `nginx -t` rejecting broken catalogs,
# identity keys and rate limits with a message that names the directive,
# the file and the reason.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use JSON::PP;

use Lapor::Test;

my $t = Lapor::Test->new;
my $dir = $t->testdir;

my $example_file = "$Lapor::Test::REPO/examples/catalog.json";
my $example = json_decode($t->read_file($example_file));

# A catalog file in the test directory: the example with changes applied
# by $edit (which gets the decoded catalog), or the raw text given.
sub catalog_file {
    my ($name, $edit) = @_;
    my $text;
    if (ref $edit eq 'CODE') {
        my $cat = json_decode($t->read_file($example_file));
        $edit->($cat);
        $text = JSON::PP->new->utf8->canonical->encode($cat);
    } else {
        $text = $edit;
    }
    return $t->write_file($name, $text);
}

# A small second catalog, for a server of its own.
my $small = catalog_file('small.json', sub {
    my ($c) = @_;
    $c->{region} = { code => 'denpasar',
        name => { id => 'Kota Denpasar', en => 'Denpasar City' } };
    $c->{time_zone} = '+08:00';
    $c->{sla} = { dispatch_days => 2 };
    $c->{types} = [ $c->{types}[0] ];
    $c->{agencies} = [ { code => 'dlhk',
        name => { id => 'Dinas Lingkungan Hidup dan Kebersihan',
            en => 'Environment and Sanitation Office' } } ];
    $c->{categories} = [ { code => 'sampah',
        name => { id => 'Sampah', en => 'Waste' },
        default_agency => 'dlhk' } ];
    $c->{holidays} = [];
});

$t->start_redis;
$t->write_conf(<<"EOF");
    lapor_redis %%REDIS%%;
    lapor_redis_timeout 1s;
    lapor_catalog %%REPO%%/examples/catalog.json;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }

    server {
        listen 127.0.0.1:%%PORT_small%%;
        lapor_namespace denpasar;
        lapor_catalog $small;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

###############################################################################
# GET catalog

my $etag;

subtest 'GET catalog: 200 JSON with every documented member' => sub {
    my $r = $t->http_get('/api/v1/catalog');

    is($r->{status}, 200, 'status 200');
    like($r->{headers}{'content-type'} || '', qr{^application/json\b},
        'content type application/json');
    my $j = $r->{json};
    is(ref $j, 'HASH', 'a JSON object') or return diag($r->{body});

    for my $m (qw/ region time_zone sla types agencies categories holidays
        channels limits /)
    {
        ok(exists $j->{$m}, "member $m");
    }

    is($j->{region}{code}, 'bali', 'region code');
    is($j->{region}{name}{id}, 'Provinsi Bali', 'region name id');
    is($j->{region}{name}{en}, 'Bali Province', 'region name en');
    is($j->{time_zone}, 'Asia/Makassar', 'time zone');
    is_deeply($j->{sla},
        { dispatch_days => 3, follow_up_days => 5, auto_close_days => 10 },
        'SLA clocks');

    is_deeply([map { $_->{code} } @{$j->{types}}],
        [qw/ pengaduan aspirasi informasi /], 'the three types, in order');
    is_deeply([map { $_->{code} } @{$j->{agencies}}],
        [map { $_->{code} } @{$example->{agencies}}],
        'agencies as in the file, in order');
    is_deeply([map { $_->{code} } @{$j->{categories}}],
        [map { $_->{code} } @{$example->{categories}}],
        'categories as in the file, in order');

    my %agency = map { $_->{code} => $_ } @{$j->{agencies}};
    my $names_ok = !grep {
        !(ref $_->{name} eq 'HASH' && length $_->{name}{id}
            && length $_->{name}{en})
    } @{$j->{types}}, @{$j->{agencies}}, @{$j->{categories}};
    ok($names_ok, 'every type, agency and category has names id and en');

    my %file_cat = map { $_->{code} => $_ } @{$example->{categories}};
    my $bad = 0;
    for my $c (@{$j->{categories}}) {
        my $f = $file_cat{$c->{code}};
        $bad++, diag("category $c->{code}: default_agency")
            unless $agency{$c->{default_agency}}
                && $c->{default_agency} eq $f->{default_agency};

        # the effective clocks: the category's overrides, else the defaults
        my %want = (%{$example->{sla}}, %{$f->{sla} || {}});
        $bad++, diag("category $c->{code}: sla " . encode_json($c->{sla}))
            unless ref $c->{sla} eq 'HASH'
                && !grep { ($c->{sla}{$_} // -1) != $want{$_} } keys %want;
    }
    is($bad, 0, 'categories carry their default agency and effective SLA');

    my $kes = (grep { $_->{code} eq 'kesehatan' } @{$j->{categories}})[0];
    is($kes->{sla}{follow_up_days}, 3, 'kesehatan: follow-up override 3');
    is($kes->{sla}{dispatch_days}, 3, 'kesehatan: dispatch default 3');

    is(scalar @{$j->{holidays}}, scalar @{$example->{holidays}},
        'every holiday');
    my @dates = map { $_->{date} } @{$j->{holidays}};
    is_deeply(\@dates, [sort @dates], 'holidays sorted by date');
    ok(!grep({ !/^\d{4}-\d\d-\d\d$/ } @dates), 'holiday dates YYYY-MM-DD');
    my ($nyepi) = grep { $_->{date} eq '2026-03-19' } @{$j->{holidays}};
    like($nyepi->{name} // '', qr/Nyepi/, 'a holiday keeps its name');

    is_deeply([sort @{$j->{channels}}],
        [sort qw/ web sms app kiosk wifi-portal counter /], 'channels');

    is_deeply($j->{limits}{title}, { min_chars => 10, max_chars => 150 },
        'title limits');
    is_deeply($j->{limits}{body}, { min_chars => 20, max_chars => 4000 },
        'body limits');
    is($j->{limits}{'location.text'}{max_chars}, 200, 'location.text limit');
    is_deeply($j->{limits}{'reporter.name'},
        { min_chars => 2, max_chars => 100 }, 'reporter.name limits');

    $etag = $r->{headers}{etag};
    like($etag // '', qr/^(?:W\/)?"[^"]+"$/, 'a quoted ETag');
};

subtest 'If-None-Match with the ETag answers 304 without a body' => sub {
    my $r = $t->http_get('/api/v1/catalog',
        headers => { 'If-None-Match' => $etag });
    is($r->{status}, 304, 'status 304');
    is($r->{body}, '', 'no body');
    is($r->{headers}{etag}, $etag, 'the same ETag');

    $r = $t->http_get('/api/v1/catalog',
        headers => { 'If-None-Match' => '"something-else"' });
    is($r->{status}, 200, 'another ETag: 200');
    ok(length $r->{body}, 'with the body');

    $r = $t->http_get('/api/v1/catalog',
        headers => { 'If-None-Match' => "\"x\", $etag" });
    is($r->{status}, 304, 'the ETag in a list: 304');

    $r = $t->http_get('/api/v1/catalog');
    is($r->{headers}{etag}, $etag, 'the ETag is stable between requests');
};

subtest 'HEAD catalog: headers only' => sub {
    my $r = $t->http_raw($t->raw_request('HEAD', '/api/v1/catalog'));
    is($r->{status}, 200, 'status 200');
    is($r->{headers}{etag}, $etag, 'ETag');
    is($r->{body}, '', 'no body');
};

subtest 'POST catalog is 405 with Allow' => sub {
    my $r = $t->http_request('POST', '/api/v1/catalog',
        headers => { 'Content-Type' => 'application/json' }, body => '{}');
    $t->problem_ok($r, 405, 'method-not-allowed', 'problem 405');
    like($r->{headers}{allow} // '', qr/\bGET\b/, 'Allow names GET');
};

subtest 'a server-level lapor_catalog serves its own catalog' => sub {
    my $port = $t->port('small');
    my $http = HTTP::Tiny->new(timeout => $t->tmo(10));
    my $r = $http->get("http://127.0.0.1:$port/api/v1/catalog");
    is($r->{status}, 200, 'status 200');
    my $j = eval { json_decode($r->{content}) } || {};
    is($j->{region}{code}, 'denpasar', 'the other region');
    is($j->{time_zone}, '+08:00', 'fixed-offset time zone');
    is_deeply([map { $_->{code} } @{$j->{categories} || []}], ['sampah'],
        'its categories');
    is($j->{categories}[0]{sla}{dispatch_days}, 2,
        'its SLA default applies to the category');
    is($j->{categories}[0]{sla}{follow_up_days}, 5,
        'an SLA member it omits keeps the default');
    isnt($r->{headers}{etag}, $etag, 'another ETag');
};

$t->check_alerts('no alerts after the GET catalog tests');

###############################################################################
# nginx -t

# An http{} body with everything an API needs; the parts given replace the
# defaults.
sub conf {
    my (%o) = @_;
    my $catalog = $o{catalog} // "lapor_catalog $example_file;";
    my $key = $o{key} // "lapor_identity_key $dir/good.key;";
    my $limit = $o{limit} // '';
    return <<"EOF";
    lapor_redis %%REDIS%%;
    $catalog
    $key
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; $limit }
    }
EOF
}

$t->write_file('good.key', Lapor::Test::new_key() . "\n");

sub accepts {
    my ($http, $name) = @_;
    my ($rc, $out) = $t->nginx_t($http);
    ok($rc == 0, "accepted: $name") or diag($out);
}

# Rejected with an [emerg] that matches every pattern given.
sub rejects {
    my ($http, $name, @want) = @_;
    my ($rc, $out) = $t->nginx_t($http);
    my @miss = grep { $out !~ $_ } @want;
    my $ok = ok($rc != 0 && $out =~ /\[emerg\]/ && !@miss, "rejected: $name");
    diag("rc=$rc, missing @miss\n$out") unless $ok;
    return $out;
}

subtest 'nginx -t accepts the example catalog and both key forms' => sub {
    accepts(conf(), 'example catalog, hex key');

    open my $fh, '<', '/dev/urandom' or die;
    read($fh, my $raw, 32);
    close $fh;
    require MIME::Base64;
    $t->write_file('b64.key', MIME::Base64::encode_base64($raw, '') . "\n");
    accepts(conf(key => "lapor_identity_key $dir/b64.key;"),
        '44-character base64 key');

    $t->write_file('nonl.key', Lapor::Test::new_key());
    accepts(conf(key => "lapor_identity_key $dir/nonl.key;"),
        'hex key without a newline');

    accepts(conf(catalog => "lapor_catalog $small;"), 'a small catalog');
};

subtest 'nginx -t rejects broken catalogs naming lapor_catalog and file' => sub {
    my $f = "$dir/missing.json";
    rejects(conf(catalog => "lapor_catalog $f;"), 'missing file',
        qr/"lapor_catalog"/, qr/\Q$f\E/);

    $f = catalog_file('syntax.json', '{"version": 1, "region": ');
    rejects(conf(catalog => "lapor_catalog $f;"), 'invalid JSON',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/invalid JSON/);

    $f = catalog_file('trailing.json',
        $t->read_file($example_file) . "\n{}\n");
    rejects(conf(catalog => "lapor_catalog $f;"), 'two JSON documents',
        qr/"lapor_catalog"/, qr/\Q$f\E/);

    $f = catalog_file('agency.json', sub {
        $_[0]{categories}[3]{default_agency} = 'dinkes-x';
    });
    rejects(conf(catalog => "lapor_catalog $f;"),
        'unknown category default_agency',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/default_agency/, qr/dinkes-x/);

    $f = catalog_file('tz.json', sub { $_[0]{time_zone} = 'Europe/Berlin' });
    rejects(conf(catalog => "lapor_catalog $f;"), 'unsupported time zone',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/time_zone/, qr{Europe/Berlin});

    $f = catalog_file('wita.json', sub { $_[0]{time_zone} = 'WITA' });
    rejects(conf(catalog => "lapor_catalog $f;"), 'time zone WITA',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/time_zone/);

    $f = catalog_file('offset.json', sub { $_[0]{time_zone} = '+15:00' });
    rejects(conf(catalog => "lapor_catalog $f;"), 'offset beyond +14:00',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/time_zone/);

    $f = catalog_file('typo.json', sub {
        $_[0]{categories}[0]{defualt_agency} = 'dinkes';
    });
    rejects(conf(catalog => "lapor_catalog $f;"), 'unknown key (a typo)',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/defualt_agency/);

    $f = catalog_file('date.json', sub {
        $_[0]{holidays}[0]{date} = '2025-02-29';
    });
    rejects(conf(catalog => "lapor_catalog $f;"), 'a date that does not exist',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/2025-02-29/);

    $f = catalog_file('sla.json', sub { $_[0]{sla}{follow_up_days} = 61 });
    rejects(conf(catalog => "lapor_catalog $f;"), 'SLA over 60 days',
        qr/"lapor_catalog"/, qr/\Q$f\E/, qr/follow_up_days/);

    $f = catalog_file('dup.json', sub {
        push @{$_[0]{agencies}}, { %{$_[0]{agencies}[0]} };
    });
    rejects(conf(catalog => "lapor_catalog $f;"), 'duplicate agency code',
        qr/"lapor_catalog"/, qr/\Q$f\E/);

    $f = catalog_file('empty.json', '');
    rejects(conf(catalog => "lapor_catalog $f;"), 'empty file',
        qr/"lapor_catalog"/, qr/\Q$f\E/);

    rejects(conf(catalog => "lapor_catalog $example_file;\n"
        . "    lapor_catalog $small;"), 'given twice at one level',
        qr/"lapor_catalog"/);
};

subtest 'nginx -t rejects bad identity keys naming lapor_identity_key' => sub {
    my $f = "$dir/missing.key";
    rejects(conf(key => "lapor_identity_key $f;"), 'missing key file',
        qr/"lapor_identity_key"/, qr/\Q$f\E/);

    my %bad = (
        'short.key' => substr(Lapor::Test::new_key(), 0, 62) . "\n",
        'long.key' => Lapor::Test::new_key() . 'ab' . "\n",
        'badhex.key' => 'g' . substr(Lapor::Test::new_key(), 1) . "\n",
        'empty.key' => '',
        'b64short.key' => ('A' x 42) . "=\n",
        'b64bad.key' => ('A' x 42) . '*=' . "\n",
    );

    for my $name (sort keys %bad) {
        $f = $t->write_file($name, $bad{$name});
        my $out = rejects(conf(key => "lapor_identity_key $f;"),
            "malformed key ($name)", qr/"lapor_identity_key"/, qr/\Q$f\E/);

        # the key is a secret: never echoed into the log
        my $secret = $bad{$name};
        $secret =~ s/\s+$//;
        ok(length($secret) < 16 || index($out, $secret) < 0,
            "the key material of $name is not in the message");
    }
};

subtest 'nginx -t rejects bad lapor_limit naming lapor_limit' => sub {
    accepts(conf(limit => 'lapor_limit submit 10r/m;'), 'submit 10r/m');
    accepts(conf(limit => 'lapor_limit write 1r/s burst=5;'),
        'write 1r/s burst=5');
    accepts(conf(limit => 'lapor_limit read 100r/h key=$remote_addr;'),
        'read 100r/h with a key');
    accepts(conf(limit => 'lapor_limit submit 20r/d burst=0 '
        . 'key=$http_x_client;'), 'per day, burst=0, key variable');

    my @bad = (
        [ 'lapor_limit foo 10r/m;', 'unknown zone', qr/foo/ ],
        [ 'lapor_limit Submit 10r/m;', 'zone names are lower case' ],
        [ 'lapor_limit submit 10r/x;', 'unknown rate unit', qr{10r/x} ],
        [ 'lapor_limit submit 10/m;', 'rate without r' ],
        [ 'lapor_limit submit r/m;', 'rate without a number' ],
        [ 'lapor_limit submit 0r/m;', 'rate zero' ],
        [ 'lapor_limit submit -1r/m;', 'negative rate' ],
        [ 'lapor_limit submit ten;', 'rate not a number' ],
        [ 'lapor_limit submit 10r/m burst=x;', 'burst not a number',
            qr/burst/ ],
        [ 'lapor_limit submit 10r/m burst=-1;', 'negative burst',
            qr/burst/ ],
        [ 'lapor_limit submit 10r/m burst=;', 'empty burst', qr/burst/ ],
        [ 'lapor_limit submit 10r/m key=;', 'empty key' ],
        [ 'lapor_limit submit 10r/m nodelay;', 'unknown parameter' ],
        [ 'lapor_limit submit;', 'no rate' ],
        [ "lapor_limit submit 10r/m;\n lapor_limit submit 5r/m;",
            'the same zone twice' ],
    );

    for my $b (@bad) {
        my ($text, $name, @want) = @$b;
        rejects(conf(limit => $text), $name, qr/lapor_limit/, @want);
    }
};

# A whole nginx.conf (`full => 1`: the harness adds no default catalog or
# key) with an API location and the lapor directives given.
sub full_conf {
    my ($directives) = @_;
    return <<"EOF";
load_module %%MODULE%%;
daemon off;
master_process off;
pid %%TESTDIR%%/nginx-full.pid;
error_log %%TESTDIR%%/error-full.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %%TESTDIR%%/client_body_temp;
    proxy_temp_path %%TESTDIR%%/proxy_temp;
    fastcgi_temp_path %%TESTDIR%%/fastcgi_temp;
    uwsgi_temp_path %%TESTDIR%%/uwsgi_temp;
    scgi_temp_path %%TESTDIR%%/scgi_temp;
    lapor_redis %%REDIS%%;
    $directives
    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
}
EOF
}

subtest 'lapor_api needs lapor_catalog and lapor_identity_key' => sub {
    my ($rc, $out) = $t->nginx_t(full_conf(
        "lapor_catalog $example_file;\n"
        . "    lapor_identity_key $dir/good.key;"), full => 1);
    ok($rc == 0, 'the complete whole-file configuration is accepted')
        or diag($out);

    ($rc, $out) = $t->nginx_t(full_conf(
        "lapor_identity_key $dir/good.key;"), full => 1);
    ok($rc != 0 && $out =~ /\[emerg\]/ && $out =~ /"?lapor_catalog"?/,
        'without lapor_catalog: rejected naming lapor_catalog')
        or diag("rc=$rc\n$out");

    ($rc, $out) = $t->nginx_t(full_conf(
        "lapor_catalog $example_file;"), full => 1);
    ok($rc != 0 && $out =~ /\[emerg\]/ && $out =~ /lapor_identity_key/,
        'without lapor_identity_key: rejected naming lapor_identity_key')
        or diag("rc=$rc\n$out");

    ($rc, $out) = $t->nginx_t(full_conf(''), full => 1);
    ok($rc != 0 && $out =~ /\[emerg\]/, 'without both: rejected')
        or diag("rc=$rc\n$out");
};

$t->finish;
