#!/usr/bin/perl

# The citizen portal of examples/portal/, served by the example
# configuration examples/nginx.conf as shipped (only its paths, ports and
# rate limits adjusted), checked over HTTP (security headers, caching,
# gzip) and then in headless Chromium by t/browser/journey.mjs: the
# pages in both languages, field errors, three reports through the form,
# their receipts, tracking with the token, the officers' steps through the
# API, the reporter's comment and feedback, a submission retried after
# the connection was lost and after Redis was down (one report each), the
# responsiveness charts, the public list and report pages (no name or
# contact of an anonymous report), the free-WiFi landing page (bytes
# transferred, one screen at 360x640) and the pop-up, axe-core (WCAG 2.1
# AA) on every page, screenshots under build/browser/.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IPC::Open2 ();
use POSIX ();

use Lapor::Test;

my $REPO = "$FindBin::Bin/..";
my $NODE_DIR = "$FindBin::Bin/browser";

plan skip_all => 'the browser tests need node, /usr/bin/chromium and '
    . 'npm ci in t/browser (make test does both)'
    unless -x '/usr/bin/chromium' && -d "$NODE_DIR/node_modules/puppeteer-core"
    && system('node --version >/dev/null 2>&1') == 0;

my $t = Lapor::Test->new;
$t->skip_valgrind('the browser journey is about the pages, not memory; '
    . 'the API it uses is covered under valgrind by the other files');

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin',
    'pupr-1' => 'pupr-kim' });

# Redis keeps its data across the stop (TERM) and start of the journey:
# the shipped settings keep an append-only file.
my @REDIS_ARGS = ();
$t->start_redis(@REDIS_ARGS);

# examples/nginx.conf as shipped, pointed at this test's files.
$t->write_example_conf;
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

subtest 'the portal is served at / with its security headers' => sub {
    for my $p ('/', '/lapor.html', '/lacak.html', '/laporan.html',
        '/kinerja.html', '/wifi/')
    {
        my $r = $t->http_get($p);
        is($r->{status}, 200, "$p 200");
        like($r->{headers}{'content-type'}, qr{^text/html; charset=utf-8},
            "$p html in UTF-8");
        my $csp = $r->{headers}{'content-security-policy'} || '';
        like($csp, qr/script-src 'self'(;|$)/, "$p CSP: scripts from the host");
        unlike($csp, qr/unsafe-inline|unsafe-eval/, "$p CSP: nothing inline");
        is($r->{headers}{'x-content-type-options'}, 'nosniff', "$p nosniff");
        is($r->{headers}{'referrer-policy'}, 'no-referrer',
            "$p no Referer");
        ok(!exists $r->{headers}{'set-cookie'}, "$p no cookie");
        like($r->{headers}{etag} || '', qr/^"/, "$p ETag");
        is($r->{headers}{'cache-control'}, 'no-cache',
            "$p revalidated at every use");
        unlike($r->{body}, qr/<script(?![^>]*\bsrc=)[^>]*>/i,
            "$p no inline script");
        unlike($r->{body}, qr/\son[a-z]+\s*=/i,
            "$p no inline event handler");
        unlike($r->{body}, qr/\sstyle\s*=/i, "$p no inline style");
        unlike($r->{body}, qr{(?:src|href)="(?:https?:)?//}i,
            "$p nothing from another host");
    }

    my $r = $t->http_get('/');
    my $etag = $r->{headers}{etag};
    $r = $t->http_get('/', headers => { 'If-None-Match' => $etag });
    is($r->{status}, 304, 'If-None-Match: 304');

    $r = $t->http_get('/assets/portal.css?v=1',
        headers => { 'Accept-Encoding' => 'gzip' });
    is($r->{status}, 200, 'a versioned asset');
    like($r->{headers}{'cache-control'}, qr/max-age=31536000/,
        'a versioned asset is cached for a year');
    is($r->{headers}{'content-encoding'}, 'gzip', 'gzip');
    like($r->{headers}{'content-type'}, qr{^text/css}, 'text/css');

    $r = $t->http_get('/assets/report.js');
    like($r->{headers}{'content-type'}, qr{^application/javascript},
        'scripts as application/javascript');
    is($r->{headers}{'cache-control'}, 'no-cache',
        'an asset without a version is revalidated');

    # every asset a page names exists, and versioned ones carry ?v=
    for my $p ('index.html', 'lapor.html', 'lacak.html', 'laporan.html',
        'kinerja.html')
    {
        my $html = $t->read_file("$REPO/examples/portal/$p");
        for my $u ($html =~ /(?:src|href)="(assets\/[^"]+)"/g) {
            like($u, qr/\?v=\d+$/, "$p: $u is versioned");
            (my $f = $u) =~ s/\?.*//;
            ok(-f "$REPO/examples/portal/$f", "$p: $f exists");
        }
    }

    $r = $t->http_get('/wifi/popup.js');
    like($r->{headers}{'content-type'}, qr{^application/javascript},
        'the pop-up script, as JavaScript (nosniff)');
    is($r->{headers}{'cache-control'}, 'no-cache',
        'the pop-up script is revalidated: hotspots embed it unversioned');

    $r = $t->http_get('/api/v1/catalog',
        headers => { 'Accept-Encoding' => 'gzip' });
    is($r->{headers}{'content-encoding'}, 'gzip',
        'the API\'s JSON is compressed too');

    $r = $t->http_get('/api/v1/health');
    is($r->{status}, 200, 'the API is still at /api/v1/');
    is($r->{headers}{'cache-control'}, 'no-store',
        'the API keeps its own Cache-Control');
};

