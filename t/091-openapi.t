#!/usr/bin/perl

# docs/openapi.yaml against the module: `redocly lint` accepts the
# document, and every answer below /api/v1/ of a set of integration files,
# recorded by the harness (LAPOR_RECORD), matches it: a documented status,
# the required headers, the documented Content-Type and a body valid
# against the response's schema (t/openapi/validate.mjs, ajv).  A few
# requests of this file's own reach what those files do not (HEAD of the
# timeline and the queue, GET on an action, an unknown action).

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $DIR = "$FindBin::Bin/openapi";
my $DOC = "$Lapor::Test::REPO/docs/openapi.yaml";

plan skip_all => 'needs node and the npm packages of t/openapi '
    . '(make openapi-deps)'
    unless -d "$DIR/node_modules/\@redocly/cli"
        && -d "$DIR/node_modules/ajv" && `node --version 2>/dev/null`;

# the integration files whose answers are checked
my @FILES = qw/
    002-health 003-redis-outage 008-auth 010-catalog 011-report-roundtrip
    012-bad-input 013-rate-limit 014-idempotency 015-intake-redis-failure
    020-workflow-path 021-workflow-rules 022-concurrency 030-stats
    033-view-json 036-public-list
/;

my $t = Lapor::Test->new;
my $dir = $t->testdir;
my $rec = "$dir/answers.jsonl";

# no telemetry, no update check: the tests reach no other host
my $lint = `cd $DIR && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true ./node_modules/.bin/redocly lint --config redocly.yaml $DOC 2>&1`;
is($? >> 8, 0, 'redocly lint accepts docs/openapi.yaml') or diag($lint);
# the banner about the Node.js version aside, no warning
(my $findings = $lint) =~ s/^.*\xe2\x95[\x90-\x9f].*\n//mg;
like($findings, qr/Your API description is valid/, 'lint: valid');
unlike($findings, qr/warning/i, 'lint: without warnings') or diag($lint);

{
    local $ENV{LAPOR_RECORD} = $rec;

    for my $f (@FILES) {
        my $out = `$^X $FindBin::Bin/$f.t 2>&1`;
        is($? >> 8, 0, "t/$f.t passes while recorded")
            or diag(substr($out, -3000));
    }

    # what those files do not ask
    my $tokens = $t->officer_tokens({ 'admin.a' => 'admin' });
    $t->start_redis;
    $t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
    $t->start_nginx;
    $t->wait_status('/api/v1/health', 200, 10);

    my $r = $t->post_report($t->report_doc);
    is($r->{status}, 201, 'a report') or diag($r->{body});
    my $id = $r->{json}{id};
    my %admin = (Authorization => "Bearer $tokens->{'admin.a'}");

    is($t->http_head("/api/v1/reports/$id/events")->{status}, 200,
        'HEAD reports/{id}/events');
    is($t->http_head('/api/v1/queue', headers => \%admin)->{status}, 200,
        'HEAD queue');
    is($t->http_head('/api/v1/queue')->{status}, 401,
        'HEAD queue without a token');
    is($t->http_get("/api/v1/reports/$id/dispatch")->{status}, 405,
        'GET on an action');
    is($t->http_request('POST', "/api/v1/reports/$id/approve",
        headers => { %admin, 'Content-Type' => 'application/json' },
        body => '{}')->{status}, 404, 'an unknown action');
    is($t->http_get('/api/v1/nope')->{status}, 404, 'no endpoint');
    is($t->http_get('/api/v1/queue?status=closed', headers => \%admin)
        ->{status}, 400, 'GET queue, invalid-query');
}

ok(-s $rec, 'answers were recorded');
my $n = () = do { open my $fh, '<', $rec or die "$rec: $!\n"; <$fh> };
cmp_ok($n, '>', 500, "$n answers recorded");

my $out = `cd $DIR && node validate.mjs $DOC $rec --coverage 2>&1`;
my $rc = $? >> 8;
my @bad = $out =~ /^(not ok: .*)$/mg;
is($rc, 0, 'every recorded answer matches docs/openapi.yaml');
diag($_) for @bad[0 .. ($#bad < 29 ? $#bad : 29)];
diag(scalar(@bad) - 30 . ' more') if @bad > 30;
like($out, qr/^operations not exercised: none$/m,
    'every operation of the document was exercised')
    or diag(($out =~ /^(operations not exercised: .*)$/m)[0]);
note($out) if $ENV{TEST_VERBOSE};

$t->finish;
