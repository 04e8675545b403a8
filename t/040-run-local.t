#!/usr/bin/perl

# "make run" as a developer uses it: examples/run-local.sh starts Redis with
# the shipped redis/redis.conf and redis/users.acl and nginx with the
# example configuration; the development submit limit lets a portal
# developer submit more than a handful of reports; "make reset-limits"
# clears the counters; "make reload" picks up a new officer token; Ctrl-C
# stops both.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use POSIX ();
use Lapor::Test;

my $t = Lapor::Test->new;
$t->skip_valgrind('runs the example nginx as it ships, not under valgrind');

my $repo = "$FindBin::Bin/..";
my $var = $t->testdir . '/var';
my $http_port = $t->port('http');
my $redis_port = $t->port('redis');
my $log = $t->testdir . '/run-local.log';

my %env = (
    LAPOR_PORT => $http_port,
    LAPOR_REDIS_PORT => $redis_port,
    LAPOR_VAR => $var,
);

# run-local.sh with arguments, in the foreground; (exit code, output)
sub script {
    my (@args) = @_;
    my $out = $t->testdir . '/script.out';
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        @ENV{keys %env} = values %env;
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec { '/bin/sh' } '/bin/sh', "$repo/examples/run-local.sh", @args
            or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    return ($? >> 8, $t->read_file('script.out'));
}

my $run = fork();
die "fork: $!\n" unless defined $run;
if ($run == 0) {
    @ENV{keys %env} = values %env;
    POSIX::setsid();
    open STDIN, '<', '/dev/null';
    open STDOUT, '>', $log;
    open STDERR, '>&', \*STDOUT;
    exec { '/bin/sh' } '/bin/sh', "$repo/examples/run-local.sh"
        or POSIX::_exit(127);
}

END {
    local $?;
    # the whole process group: the script, redis-server and nginx
    kill 'TERM', -$run if $run && kill 0, $run;
}

my $up = Lapor::Test::wait_until(sub {
    return -1 if waitpid($run, POSIX::WNOHANG()) != 0;
    my $r = $t->http_get('/api/v1/health', timeout => 1);
    return $r->{status} == 200;
}, 20, 0.1);
is($up, 1, 'make run answers health 200')
    or BAIL_OUT("run-local.sh did not start:\n" . $t->read_file('run-local.log'));

my %pw = map { split ' ' } split /\n/, $t->read_file('var/redis-passwords');
my %admin = (port => $redis_port, user => 'admin', password => $pw{admin});

subtest 'Redis runs the shipped configuration and ACL' => sub {
    my $cfg = $t->redis_cmd({%admin}, 'CONFIG', 'GET', 'appendonly');
    is($cfg->[1], 'yes', 'appendonly yes, as redis/redis.conf');
    $cfg = $t->redis_cmd({%admin}, 'CONFIG', 'GET', 'maxmemory-policy');
    is($cfg->[1], 'noeviction', 'noeviction, as redis/redis.conf');

    my $r = eval {
        $t->redis_cmd({port => $redis_port, password => undef}, 'PING')
    };
    ok(!defined $r || Lapor::Test::is_redis_error($r),
        'the default user is switched off');

    my @users = map { $_->{user} } $t->redis_clients(%admin);
    ok((grep { $_ eq 'lapor' } @users), 'nginx is logged in as "lapor"')
        or diag("clients: @users");
};

subtest 'the development submit limit lets a developer work' => sub {
    like($t->read_file('var/nginx/nginx.conf'),
        qr/^\s*lapor_limit submit 60r\/m burst=20;$/m,
        'nginx runs with the development limit, 80 per minute');

    # the example's production limit, 10r/h burst=5, stops at 15
    my $created = 0;
    for (1 .. 25) {
        my $r = $t->post_report($t->report_doc(
            title => "Laporan percobaan nomor $_ dari pengembang"));
        $created++ if $r->{status} == 201;
        diag("status $r->{status}: $r->{body}") if $r->{status} != 201;
    }
    is($created, 25, '25 submissions in a row are accepted');
};

subtest 'make reset-limits clears the counters' => sub {
    my @before = $t->redis_scan('lapor:{bali}:rl:*', %admin);
    ok(@before > 0, 'counters exist') or return;

    my ($rc, $out) = script('reset-limits');
    is($rc, 0, 'exit 0') or diag($out);
    like($out, qr/rate-limit counters removed: \d+/, 'says how many');

    my @after = $t->redis_scan('lapor:{bali}:rl:*', %admin);
    is(scalar @after, 0, 'no counter left');

    my $r = $t->post_report($t->report_doc);
    is($r->{status}, 201, 'the client may submit again') or diag($r->{body});
};

subtest 'make reload picks up a new officer token' => sub {
    my ($line, $token) = $t->lapor_token_script('admin', '-', 'new.admin');
    my $r = $t->http_get('/api/v1/queue',
        headers => { Authorization => "Bearer $token" });
    is($r->{status}, 401, 'unknown before the reload');

    open my $fh, '>>', "$var/tokens" or die "$var/tokens: $!\n";
    print $fh "$line\n";
    close $fh;

    my ($rc, $out) = script('reload');
    is($rc, 0, 'reload exit 0') or diag($out);

    my $ok = Lapor::Test::wait_until(sub {
        $t->http_get('/api/v1/queue',
            headers => { Authorization => "Bearer $token" })->{status} == 200;
    }, 10, 0.1);
    ok($ok, 'the new token works after make reload');
};

subtest 'bad commands and settings are refused' => sub {
    my ($rc, $out) = script('bogus');
    is($rc, 2, 'an unknown command: exit 2');
    like($out, qr/usage/, 'with the usage');

    local $env{LAPOR_SUBMIT_LIMIT} = '10r/h; deny all';
    ($rc, $out) = script('reload');
    is($rc, 1, 'a limit that is not a rate: exit 1');
    like($out, qr/invalid LAPOR_SUBMIT_LIMIT/, 'named');
};

subtest 'Ctrl-C stops nginx and Redis' => sub {
    my $nginx_pid = $t->read_file('var/nginx/nginx.pid');
    chomp $nginx_pid;
    kill 'INT', -$run;
    my $gone = Lapor::Test::wait_until(
        sub { waitpid($run, POSIX::WNOHANG()) != 0 }, 30, 0.05);
    ok($gone, 'run-local.sh ended');
    $run = undef if $gone;
    ok(!kill(0, $nginx_pid), 'nginx stopped');
    like($t->read_file('run-local.log'), qr/^stopped$/m, 'says so');

    my $errors = $t->read_file('var/nginx/logs/error.log');
    unlike($errors, qr/\[(?:alert|crit|emerg)\]/,
        'no alerts in the error log');
    my $denied = () = $errors =~ /NOPERM|no permissions/g;
    is($denied, 0, 'no command refused by the ACL');
};

$t->finish;
