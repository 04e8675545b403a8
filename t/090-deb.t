#!/usr/bin/perl

# The Debian package, installed on this machine: `apt-get install ./...deb`
# puts the module under /usr/lib/nginx/modules, its load snippet under
# /usr/share/nginx/modules-available and enables it in
# /etc/nginx/modules-enabled; `nginx -t` accepts a configuration that loads
# the module through that snippet and uses the installed example catalog;
# an nginx started with it answers 200 on GET health from a real Redis.
# lapor-token and its manual page are installed, and the machine's own
# /etc/nginx/nginx.conf, which now loads the module, still passes nginx -t.  The package is purged
# again at the end, unless it was installed before the test.
#
# This test changes the system, so it runs only when LAPOR_DEB names the
# .deb and it runs as root: `make test-deb` (part of `make test`) builds
# the package and runs it; `prove -r t/` alone skips it.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $deb = $ENV{LAPOR_DEB};

plan skip_all => 'set LAPOR_DEB to the .deb (make test-deb)'
    unless $deb;
plan skip_all => 'installing a package needs root' if $> != 0;
BAIL_OUT("LAPOR_DEB: no such file $deb") unless -f $deb;

my $pkg = 'libnginx-mod-http-lapor';
my $so = '/usr/lib/nginx/modules/ngx_http_lapor_module.so';
my $snippet = '/usr/share/nginx/modules-available/mod-http-lapor.conf';
my $enabled = '/etc/nginx/modules-enabled/50-mod-http-lapor.conf';
my $doc = "/usr/share/doc/$pkg";

my $was_installed;

sub installed {
    my $s = `dpkg-query -W -f='\${Status}' $pkg 2>/dev/null`;
    return defined $s && $s =~ / installed$/;
}

sub apt {
    my (@args) = @_;
    local $ENV{DEBIAN_FRONTEND} = 'noninteractive';
    my $out = `apt-get -y -q -o DPkg::Lock::Timeout=300 @args 2>&1`;
    return ($? >> 8, $out);
}

$was_installed = installed();

END {
    local $?;
    # leave the machine as it was, also when the test died half-way
    if (defined $was_installed && !$was_installed && installed()) {
        my ($rc, $out) = apt('purge', $pkg);
        diag("apt-get purge $pkg failed:\n$out") if $rc;
    }
}

my $t = Lapor::Test->new(no_module_check => 1);

my $abs = $deb =~ m{^/} ? $deb : "$Lapor::Test::REPO/$deb";
my ($rc, $out) = apt('install', '--reinstall', $abs);
is($rc, 0, "apt-get install $deb") or diag($out);
ok(installed(), "$pkg is installed");

subtest 'files and the enabled snippet' => sub {
    ok(-f $so, "the module at $so");
    ok(-f $snippet, "the load snippet at $snippet");
    is($t->read_file($snippet),
        "load_module modules/ngx_http_lapor_module.so;\n",
        'the snippet loads the module from nginx\'s modules directory');
    ok(-l $enabled, "enabled as $enabled");
    is(readlink($enabled), $snippet, 'the link points at the snippet');
    ok(-x '/usr/bin/lapor-token', 'lapor-token in /usr/bin');
    ok(-f '/usr/share/man/man1/lapor-token.1.gz', 'its manual page');
    ok(-x '/usr/bin/lapor-aof-check', 'lapor-aof-check in /usr/bin');
    ok(-f '/usr/share/man/man1/lapor-aof-check.1.gz', 'its manual page');
    ok(-f "$doc/examples/catalog.json", 'the example catalog');
    ok(-f "$doc/examples/nginx.conf", 'the example nginx.conf');
    ok(-f "$doc/examples/portal/index.html", 'the example portal');
    ok(-f "$doc/docs/api.md.gz" || -f "$doc/docs/api.md",
        'the API documentation');
    ok(-f "$doc/copyright", 'the copyright file');
};

# the machine's own configuration now loads the module too (Debian's
# nginx.conf includes modules-enabled/*.conf) and must stay valid
my $sys = `/usr/sbin/nginx -t -q 2>&1`;
is($? >> 8, 0, 'nginx -t of /etc/nginx/nginx.conf with the module enabled')
    or diag($sys);

