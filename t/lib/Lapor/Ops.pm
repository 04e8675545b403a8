package Lapor::Ops;

# Helpers for the tests of the operations scripts (lua-free-scripts/,
# t/06x-ops-*.t): running a script under dash with the connection options
# of a test Redis, and what the scripts send to Redis.

use warnings;
use strict;

use Exporter 'import';
use POSIX ();

use Lapor::Test;

our @EXPORT_OK = qw/ ops_run ops_script ops_scripts script_commands
    acl_commands /;

our $DIR = "$Lapor::Test::REPO/lua-free-scripts";
our $DASH = '/usr/bin/dash';

sub ops_script { "$DIR/$_[0]" }

# Every script of lua-free-scripts/ and the sourced library files.
sub ops_scripts {
    opendir my $dh, $DIR or die "$DIR: $!\n";
    # the scripts, not their manual pages (lapor-token.1)
    my @f = map { "$DIR/$_" } sort grep { /^lapor-[a-z-]+$/ } readdir $dh;
    closedir $dh;
    opendir $dh, "$DIR/lib" or die "$DIR/lib: $!\n";
    push @f, map { "$DIR/lib/$_" } sort grep { !/^\./ } readdir $dh;
    closedir $dh;
    return @f;
}

# ops_run($t, 'lapor-queue', [ args ], %o): runs the script under dash
# with -p <the test Redis> and REDISCLI_AUTH of the user "reader" unless
# told otherwise.  Options: user => 'admin' (the password of that user,
# and --user), auth => '...' (REDISCLI_AUTH as given; undef: none),
# no_conn => 1 (no -p/--user added), env => { ... }, stdin => text,
# timeout (seconds, default 60).  Returns { rc, out, err }.
sub ops_run {
    my ($t, $script, $args, %o) = @_;
    my @args = @{$args || []};
    my $user = $o{user} || 'reader';
    unless ($o{no_conn}) {
        unshift @args, '-p', $t->redis_port;
        unshift @args, '--user', $user if $user ne 'reader';
    }
    my %env = %{$o{env} || {}};
    $env{REDISCLI_AUTH} = exists $o{auth} ? $o{auth}
        : $t->acl_password($user);

    my $dir = $t->testdir;
    my $n = ++$Lapor::Ops::RUN;
    my ($in, $out, $err) = map { "$dir/ops-$n.$_" } qw/ in out err /;
    $t->write_file($in, defined $o{stdin} ? $o{stdin} : '');

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', $in;
        open STDOUT, '>', $out;
        open STDERR, '>', $err;
        delete $ENV{$_} for grep { /^(LAPOR_|REDISCLI_)/ } keys %ENV;
        for my $k (keys %env) {
            if (defined $env{$k}) { $ENV{$k} = $env{$k} }
            else { delete $ENV{$k} }
        }
        $ENV{LC_ALL} = 'C.UTF-8';
        exec { $DASH } $DASH, ops_script($script), @args
            or POSIX::_exit(127);
    }
    my $limit = time + ($o{timeout} || 60);
    my $done;
    while (time < $limit) {
        $done = waitpid($pid, POSIX::WNOHANG());
        last if $done;
        select undef, undef, undef, 0.02;
    }
    unless ($done) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        die "$script @args: still running after the timeout\n";
    }
    return {
        rc => $? >> 8,
        out => $t->read_file($out),
        err => $t->read_file($err),
    };
}

# The Redis commands the scripts send (of those named, and the library): the command words of lapor_call,
# and of the command lines they print for lapor_send or a pipeline
# (printf 'CMD ...' in shell, printf "CMD ..." in awk), as
# { COMMAND => [ 'script:line', ... ] }.
# Only the scripts named (and the library, unless the first argument is
# { lib => 0 }), when names are given.  A subcommand is given as
# "XGROUP|CREATE", as users.acl writes it.
sub script_commands {
    my (@only) = @_;
    my $o = ref $only[0] ? shift @only : { lib => 1 };
    my (%found, %only);
    %only = map { ("$DIR/$_" => 1) } @only;
    for my $file (ops_scripts()) {
        next if @only && !$only{$file} && !($o->{lib} && $file =~ m{/lib/});
        (my $name = $file) =~ s{^\Q$DIR\E/}{};
        open my $fh, '<', $file or die "$file: $!\n";
        while (my $line = <$fh>) {
            next if $line =~ /^\s*#/;
            while ($line =~ /(?:\blapor_call\s+|\btry_redis\s+|\blapor_cli\s+|\bset\s+--\s+|printf\s+'|printf\s*\(?\s*"|print\s+")([A-Z][A-Z]+)\b(?:\s+([A-Z][A-Z]+)\b)?/g) {
                my ($cmd, $sub) = ($1, $2);
                $cmd .= "|$sub"
                    if defined $sub && $cmd =~ /^(?:XGROUP|CONFIG|ACL|LATENCY|COMMAND)$/;
                push @{$found{$cmd}}, "$name:$.";
            }
        }
        close $fh;
    }
    return \%found;
}

# The commands a user of the shipped users.acl may run: { CMD => 1 }, and
# its whole rule text.
sub acl_commands {
    my ($t, $user) = @_;
    my $acl = $t->read_file("$Lapor::Test::REPO/redis/users.acl");
    my ($rules) = $acl =~ /^user \Q$user\E (.*)$/m;
    return (undef, undef) unless defined $rules;
    (my $flat = $rules) =~ tr/()//d;
    my %allowed = map { /^\+([a-z]+(?:\|[a-z]+)?)$/ ? (uc $1 => 1) : () }
        split ' ', $flat;
    return (\%allowed, $rules);
}

1;