subtest 'the journey in Chromium' => sub {
    my $base = $t->base_url . '/';
    my $artifacts = "$REPO/build/browser";
    local $ENV{LAPOR_ARTIFACTS} = $artifacts;

    my ($out, $in);
    my $pid = IPC::Open2::open2($out, $in, 'node',
        "$NODE_DIR/journey.mjs", $base, $TOK->{'admin-1'}, $TOK->{'pupr-1'});
    $in->autoflush(1);

    my ($done, $seen, @tokens) = (undef, 0);
    local $SIG{ALRM} = sub { kill 'TERM', $pid; die "journey timed out\n" };
    alarm 240;
    eval {
        while (my $line = <$out>) {
            chomp $line;
            if ($line =~ /^CTL (\S+)/) {
                my $cmd = $1;
                if ($cmd eq 'redis-stop') {
                    $t->stop_redis;
                } elsif ($cmd eq 'redis-start') {
                    $t->start_redis(@REDIS_ARGS);
                } elsif ($cmd eq 'overdue' && $line =~ /^CTL overdue (\d+)$/) {
                    # the deadline three days back (the view says overdue)
                    $t->redis_cmd('HSET', "lapor:{bali}:report:$1",
                        'due_at', time - 3 * 86400);
                } else {
                    die "unknown control $cmd\n";
                }
                print $in "ok\n";
            } elsif ($line =~ /^(not )?ok - (.*)$/) {
                $seen++;
                ok(!defined $1, $2);
            } elsif ($line =~ /^TOKEN (\S+)$/) {
                push @tokens, $1;
            } elsif ($line =~ /^done (\d+)$/) {
                $done = $1;
            } elsif ($line =~ /^# ?(.*)$/) {
                diag($1);
            } else {
                note($line);
            }
        }
        1;
    } or fail("journey: $@");
    alarm 0;
    close $in;
    waitpid($pid, 0);
    is($? >> 8, 0, 'journey.mjs exit code');
    ok(defined $done && $done == $seen && $seen > 50,
        "the journey ran to its end ($seen checks)");
    diag("screenshots in $artifacts") if $ENV{LAPOR_TEST_LEAVE};

    my $log = $t->read_file('access.log');
    ok(@tokens >= 6 && length $log, scalar(@tokens) . ' tokens given, '
        . 'access log read');
    is_deeply([grep { index($log, $_) >= 0 } @tokens], [],
        'no tracking token in the access log (never in an address)');
};

$t->finish;
