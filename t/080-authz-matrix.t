#!/usr/bin/perl

# The authorization matrix: every REST endpoint and method that takes a
# token, for every kind of caller (the public, the reporter of this report,
# the reporter of another report, an officer of the report's agency, an
# officer of another agency, an admin, a revoked officer token, a malformed
# Authorization header), on every kind of report (normal, anonymous,
# confidential, both).  The expected status and problem type come from the
# rules of docs/api.md, written out below ("Officers and reporters", the
# views of GET reports/{id}, "Order of checks of an action", GET queue,
# GET reports), not from what the module answered.  Every answer's raw
# body is searched for what that caller may not read: the reporter's name
# and contact, a confidential report's text, the words only officers and
# the reporter see, any token and any token hash stored in Redis.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw/ sha256_hex /;
use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'authz';
my $P = "lapor:{$NS}:";

# the report's agency (dispatched to) and another one
my ($AGENCY, $OTHER) = ('pupr-kim', 'dinkes');

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => $AGENCY,
    'dinkes-1' => $OTHER, 'revoked-1' => 'admin' });

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_timeout 2s;
    lapor_namespace authz;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

# Revoke "revoked-1": its line leaves the file, nginx reloads.  Valgrind
# mode cannot reload: the token is then one that was never in the file,
# which is what a revoked token is to the module after the reload.
{
    my $file = $t->read_file('tokens');
    $file =~ s/^.*\brevoked-1\n//m or die "no revoked-1 line\n";
    $t->write_file('tokens', $file);
    if ($t->valgrind) {
        # no reload: the running nginx still knows the token, so the
        # caller gets one of the same form that was never in the file
        $TOK->{'revoked-1'} = 'tok-' . substr(Lapor::Test::new_key(), 0, 40);
    } else {
        # the old workers, which still know the token, must be gone
        $t->wait_pids_gone($t->tmo(10), $t->reload);
    }
    $t->wait_status('/api/v1/health', 200, 10);
}

###############################################################################
# Reports, each with its own planted strings.

my @KINDS = qw/ normal anonymous confidential both /;
my $seq = 0;

# A report of a kind, with unique strings in every field one may hide.
sub submit {
    my ($kind) = @_;
    # three letters: no report's strings are a prefix of another's
    my $q = ++$seq;
    my $n = join '', map { chr(ord('a') + int($q / 26 ** $_) % 26) } 2, 1, 0;
    my %s = (
        name => "Nama Rahasia \u$n",
        contact => "kontak.$kind.$n\@contoh.id",
        title => "Judul laporan $kind nomor $n",
        body => "Isi laporan $kind nomor $n yang panjang dan rinci sekali.",
        place => "Tempat kejadian $kind $n",
    );
    my $r = $t->post_report($t->report_doc(
        title => $s{title}, body => $s{body},
        location => { text => $s{place} },
        anonymous => ($kind eq 'anonymous' || $kind eq 'both')
            ? JSON::PP::true : JSON::PP::false,
        confidential => ($kind eq 'confidential' || $kind eq 'both')
            ? JSON::PP::true : JSON::PP::false,
        reporter => { name => $s{name}, contact => $s{contact} }));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    return { kind => $kind, id => $r->{json}{id},
        track => $r->{json}{tracking_token}, s => \%s, state => 'submitted',
        anonymous => ($kind eq 'anonymous' || $kind eq 'both'),
        confidential => ($kind eq 'confidential' || $kind eq 'both') };
}

# Words of actions, by who may read them (docs/api.md, GET .../events).
my %WORDS;

sub act {
    my ($rep, $action, $token, $body) = @_;
    my $r = $t->report_action($rep->{id}, $action, token => $token,
        body => $body);
    die "$action on $rep->{id}: $r->{status} $r->{body}\n"
        unless $r->{status} == 200;
    $rep->{state} = $r->{json}{status};
    return $r;
}

