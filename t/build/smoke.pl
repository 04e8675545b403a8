#!/usr/bin/perl

# One build of the module at work, run by t/build/check after each build:
# nginx -t accepts a configuration with the lapor directives, then nginx
# starts against a real redis-server on a free loopback port and answers
# health, the catalog, a report's POST and its reporter's GET.
#
#   LAPOR_MODULE=/path/ngx_http_lapor_module.so perl t/build/smoke.pl
#   LAPOR_NGINX=/path/nginx perl t/build/smoke.pl --static
#
# --static: the module is compiled into LAPOR_NGINX (no load_module line).

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Lapor::Test;

my $static = grep { $_ eq '--static' } @ARGV;
my %conf = $static ? (no_module => 1) : ();

my $t = Lapor::Test->new(no_module_check => $static);

my $http = <<'EOF';
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace smoke;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF

my ($rc, $out) = $t->nginx_t($http, %conf);
is($rc, 0, 'nginx -t accepts the lapor directives') or diag($out);

$t->start_redis;
$t->write_conf($http, %conf);
$t->start_nginx;

is($t->wait_status('/api/v1/health', 200, 10)->{status}, 200,
    'health 200');

my $r = $t->http_get('/api/v1/catalog');
is($r->{status}, 200, 'catalog 200');

$r = $t->post_report($t->report_doc);
is($r->{status}, 201, 'POST reports 201') or diag($r->{body});

SKIP: {
    skip 'no report', 2 unless $r->{status} == 201;

    my ($id, $token) = @{$r->{json}}{qw/ id tracking_token /};
    my $v = $t->http_get("/api/v1/reports/$id",
        headers => { Authorization => "Bearer $token" });
    is($v->{status}, 200, 'GET reports/{id} by its reporter 200');
    is($v->{json}{reporter}{name}, 'Made Wirawan', 'identity unsealed');
}

$t->finish;