subtest 'lapor-token works as installed' => sub {
    my $line = `/usr/bin/lapor-token agency pupr-kim deb.test 2>/dev/null`;
    like($line, qr/^[0-9a-f]{64} agency pupr-kim deb\.test\n\z/,
        'prints the tokens-file line');
    my $man = `man -l /usr/share/man/man1/lapor-token.1.gz 2>&1`;
    like($man, qr/lapor-token\s+-\s+make an ngx_lapor officer token/,
        'the manual page renders');
};

subtest 'lapor-aof-check works as installed' => sub {
    my $dir = $t->testdir . '/aof-empty';
    mkdir $dir;
    my $out = `/usr/bin/lapor-aof-check --fix --quiet '$dir' 2>&1`;
    is($? >> 8, 0, 'a directory without an AOF yet: exit 0');
    is($out, '', 'nothing said (--quiet)');
    $out = `/usr/bin/lapor-aof-check 2>&1`;
    is($? >> 8, 2, 'no PATH: exit 2');
    my $man = `man -l /usr/share/man/man1/lapor-aof-check.1.gz 2>&1`;
    like($man, qr/lapor-aof-check\s+-\s+cut what a crash left/,
        'the manual page renders');

    # the drop-in of redis/README.md, as given, finds the installed script
    my $readme = $t->read_file("$Lapor::Test::REPO/redis/README.md");
    my ($pre) = $readme =~ /^\s*(ExecStartPre=.*lapor-aof-check.*)$/m;
    ok($pre, 'redis/README.md has the drop-in') or return;
    SKIP: {
        skip 'no systemd-analyze', 2
            unless system('command -v systemd-analyze >/dev/null') == 0;
        my $unit = $t->testdir . '/aof-check-probe.service';
        $t->write_file($unit, "[Unit]\nDescription=probe\n[Service]\n"
            . "$pre\nExecStart=/bin/true\n");
        my $v = `systemd-analyze verify '$unit' 2>&1`;
        unlike($v, qr/lapor-aof-check.*(?:not executable|No such)/,
            "systemd resolves \"$pre\"") or diag($v);
        $t->write_file($unit, "[Unit]\nDescription=probe\n[Service]\n"
            . "ExecStartPre=lapor-aof-check-missing --quiet /x\n"
            . "ExecStart=/bin/true\n");
        $v = `systemd-analyze verify '$unit' 2>&1`;
        like($v, qr/lapor-aof-check-missing.*No such file/,
            'and would say so of a script it cannot find');
    }
};

# nginx's prefix here is the test directory: "modules" must lead to
# /usr/lib/nginx/modules as /usr/share/nginx/modules does
symlink('/usr/lib/nginx/modules', $t->testdir . '/modules')
    or die "symlink: $!\n";

$t->start_redis;

my $http = <<"EOF";
    lapor_redis %%REDIS%%;
    lapor_namespace bali;
    lapor_catalog $doc/examples/catalog.json;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
my %opts = (no_module => 1, main => "include $enabled;");

my ($trc, $tout) = $t->nginx_t($http, %opts);
is($trc, 0, 'nginx -t with the installed module and catalog')
    or diag($tout);

$t->write_conf($http, %opts);
$t->start_nginx;

my $r = $t->wait_status('/api/v1/health', 200, 10);
is($r->{status}, 200, 'GET /api/v1/health answers 200') or diag($r->{body});
is($r->{json} && $r->{json}{redis}{state}, 'ready', 'Redis is ready');

$r = $t->http_get('/api/v1/catalog');
is($r->{status}, 200, 'GET catalog answers 200 from the installed catalog');
ok($r->{json} && ref $r->{json}{agencies} eq 'ARRAY'
    && @{$r->{json}{agencies}}, 'with the example agencies');

$t->stop_nginx;

SKIP: {
    skip 'the package was installed before the test: left installed', 3
        if $was_installed;

    my ($prc, $pout) = apt('purge', $pkg);
    is($prc, 0, "apt-get purge $pkg") or diag($pout);
    ok(!-e $so, 'the module is gone');
    ok(!-e $enabled && !-l $enabled, 'and its link in modules-enabled');
}

$t->finish;