# Brings a report to a state along the workflow, with words on the way:
# the dispatch message (public, masked) and a clarify by the admin.
sub bring {
    my ($rep, $state) = @_;
    return if $state eq 'submitted';
    my $msg = "Pesan disposisi $rep->{id} untuk dinas.";
    act($rep, 'dispatch', $TOK->{'admin-1'},
        { agency => $AGENCY, message => $msg });
    push @{$rep->{public_words}}, $msg;
    return if $state eq 'dispatched';
    act($rep, 'respond', $TOK->{'pupr-1'},
        { message => "Tanggapan dinas $rep->{id} sedang dikerjakan." });
    push @{$rep->{public_words}},
        "Tanggapan dinas $rep->{id} sedang dikerjakan.";
    return if $state eq 'in_progress';
    act($rep, 'follow_up', $TOK->{'pupr-1'},
        { message => "Tindak lanjut $rep->{id} sudah selesai." });
    push @{$rep->{public_words}}, "Tindak lanjut $rep->{id} sudah selesai.";
    return if $state eq 'followed_up';
    die "bring: $state\n";
}

###############################################################################
# Callers.

my @CALLERS = qw/ public reporter other_reporter agency other_agency admin
    revoked malformed /;

# The headers of a caller on a report ($other: a report of someone else).
sub auth {
    my ($caller, $rep, $other) = @_;
    my $token = {
        public => undef,
        reporter => $rep && $rep->{track},
        other_reporter => $other && $other->{track},
        agency => $TOK->{'pupr-1'},
        other_agency => $TOK->{'dinkes-1'},
        admin => $TOK->{'admin-1'},
        revoked => $TOK->{'revoked-1'},
    }->{$caller};
    return { Authorization => 'Basic YWRtaW46YWRtaW4=' }
        if $caller eq 'malformed';
    return defined $token ? { Authorization => "Bearer $token" } : {};
}

###############################################################################
# Leaks: strings in a raw body that its reader may not see.

my (@ALL, %SECRET_TOKENS);

# Every token and every token hash: never in any answer (the tracking
# token is in its 201 only).
sub token_secrets {
    my %s;
    for my $tok (values %$TOK, map { $_->{track} } @ALL) {
        $s{$tok} = 'a token';
        $s{sha256_hex($tok)} = 'a token hash';
        $s{uc sha256_hex($tok)} = 'a token hash';
    }
    # and whatever 64-hex-digit value a report's hash holds
    for my $rep (@ALL) {
        my $h = $t->redis_cmd('HGETALL', "${P}report:$rep->{id}");
        for my $v (ref $h eq 'ARRAY' ? @$h : ()) {
            $s{$v} = 'a hash stored with the report'
                if defined $v && $v =~ /^[0-9a-fA-F]{64}$/;
        }
    }
    return \%s;
}

# What a caller may read of a report in an answer that shows it (status
# 200): 'all', 'agency' (all but the identity of an anonymous report),
# 'public' (no contact, no name of an anonymous report, none of a
# confidential report's text and words but the public ones).
sub readable {
    my ($caller, $rep, $status) = @_;
    return 'nothing' if $status != 200;
    return 'all' if $caller eq 'admin' || $caller eq 'reporter';
    return 'agency' if $caller eq 'agency';
    return 'public';
}

# The planted strings a reader with this access may not see in an answer
# about $rep; the other reports' strings are checked by the caller.
sub forbidden {
    my ($rep, $access) = @_;
    my $s = $rep->{s};
    my @f;
    return () if $access eq 'all';
    if ($access eq 'agency') {
        push @f, $s->{name}, $s->{contact} if $rep->{anonymous};
        return @f;
    }
    if ($access eq 'public') {
        push @f, $s->{contact};
        push @f, $s->{name} if $rep->{anonymous} || $rep->{confidential};
        push @f, @$s{qw/ title body place /}, @{$rep->{public_words} || []}
            if $rep->{confidential};
        push @f, @{$rep->{private_words} || []};
        return @f;
    }
    # an error: nothing of any report
    return (@$s{qw/ name contact title body place /},
        @{$rep->{public_words} || []}, @{$rep->{private_words} || []});
}

my @LEAKS;

sub check_body {
    my ($what, $res, @strings) = @_;
    my $tokens = $SECRET_TOKENS{all} ||= token_secrets();
    for my $str (@strings) {
        push @LEAKS, "$what: has '$str'" if index($res->{body}, $str) >= 0;
    }
    for my $str (keys %$tokens) {
        push @LEAKS, "$what: has $tokens->{$str}"
            if index($res->{body}, $str) >= 0;
    }
}

###############################################################################
# The expected answer, from the rules of docs/api.md.

