#!/usr/bin/perl

# docs/install.md's "Configuration" as a new installation follows it: the
# files made with its own commands, its minimal configuration (the blocks
# marked <!-- t/043-install-doc.t: ... -->) accepted by nginx -t and
# answering health with a real Redis and the doc's Redis user.  Only paths,
# the port and the Redis address are replaced; the lines the doc leaves to
# the rest of nginx.conf (load_module, events, logs, temp paths) are added
# around its block, never a lapor directive.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Lapor::Test;

my $t = Lapor::Test->new;
my $dir = $t->testdir;
my $repo = $Lapor::Test::REPO;
my $doc = $t->read_file("$repo/docs/install.md");

# The code block after a marker, without its indentation.
sub doc_block {
    my ($name) = @_;

    my ($indent, $body) = $doc =~ m{
        <!--\ t/043-install-doc\.t:\ \Q$name\E\ -->\n
        (\ *)```[a-z]*\n
        (.*?)\n
        \1```
    }xs or BAIL_OUT("docs/install.md has no block marked $name");

    $body =~ s/^$indent//mg;
    return $body;
}

# Replaces $from with $to in $text, failing when the doc no longer says it.
sub replace {
    my ($text, $from, $to, $what) = @_;
    ok(index($text, $from) >= 0, "the $what block has \"$from\"");
    $text =~ s/\Q$from\E/$to/g;
    return $text;
}

my $files = doc_block('configuration-files');
$files = replace($files, '/etc/nginx/lapor', "$dir/lapor", 'files');
$files = replace($files, '/path/to/ngx_lapor', $repo, 'files');

my $http = doc_block('minimal-configuration');
like($http, qr/\Ahttp \{\n.*\n\}\z/s, 'the configuration is an http block');
$http = replace($http, '/etc/nginx/lapor', "$dir/lapor", 'configuration');
$http = replace($http, 'listen 80;', 'listen 127.0.0.1:%%PORT%%;',
    'configuration');
$http = replace($http, '127.0.0.1:6380', '127.0.0.1:%%REDIS_PORT%%',
    'configuration');

# what the rest of a packaged nginx.conf provides
my $around = <<'EOF';
    access_log %%TESTDIR%%/access.log;
    client_body_temp_path %%TESTDIR%%/client_body_temp;
    proxy_temp_path %%TESTDIR%%/proxy_temp;
    fastcgi_temp_path %%TESTDIR%%/fastcgi_temp;
    uwsgi_temp_path %%TESTDIR%%/uwsgi_temp;
    scgi_temp_path %%TESTDIR%%/scgi_temp;
EOF
$http =~ s/\Ahttp \{\n/http {\n$around/;

my $conf = <<"EOF";
load_module %%MODULE%%;
daemon off;
pid %%TESTDIR%%/nginx.pid;
error_log %%TESTDIR%%/error.log info;

events {
    worker_connections 64;
}

$http
EOF

subtest 'the commands make the catalog and the identity key' => sub {
    my $out = $t->_run_capture('/bin/sh', '-e', '-c', $files);
    is($? >> 8, 0, 'the commands succeed') or diag($out);
    ok(-s "$dir/lapor/catalog.json", 'catalog.json');
    like($t->read_file("$dir/lapor/identity.key"), qr/\A[0-9a-f]{64}\z/,
        'identity.key: 64 hex digits');
};

subtest 'nginx -t accepts the minimal configuration' => sub {
    my ($rc, $out) = $t->nginx_t($conf, full => 1);
    is($rc, 0, 'nginx -t') or diag($out);
    unlike($out, qr/\[(?:emerg|alert|crit)\]/, 'no emerg') or diag($out);
};

subtest 'it serves health with the doc\'s Redis user' => sub {
    $t->start_redis;

    # the doc's user=lapor password=secret, allowed what health needs
    my $r = $t->redis_cmd('ACL', 'SETUSER', 'lapor', 'on', '>secret',
        '+ping');
    is($r, 'OK', 'ACL SETUSER lapor');

    $t->write_conf($conf, full => 1);
    $t->start_nginx;

    is($t->wait_status('/api/v1/health', 200, 10)->{status}, 200,
        'health 200');
    my $h = $t->http_get('/api/v1/health');
    is($h->{json}{status}, 'ok', 'status ok');
    is($h->{json}{namespace}, 'bali', 'the namespace of the doc');
};

# The tokens block, then examples/nginx.conf as the doc points to it: it
# names the tokens file, so without the block nginx -t fails; with it the
# admin's token reads the queue.
my $tokens = doc_block('tokens-file');
$tokens = replace($tokens, '/etc/nginx/lapor/tokens', "$dir/tokens", 'tokens');
$tokens = replace($tokens, 'lapor-token ', "$repo/lua-free-scripts/lapor-token ",
    'tokens');

subtest 'examples/nginx.conf needs the tokens file the doc makes' => sub {
    $t->stop_nginx;

    unlink "$dir/tokens";
    my $example = $t->write_example_conf;
    my $out = $t->_run_capture($Lapor::Test::NGINX, '-t', '-q', '-p', "$dir/",
        '-c', $example, '-e', "$dir/t-example.log");
    isnt($? >> 8, 0, 'without the tokens file, nginx -t fails');
    like($out . $t->read_file("$dir/t-example.log"),
        qr/"lapor_tokens" cannot open "\Q$dir\E\/tokens"/,
        'naming lapor_tokens and the file');

    $out = $t->_run_capture('/bin/sh', '-e', '-c', $tokens);
    is($? >> 8, 0, 'the commands succeed') or diag($out);
    my ($token) = $out =~ /^token: (\S+)$/m;
    ok(defined $token, 'lapor-token printed the token');
    is((stat "$dir/tokens")[2] & 0777, 0600, 'the file is 0600');
    like($t->read_file("$dir/tokens"),
        qr/\A[0-9a-f]{64} admin - first\.admin\n\z/, 'one admin line');

    $t->start_nginx;
    is($t->wait_status('/api/v1/health', 200, 10)->{status}, 200,
        'health 200 with the example configuration');
    my $q = $t->http_get('/api/v1/queue',
        headers => { Authorization => "Bearer $token" });
    is($q->{status}, 200, "the admin's token reads the queue")
        or diag($q->{content});
};

$t->finish;
