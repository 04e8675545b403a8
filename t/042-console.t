#!/usr/bin/perl

# The officers' console of examples/console/, served at /console/ by the
# example configuration examples/nginx.conf as shipped (only its paths,
# ports and rate limits adjusted), checked over HTTP (the portal's security
# headers, no cookie, no inline script) and then in headless Chromium by
# t/browser/console.mjs: signing in with a pasted token (kept in
# sessionStorage, never in the URL or a cookie) and out; an admin
# dispatches a new report from the queue with the keyboard; the agency's
# officer sees it in its inbox (overdue, made so by the harness), responds
# and follows up; the admin's overdue queue loses it without a reload;
# checked against the API and Redis; an agency officer refused another
# agency's report (403 shown); an anonymous reporter's identity nowhere
# in the agency's DOM; two consoles on one report (one wins, the other
# shows the 412 message); the dashboard; axe-core (WCAG 2.1 AA);
# screenshots at 1280x800 and 768x1024 under build/browser/.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use IPC::Open2 ();
use JSON::PP ();
use POSIX ();

use Lapor::Test;

my $REPO = "$FindBin::Bin/..";
my $NODE_DIR = "$FindBin::Bin/browser";

plan skip_all => 'the browser tests need node, /usr/bin/chromium and '
    . 'npm ci in t/browser (make test does both)'
    unless -x '/usr/bin/chromium' && -d "$NODE_DIR/node_modules/puppeteer-core"
    && system('node --version >/dev/null 2>&1') == 0;

my $t = Lapor::Test->new;
$t->skip_valgrind('the console is about the pages, not memory; '
    . 'the API it uses is covered under valgrind by the other files');

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin',
    'pupr-1' => 'pupr-kim', 'dinkes-1' => 'dinkes' });

# Redis keeps its data across the stop (TERM) and start of the journey:
# the shipped settings keep an append-only file.
my @REDIS_ARGS = ();
$t->start_redis(@REDIS_ARGS);

# examples/nginx.conf as shipped, pointed at this test's files.
$t->write_example_conf;
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

subtest 'the console is served at /console/ with the portal headers' => sub {
    my $r = $t->http_get('/console');
    is($r->{status}, 301, '/console redirects');
    is($r->{headers}{location}, '/console/', '... to /console/');

    for my $p ('/console/', '/console/index.html',
        '/console/assets/console.js', '/console/assets/i18n.js',
        '/console/assets/console.css', '/assets/workdays.js')
    {
        $r = $t->http_get($p);
        is($r->{status}, 200, "$p 200");
        my $csp = $r->{headers}{'content-security-policy'} || '';
        like($csp, qr/script-src 'self'(;|$)/, "$p CSP: scripts from the host");
        unlike($csp, qr/unsafe-inline|unsafe-eval/, "$p CSP: nothing inline");
        like($csp, qr/frame-ancestors 'none'/, "$p CSP: no framing");
        is($r->{headers}{'x-content-type-options'}, 'nosniff', "$p nosniff");
        is($r->{headers}{'referrer-policy'}, 'no-referrer', "$p no Referer");
        ok(!exists $r->{headers}{'set-cookie'}, "$p no cookie");
    }

    $r = $t->http_get('/console/');
    like($r->{headers}{'content-type'}, qr{^text/html; charset=utf-8},
        'html in UTF-8');
    is($r->{headers}{'cache-control'}, 'no-cache', 'revalidated at every use');
    unlike($r->{body}, qr/<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    unlike($r->{body}, qr/\son[a-z]+\s*=/i, 'no inline event handler');
    unlike($r->{body}, qr/\sstyle\s*=/i, 'no inline style');
    unlike($r->{body}, qr{(?:src|href)="(?:https?:)?//}i,
        'nothing from another host');
    like($t->http_get('/console/assets/console.js')->{headers}{'content-type'},
        qr{^application/javascript}, 'scripts as application/javascript');

    # every asset the page names exists, and versioned ones carry ?v=
    my $html = $t->read_file("$REPO/examples/console/index.html");
    for my $u ($html =~ /(?:src|href)="((?:\.\.\/)?assets\/[^"]+)"/g) {
        like($u, qr/\?v=\d+$/, "$u is versioned");
        (my $f = $u) =~ s/\?.*//;
        my $file = $f =~ s{^\.\./}{} ? "$REPO/examples/portal/$f"
            : "$REPO/examples/console/$f";
        ok(-f $file, "$u exists");
    }
    my $js = $t->read_file("$REPO/examples/console/assets/console.js");
    unlike($js, qr/document\.cookie|localStorage\.setItem\(TOKEN|innerHTML/,
        'the script writes no cookie, keeps no token in localStorage, '
        . 'parses no HTML');
};

# The harness's side of the console's checks: Redis commands (answered as
# JSON) and a follow-up deadline moved into the past.
sub control_line {
    my ($line) = @_;
    my ($cmd, $arg) = $line =~ /^CTL (\S+)\s*(.*)$/;
    if ($cmd eq 'redis') {
        my $r = $t->redis_cmd(@{JSON::PP::decode_json($arg)});
        $r = ref $r eq 'HASH' ? [%$r] : $r;
        return JSON::PP->new->canonical->allow_nonref->encode($r);
    }
    if ($cmd eq 'overdue') {
        # as an operator would find a report a week late: the hash and
        # every index of its deadline (score due_at * 2^20 + (id & 0xFFFFF))
        my $id = $arg + 0;
        my $P = 'lapor:{bali}:';
        my $h = $t->report_hash("${P}report:$id");
        my $due = time - 7 * 86400;
        $t->redis_cmd('HSET', "${P}report:$id", 'due_at', $due);
        my $score = $t->queue_score($due, $id);
        for my $key ("deadlines:$h->{status}",
            "inbox:$h->{agency}", "inbox:$h->{agency}:$h->{status}")
        {
            $t->redis_cmd('ZADD', "$P$key", $score, $id);
        }
        return 'ok';
    }
    die "unknown control $cmd\n";
}

subtest 'the console in Chromium' => sub {
    my $base = $t->base_url . '/';
    my $artifacts = "$REPO/build/browser";
    local $ENV{LAPOR_ARTIFACTS} = $artifacts;

    my ($out, $in);
    my $pid = IPC::Open2::open2($out, $in, 'node',
        "$NODE_DIR/console.mjs", $base, $TOK->{'admin-1'}, $TOK->{'pupr-1'},
        $TOK->{'dinkes-1'});
    $in->autoflush(1);

    my ($done, $seen) = (undef, 0);
    local $SIG{ALRM} = sub { kill 'TERM', $pid; die "console timed out\n" };
    alarm 300;
    eval {
        while (my $line = <$out>) {
            chomp $line;
            if ($line =~ /^CTL /) {
                print $in control_line($line), "\n";
            } elsif ($line =~ /^(not )?ok - (.*)$/) {
                $seen++;
                ok(!defined $1, $2);
            } elsif ($line =~ /^done (\d+)$/) {
                $done = $1;
            } elsif ($line =~ /^# ?(.*)$/) {
                diag($1);
            } else {
                note($line);
            }
        }
        1;
    } or fail("console: $@");
    alarm 0;
    close $in;
    waitpid($pid, 0);
    is($? >> 8, 0, 'console.mjs exit code');
    ok(defined $done && $done == $seen && $seen > 50,
        "the console checks ran to their end ($seen checks)");
    diag("screenshots in $artifacts") if $ENV{LAPOR_TEST_LEAVE};
};

$t->finish;