# GET/HEAD reports/{id} and reports/{id}/events: [status, problem type].
sub expect_read {
    my ($caller, $rep) = @_;
    # "An Authorization header that is not Bearer <token> ... 401"
    return [401, 'invalid-token'] if $caller eq 'malformed';
    # without a token: the public view
    return [200] if $caller eq 'public';
    return [200] if $caller eq 'reporter' || $caller eq 'admin';
    # "A tracking token used on another report is answered with 401";
    # "An officer token removed from the file (revoked) counts as a
    # tracking token ...: reading a report ... 401"
    return [401, 'invalid-token']
        if $caller eq 'other_reporter' || $caller eq 'revoked';
    # "An agency token on a report that is not with its agency, or on a
    # report an admin has not dispatched yet, ... 403 not-your-agency"
    my $with = { dispatched => 1, in_progress => 1, followed_up => 1,
        closed => 1 }->{$rep->{state}};
    return [200] if $caller eq 'agency' && $with;
    return [403, 'not-your-agency'];
}

my %WHO = (
    dispatch => 'admin', defer => 'admin', archive => 'admin',
    respond => 'agency', clarify => 'agency admin', follow_up => 'agency',
    not_authority => 'agency', comments => 'reporter',
    feedback => 'reporter',
);

# POST reports/{id}/{action} on a report in a state the action is allowed
# from, with a valid body and no If-Match ("Order of checks of an action").
sub expect_action {
    my ($caller, $action) = @_;
    my %who = map { $_ => 1 } split ' ', $WHO{$action};
    my $officers_only = !$who{reporter};

    # 2. none, or not Bearer <token>
    return [401, 'invalid-token']
        if $caller eq 'public' || $caller eq 'malformed';
    # 3. a tracking, unknown or revoked token on an officers' action: 401;
    #    an officer whose role may not take it: 403 forbidden
    if ($caller =~ /^(?:reporter|other_reporter|revoked)$/) {
        return [401, 'invalid-token'] if $officers_only;
    } elsif ($caller eq 'admin') {
        return [403, 'forbidden'] unless $who{admin};
    } else {
        return [403, 'forbidden'] unless $who{agency};
    }
    # 7. the report: a tracking token that is not this report's: 401; an
    #    agency token on a report not with its agency: 403 not-your-agency
    return [401, 'invalid-token']
        if $caller eq 'other_reporter' || $caller eq 'revoked';
    return [403, 'not-your-agency'] if $caller eq 'other_agency';
    # 9.-11. the state allows it (chosen so): 200
    return [200];
}

my %BODY = (
    dispatch => { agency => $AGENCY },
    defer => { reason => 'Mohon lengkapi lokasi yang tepat.' },
    archive => { reason => 'Laporan ganda dari laporan lain.' },
    respond => { message => 'Kami tinjau minggu ini.' },
    clarify => { message => 'Mohon kirim foto lokasi.' },
    follow_up => { message => 'Sudah diperbaiki.' },
    not_authority => { reason => 'Bukan kewenangan dinas kami.' },
    comments => { message => 'Terima kasih atas tanggapannya.' },
    feedback => { rating => 4, resolved => 'yes' },
);

# the state each action is taken from in the matrix
my %FROM = (
    dispatch => 'submitted', defer => 'submitted', archive => 'submitted',
    respond => 'dispatched', clarify => 'dispatched',
    follow_up => 'in_progress', not_authority => 'dispatched',
    comments => 'dispatched', feedback => 'followed_up',
);

sub check_answer {
    my ($what, $res, $want, $method) = @_;
    my $ok = $res->{status} == $want->[0];
    if ($ok && $want->[1] && $method ne 'HEAD') {
        $ok = ($res->{json}{type} || '') eq "urn:lapor:problem:$want->[1]"
            && ($res->{headers}{'content-type'} || '')
                =~ m{^application/problem\+json};
    }
    if ($ok && $want->[0] == 401) {
        $ok = ($res->{headers}{'www-authenticate'} || '')
            eq 'Bearer error="invalid_token"';
    }
    return 1 if $ok;
    push @LEAKS, sprintf "%s: %s %s, want %s %s", $what, $res->{status},
        ($res->{json} && $res->{json}{type}) || '', $want->[0],
        $want->[1] || '';
    return 0;
}

###############################################################################
# 1. Reading: GET and HEAD of reports/{id} and its events, on reports of
#    every kind, submitted and dispatched, words of every audience planted.

my %READ;

for my $kind (@KINDS) {
    for my $state (qw/ submitted dispatched /) {
        my $rep = submit($kind);
        push @ALL, $rep;
        bring($rep, $state);
        if ($state eq 'dispatched') {
            # words only the reporter and officers read (comments), and
            # only officers (not_authority is tested in the actions)
            my $c = "Komentar pelapor $rep->{id} hanya untuk petugas.";
            act($rep, 'comments', $rep->{track}, { message => $c });
            push @{$rep->{private_words}}, $c;
        }
        $READ{"$kind/$state"} = $rep;
    }
}

# the other reporter: of a report of its own
my $STRANGER = submit('normal');
push @ALL, $STRANGER;

my $cells = 0;
@LEAKS = ();

for my $key (sort keys %READ) {
    my $rep = $READ{$key};
    for my $caller (@CALLERS) {
        my $want = expect_read($caller, $rep);
        my $h = auth($caller, $rep, $STRANGER);
        for my $method (qw/ GET HEAD /) {
            for my $path ("/api/v1/reports/$rep->{id}",
                "/api/v1/reports/$rep->{id}/events")
            {
                my $what = "$method $path ($key) by $caller";
                my $res = $t->http_request($method, $path, headers => $h);
                $cells++;
                check_answer($what, $res, $want, $method);
                next if $method eq 'HEAD';
                my $access = readable($caller, $rep, $res->{status});
                # the planted strings are where readers may see them: the
                # search for them below is not vacuous
                my @must = $path =~ /events$/ ? ()
                    : $access eq 'all' ? @{$rep->{s}}{qw/ name contact title /}
                    : $access eq 'public' && !$rep->{confidential}
                        ? ($rep->{s}{title},
                           $rep->{anonymous} ? () : $rep->{s}{name})
                    : ();
                for my $str (@must) {
                    push @LEAKS, "$what: lacks '$str'"
                        if index($res->{body}, $str) < 0;
                }
                check_body($what, $res, forbidden($rep, $access),
                    map { forbidden($_, 'nothing') }
                    grep { $_ != $rep } @ALL);
            }
        }
    }
}

ok(!@LEAKS, "reading: $cells answers as documented, nothing unreadable "
    . 'in any body') or diag(join "\n", @LEAKS[0 .. ($#LEAKS > 40 ? 40
    : $#LEAKS)]);

###############################################################################
# 2. Actions: every action x caller x kind, on a report in a state the
#    action is allowed from; the callers expected to fail go first, so the
#    report is unchanged for each of them.

$cells = 0;
@LEAKS = ();

for my $action (sort keys %BODY) {
    for my $kind (@KINDS) {
        my $rep = submit($kind);
        push @ALL, $rep;
        delete $SECRET_TOKENS{all};
        bring($rep, $FROM{$action});
        my @order = sort {
            (expect_action($a, $action)->[0] == 200)
                <=> (expect_action($b, $action)->[0] == 200)
        } @CALLERS;
        for my $caller (@order) {
            my $want = expect_action($caller, $action);
            my $h = auth($caller, $rep, $STRANGER);
            my $res = $t->http_request('POST',
                "/api/v1/reports/$rep->{id}/$action",
                headers => { 'Content-Type' => 'application/json', %$h },
                body => $t->report_json($BODY{$action}));
            my $what = "POST $action ($kind, $FROM{$action}) by $caller";
            $cells++;
            check_answer($what, $res, $want, 'POST');
            check_body($what, $res, map { forbidden($_, 'nothing') } @ALL);
        }
    }
}

ok(!@LEAKS, "actions: $cells answers as documented, no report data in "
    . 'any body') or diag(join "\n", @LEAKS[0 .. ($#LEAKS > 40 ? 40
    : $#LEAKS)]);

###############################################################################
# 3. GET queue: officers only; the queue never names a reporter.

@LEAKS = ();
delete $SECRET_TOKENS{all};

for my $caller (@CALLERS) {
    # "without Authorization, or with a token that is not an officer's (a
    # tracking token, a revoked token): 401"
    my $want = $caller =~ /^(?:admin|agency|other_agency)$/ ? [200]
        : [401, 'invalid-token'];
    for my $q ('', 'status=dispatched', 'status=in_progress&limit=100') {
        my $path = '/api/v1/queue' . ($q ? "?$q" : '');
        my $h = auth($caller, $STRANGER, $STRANGER);
        for my $method (qw/ GET HEAD /) {
            my $res = $t->http_request($method, $path, headers => $h);
            check_answer("$method $path by $caller", $res, $want, $method);
            next if $method eq 'HEAD';
            # items are summaries: no reporter, no contact, ever
            check_body("$method $path by $caller", $res,
                map { (@{$_->{s}}{qw/ name contact /},
                    @{$_->{private_words} || []}) } @ALL);
        }
    }
    # an agency officer may not read another agency's inbox
    if ($caller eq 'agency') {
        my $res = $t->http_get("/api/v1/queue?agency=$OTHER",
            headers => auth($caller));
        check_answer("queue?agency=$OTHER by agency", $res,
            [403, 'not-your-agency'], 'GET');
    }
}

ok(!@LEAKS, 'GET queue: 200 for officers, 401 for everyone else, no '
    . 'identity in any page') or diag(join "\n", @LEAKS);

###############################################################################
# 4. GET reports (the public list): "public whatever Authorization says";
#    every item the public view.

@LEAKS = ();

for my $caller (@CALLERS) {
    my $h = auth($caller, $READ{'normal/dispatched'}, $STRANGER);
    for my $q ('limit=100', 'status=dispatched&limit=100',
        "agency=$AGENCY&limit=100")
    {
        my $res = $t->http_get("/api/v1/reports?$q", headers => $h);
        check_answer("GET reports?$q by $caller", $res, [200], 'GET');
        check_body("GET reports?$q by $caller", $res,
            map { forbidden($_, 'public') } @ALL);
    }
}

ok(!@LEAKS, 'GET reports: the same public list for every caller')
    or diag(join "\n", @LEAKS);

###############################################################################
# 5. The endpoints that need no token ("Officers and reporters": the
#    health check, the catalog, the statistics, submitting): the same
#    answer whatever Authorization says; and methods an endpoint does not
#    support: 405 with Allow for every caller, before any token is read.

@LEAKS = ();

my $rep = $READ{'normal/dispatched'};
my %ALLOW = (
    "/api/v1/reports/$rep->{id}" => 'GET, HEAD',
    "/api/v1/reports/$rep->{id}/events" => 'GET, HEAD',
    "/api/v1/reports/$rep->{id}/dispatch" => 'POST',
    '/api/v1/queue' => 'GET, HEAD',
    '/api/v1/health' => 'GET, HEAD',
);

for my $caller (@CALLERS) {
    my $h = auth($caller, $rep, $STRANGER);
    for my $path (qw{ /api/v1/health /api/v1/catalog /api/v1/stats }) {
        for my $method (qw/ GET HEAD /) {
            my $res = $t->http_request($method, $path, headers => $h);
            check_answer("$method $path by $caller", $res, [200], $method);
            check_body("$method $path by $caller", $res,
                map { forbidden($_, 'nothing') } @ALL)
                if $method eq 'GET';
        }
    }
    my $res = $t->post_report($t->report_doc(), headers => $h);
    check_answer("POST reports by $caller", $res, [201], 'POST');
    check_body("POST reports by $caller", $res,
        map { forbidden($_, 'nothing') } @ALL);

    for my $path (sort keys %ALLOW) {
        for my $method (qw/ PUT DELETE PATCH /,
            $ALLOW{$path} eq 'POST' ? 'GET' : 'POST')
        {
            my $res = $t->http_request($method, $path,
                headers => { 'Content-Type' => 'application/json', %$h },
                body => '{}');
            my $what = "$method $path by $caller";
            check_answer($what, $res, [405, 'method-not-allowed'], $method);
            push @LEAKS, "$what: Allow '"
                . ($res->{headers}{allow} || '') . "'"
                unless ($res->{headers}{allow} || '') eq $ALLOW{$path};
        }
    }
}

ok(!@LEAKS, 'public endpoints answer every caller alike; 405 with Allow '
    . 'for every caller') or diag(join "\n", @LEAKS[0 .. ($#LEAKS > 40
    ? 40 : $#LEAKS)]);

$t->finish;
