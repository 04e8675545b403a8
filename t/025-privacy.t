#!/usr/bin/perl

# Privacy along the whole workflow, as SP4N LAPOR! promises it.  An
# anonymous report's identity never reaches an agency or the public (views,
# timelines, queues) while the admin sees it; a confidential report's title
# and body never reach the public (view, timeline: no words at all), also
# combined with anonymity; national ID numbers, phone numbers and e-mail
# addresses in free text are masked for the public: in the report and in
# the officers' public messages, while the words only the reporter and
# officers may read (comments, defer reasons, feedback comments, "bukan
# wewenang" reasons) never reach the public at all.  No identity in plain
# text in Redis, the event stream or error.log.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin', 'pupr-1' => 'pupr-kim',
    'dinkes-1' => 'dinkes' });
my ($ADMIN, $PUPR, $DINKES) = @$TOK{qw/ admin-1 pupr-1 dinkes-1 /};

$t->start_redis;
$t->write_conf(<<'EOF');
    lapor_redis %%REDIS%%;
    lapor_redis_connect_timeout 500ms;
    lapor_redis_timeout 1s;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

my @CONFIDENTIAL = sort qw/ id status version created_at updated_at due_at
    overdue agency confidential /;

sub submit {
    my (%over) = @_;
    my $r = $t->post_report($t->report_doc(%over));
    die "submit: $r->{status} $r->{body}\n" unless $r->{status} == 201;
    return { id => $r->{json}{id}, track => $r->{json}{tracking_token} };
}

sub act {
    my ($rep, $action, $token, $body) = @_;
    my $r = $t->report_action($rep->{id}, $action, token => $token,
        body => $body);
    die "$action: $r->{status} $r->{body}\n" unless $r->{status} == 200;
    return $r;
}

# Every answer a viewer can get about a report: view, timeline, and the
# queues it may list.  Returns { what => response }.
sub answers {
    my ($rep, $who) = @_;
    my $token = { public => undef, reporter => $rep->{track},
        admin => $ADMIN, 'pupr-kim' => $PUPR, dinkes => $DINKES }->{$who};
    my %a = (view => $t->report_view($rep->{id}, $token),
        events => $t->report_events($rep->{id}, $token));
    if ($who eq 'admin' || $who eq 'pupr-kim' || $who eq 'dinkes') {
        for my $q ('limit=100', 'status=dispatched&limit=100',
            'status=in_progress&limit=100', 'status=followed_up&limit=100')
        {
            next if $who ne 'admin' && $q =~ /followed_up/;
            $a{"queue?$q"} = $t->queue_get($token, $q);
        }
    }
    return \%a;
}

# None of the strings in any answer of $who.
sub never_in {
    my ($rep, $who, $strings, $name) = @_;
    my $a = answers($rep, $who);
    my @leaks;
    for my $what (sort keys %$a) {
        my $res = $a->{$what};
        push @leaks, "$what: $res->{status}" unless $res->{status} == 200;
        my $text = $res->{json} ? JSON::PP->new->canonical->encode(
            $res->{json}) : $res->{body};
        for my $s (@$strings) {
            push @leaks, "$what has '$s'" if index($text, $s) >= 0
                || index($res->{body}, $s) >= 0;
        }
    }
    ok(!@leaks, $name) or diag(join "\n", @leaks);
    return $a;
}

# The masked form of a piece of personal data: an e-mail address whole
# but its '@', a digit run's digits and '+'.
sub masked {
    my ($s) = @_;
    return join '@', map { '*' x length } split /@/, $s, -1 if $s =~ /@/;
    (my $m = $s) =~ tr/0-9+/*/;
    return $m;
}

sub message_of {
    my ($res, $type) = @_;
    my @e = grep { $_->{type} eq $type }
        @{($res->{json} || {})->{events} || []};
    return @e ? $e[-1] : {};
}

###############################################################################

subtest 'anonymous: no identity for agencies or the public' => sub {
    my $name = 'Siti Rahmawati';
    my $contact = 'siti.rahma@example.org';
    my $rep = submit(category => 'kesehatan', anonymous => JSON::PP::true,
        title => 'Antrean obat puskesmas terlalu lama',
        reporter => { name => $name, contact => $contact });
    my @identity = ($name, $contact, 'siti.rahma', 'Rahmawati');

    never_in($rep, 'public', \@identity, 'submitted: nothing for the public');

    act($rep, 'dispatch', $ADMIN, { agency => 'dinkes' });
    act($rep, 'respond', $DINKES, { message => 'Sedang kami periksa.' });
    act($rep, 'clarify', $DINKES, { message => 'Antrean sudah dipecah dua.' });

    for my $who (qw/ public dinkes /) {
        my $a = never_in($rep, $who, \@identity,
            "in progress: no identity in any answer for $who");
        my $v = $a->{view}{json} || {};
        is($v->{anonymous}, JSON::PP::true, "$who view: anonymous");
        ok(!defined $v->{reporter}, "$who view: no reporter");
    }

    my $q = $t->queue_get($DINKES, 'status=in_progress');
    my ($item) = grep { $_->{id} == $rep->{id} } @{$q->{json}{items}};
    is($item && $item->{anonymous}, JSON::PP::true,
        'the agency\'s queue marks it anonymous');

    my $v = $t->report_view($rep->{id}, $ADMIN)->{json};
    is_deeply($v->{reporter}, { name => $name, contact => $contact },
        'the admin sees who reported');
    $v = $t->report_view($rep->{id}, $rep->{track})->{json};
    is_deeply($v->{reporter}, { name => $name, contact => $contact },
        'the reporter sees their own identity');

    act($rep, 'follow_up', $DINKES, { message => 'Loket ketiga dibuka.' });
    act($rep, 'feedback', $rep->{track}, { rating => 5, resolved => 'yes',
        comment => 'Terima kasih.' });
    never_in($rep, $_, \@identity, "closed: no identity for $_")
        for qw/ public dinkes /;

    my $all = $t->redis_contents("lapor:{$NS}:*");
    my @plain = grep { my $k = $_; grep { my $v = $_;
        grep { index($v, $_) >= 0 } @identity } @{$all->{$k}} } keys %$all;
    is_deeply(\@plain, [], 'the identity is nowhere in Redis in plain text');

    my $log = $t->error_log;
    ok(!grep({ index($log, $_) >= 0 } @identity), 'nor in error.log');
};

subtest 'anonymous without an identity: nobody sees one' => sub {
    my $rep = submit(anonymous => JSON::PP::true, reporter => undef);
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim' });

    for my $who (qw/ admin pupr-kim public reporter /) {
        my $token = { admin => $ADMIN, 'pupr-kim' => $PUPR, public => undef,
            reporter => $rep->{track} }->{$who};
        my $r = $t->report_view($rep->{id}, $token);
        is($r->{status}, 200, "$who: 200");
        ok(!defined $r->{json}{reporter}, "$who: no reporter");
    }
};

subtest 'confidential: the content never reaches the public' => sub {
    my $title = 'RAHASIA pungutan liar di loket Samsat Gianyar';
    my $body = 'RAHASIA petugas meminta uang tambahan Rp 200.000 di luar '
        . 'tarif resmi untuk balik nama kendaraan.';
    my $rep = submit(category => 'korupsi-pungli', confidential =>
        JSON::PP::true, title => $title, body => $body,
        reporter => { name => 'Budi Santoso', contact => '081298765432' });
    my @content = ('RAHASIA', 'Samsat Gianyar', 'uang tambahan',
        'Budi Santoso', '081298765432', 'Jl. Gatot Subroto');
    my @words = ('Kami telusuri loketnya', 'Petugas sudah diperiksa',
        'Ada saksi lain', 'Mohon pelapor');

    my $check = sub {
        my ($stage) = @_;
        my $a = never_in($rep, 'public', [@content, @words],
            "$stage: no content and no words for the public");
        my $v = $a->{view}{json} || {};
        is_deeply([sort keys %$v], \@CONFIDENTIAL,
            "$stage: the public view has only number, status, dates, agency");
        is($v->{confidential}, JSON::PP::true, "$stage: confidential");
        my @ev = @{($a->{events}{json} || {})->{events} || []};
        ok(@ev && !grep({ exists $_->{message} } @ev),
            "$stage: the public timeline has the steps, without words");
    };

    $check->('submitted');
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim',
        message => 'Mohon pelapor dilindungi.' });
    act($rep, 'respond', $PUPR, { message => 'Kami telusuri loketnya.' });
    act($rep, 'comments', $rep->{track}, { message => 'Ada saksi lain.' });
    $check->('in progress');
    act($rep, 'follow_up', $PUPR, { message => 'Petugas sudah diperiksa.' });
    $check->('followed up');

    for my $who (qw/ reporter admin pupr-kim /) {
        my $a = answers($rep, $who);
        my $v = $a->{view}{json} || {};
        is($v->{title}, $title, "$who sees the title");
        is($v->{body}, $body, "$who sees the body");
        my $text = $a->{events}{body};
        is(scalar(grep { index($text, $_) >= 0 } @words), scalar @words,
            "$who reads every message");
    }

    # the agency sees content and, not anonymous, the identity
    my $v = $t->report_view($rep->{id}, $PUPR)->{json};
    is_deeply($v->{reporter}, { name => 'Budi Santoso',
        contact => '081298765432' }, 'the agency sees who reported');
};

subtest 'confidential and anonymous' => sub {
    my $rep = submit(category => 'perempuan-anak', confidential =>
        JSON::PP::true, anonymous => JSON::PP::true,
        title => 'RAHASIA kekerasan terhadap anak di Banjar Tengah',
        body => 'RAHASIA tetangga saya sering memukul anaknya pada malam '
            . 'hari; saya takut melapor dengan nama.',
        reporter => { name => 'Ni Luh Sekar', contact => 'sekar@example.net' });
    act($rep, 'dispatch', $ADMIN, { agency => 'dinkes' });
    act($rep, 'respond', $DINKES, { message => 'Tim kami turun ke lokasi.' });

    my $a = never_in($rep, 'public', ['RAHASIA', 'Banjar Tengah',
        'Ni Luh Sekar', 'sekar@', 'Tim kami'], 'the public: nothing');
    is_deeply([sort keys %{$a->{view}{json} || {}}], \@CONFIDENTIAL,
        'the public view has only number, status, dates, agency');

    $a = never_in($rep, 'dinkes', ['Ni Luh Sekar', 'sekar@example.net'],
        'the agency: no identity');
    like($a->{view}{json}{title} // '', qr/^RAHASIA kekerasan/,
        'the agency reads the content');

    my $v = $t->report_view($rep->{id}, $ADMIN)->{json};
    is($v->{reporter} && $v->{reporter}{name}, 'Ni Luh Sekar',
        'the admin sees the identity');
};

subtest 'personal data in free text: masked for the public' => sub {
    my $nik = '5171012345678901';
    my $phone = '+62 812-3456-7890';
    my $land = '0361-222333';
    my $mail = 'humas@pupr.baliprov.go.id';
    my $own = 'made.w@example.co.id';
    my $hp = '081234567890';

    my $rep = submit(
        title => "Jalan rusak, hubungi $hp segera",
        body => "Lubang besar sejak dua minggu. NIK saya $nik, email "
            . "$own untuk kabar lanjut.");

    my $v = $t->report_view($rep->{id}, undef)->{json};
    is($v->{title}, 'Jalan rusak, hubungi ' . masked($hp) . ' segera',
        'public view: phone in the title masked');
    is($v->{body}, 'Lubang besar sejak dua minggu. NIK saya ' . masked($nik)
        . ', email ' . masked($own) . ' untuk kabar lanjut.',
        'public view: NIK and e-mail in the body masked');
    $v = $t->report_view($rep->{id}, $rep->{track})->{json};
    like($v->{body}, qr/\Q$nik\E.*\Q$own\E/, 'the reporter reads them');

    # officers' public words: masked for the public
    my %said = (
        dispatch => "Tembusan ke $mail untuk koordinasi",
        respond => "Petugas lapangan dapat dihubungi di $land hari ini",
        clarify => "NIK pelapor $nik sudah dicocokkan",
        follow_up => "Selesai; keluhan lanjutan ke $phone atau $mail",
    );
    # words for the reporter and officers only
    my %private = (
        comments => "Nomor saya $hp, KTP $nik, surel $own",
    );

    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim',
        message => $said{dispatch} });
    act($rep, 'respond', $PUPR, { message => $said{respond} });
    act($rep, 'clarify', $ADMIN, { message => $said{clarify} });
    act($rep, 'comments', $rep->{track}, { message => $private{comments} });
    act($rep, 'follow_up', $PUPR, { message => $said{follow_up} });
    act($rep, 'feedback', $rep->{track}, { rating => 2, resolved => 'no',
        comment => "Hubungi saya di $hp" });

    my $pub = $t->report_events($rep->{id}, undef);
    my %want = (
        dispatch => 'Tembusan ke ' . masked($mail) . ' untuk koordinasi',
        respond => 'Petugas lapangan dapat dihubungi di ' . masked($land)
            . ' hari ini',
        clarify => 'NIK pelapor ' . masked($nik) . ' sudah dicocokkan',
        follow_up => 'Selesai; keluhan lanjutan ke ' . masked($phone)
            . ' atau ' . masked($mail),
    );
    for my $type (sort keys %want) {
        is(message_of($pub, $type)->{message}, $want{$type},
            "public timeline: $type masked");
    }
    ok(!exists message_of($pub, 'comments')->{message},
        'public timeline: the reporter\'s comment is not shown');
    ok(!exists message_of($pub, 'feedback')->{message},
        'public timeline: the feedback comment is not shown');
    is(message_of($pub, 'feedback')->{rating}, 2, '... its rating is');

    my $text = $pub->{body};
    my @raw = grep { index($text, $_) >= 0 } $nik, $phone, $land, $mail,
        $own, $hp, '5171', '3456-7890', '222333', 'example.co.id',
        'baliprov';
    is_deeply(\@raw, [], 'no personal data anywhere in the public timeline');

    for my $who ([reporter => $rep->{track}], [admin => $ADMIN],
        ['pupr-kim' => $PUPR])
    {
        my $r = $t->report_events($rep->{id}, $who->[1]);
        for my $type (sort keys %said) {
            is(message_of($r, $type)->{message}, $said{$type},
                "$who->[0] reads the $type message unmasked");
        }
        is(message_of($r, 'comments')->{message}, $private{comments},
            "$who->[0] reads the comment unmasked");
    }
};

subtest 'defer and not_authority reasons stay with who may read them' => sub {
    my $nik = '5171019876543210';

    my $d = submit();
    act($d, 'defer', $ADMIN, { reason => "Lampirkan KTP; NIK $nik tidak "
        . 'terbaca.' });
    my $e = message_of($t->report_events($d->{id}, undef), 'defer');
    ok(!exists $e->{message}, 'defer: the public does not read the reason');
    like(message_of($t->report_events($d->{id}, $d->{track}), 'defer')
        ->{message} // '', qr/\Q$nik\E/, '... the reporter does');

    my $n = submit();
    act($n, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    act($n, 'not_authority', $PUPR, { reason => "Pelapor $nik bukan warga "
        . 'kami.' });
    for my $who ([public => undef], [reporter => $n->{track}]) {
        my $r = $t->report_events($n->{id}, $who->[1]);
        ok(!exists message_of($r, 'not_authority')->{message},
            "not_authority: $who->[0] does not read the reason");
        ok(index($r->{body}, $nik) < 0 && index($r->{body}, 'warga') < 0,
            "... nothing of it in the answer");
    }
    like(message_of($t->report_events($n->{id}, $ADMIN), 'not_authority')
        ->{message} // '', qr/\Q$nik\E/, '... the admin does');

    my $a = submit();
    act($a, 'archive', $ADMIN, { reason => "Duplikat; pelapor bisa hubungi "
        . '0361-222333.' });
    is(message_of($t->report_events($a->{id}, undef), 'archive')->{message},
        'Duplikat; pelapor bisa hubungi ****-******.',
        'archive: the public reads the reason, masked');
};

subtest 'a confidential report: the public timeline has no rating' => sub {
    my %seen;
    for my $confidential (0, 1) {
        my $rep = submit(confidential => $confidential ? JSON::PP::true
            : JSON::PP::false);
        act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
        act($rep, 'respond', $PUPR, { message => 'Kami periksa.' });
        act($rep, 'follow_up', $PUPR, { message => 'Sudah diperbaiki.' });
        act($rep, 'feedback', $rep->{track}, { rating => 2,
            resolved => 'partial', comment => 'Belum rapi.' });

        my $name = $confidential ? 'confidential' : 'not confidential';
        my $e = message_of($t->report_events($rep->{id}, undef), 'feedback');
        is($e->{status}, 'closed', "$name: the public sees the step");
        $seen{$name} = [ map { exists $e->{$_} ? 1 : 0 } qw/ rating resolved
            message / ];

        $e = message_of($t->report_events($rep->{id}, $ADMIN), 'feedback');
        is_deeply([@$e{qw/ rating resolved /}], [2, 'partial'],
            "$name: the admin sees the rating");
        my $v = $t->report_view($rep->{id}, undef)->{json};
        is(exists $v->{rating} ? 1 : 0, $confidential ? 0 : 1,
            "$name: the public view " . ($confidential ? 'has no' : 'has a')
            . ' rating either');
    }
    is_deeply(\%seen, { confidential => [0, 0, 0],
        'not confidential' => [1, 1, 0] },
        'public timeline: rating and resolved only when not confidential');
};

subtest 'handed back: the agency that refused it reads nothing more' => sub {
    my $rep = submit(reporter => { name => 'Wayan Sudarma',
        contact => 'wayan.s@example.net' });
    act($rep, 'dispatch', $ADMIN, { agency => 'pupr-kim' });
    is_deeply($t->report_view($rep->{id}, $PUPR)->{json}{reporter},
        { name => 'Wayan Sudarma', contact => 'wayan.s@example.net' },
        'while it has the report, the agency sees who reported');
    act($rep, 'not_authority', $PUPR, { reason => 'Bukan wewenang kami.' });

    for my $r ($t->report_view($rep->{id}, $PUPR),
        $t->report_events($rep->{id}, $PUPR))
    {
        $t->problem_ok($r, 403, 'not-your-agency', 'refused: 403');
        unlike($r->{body}, qr/Wayan|wayan\.s/, '... without the identity');
    }
    my $q = $t->queue_get($PUPR, 'limit=100');
    ok(!grep({ $_->{id} == $rep->{id} } @{$q->{json}{items} || []}),
        'not in its inbox');

    my $v = $t->report_view($rep->{id}, undef)->{json};
    is($v->{returned_by}{code}, 'pupr-kim',
        'the public sees which agency handed it back');
    ok(!grep({ exists $_->{message} }
            grep { $_->{type} eq 'not_authority' }
            @{$t->report_events($rep->{id}, undef)->{json}{events} || []}),
        '... not why');
};

subtest 'the event stream carries no words and no identity' => sub {
    my @entries = $t->stream_events($NS);
    ok(scalar @entries, 'there are entries');
    my $text = join "\n", map { join ' ', %$_ } @entries;
    my @found = grep { index($text, $_) >= 0 } 'Siti', 'Rahmawati',
        'Budi Santoso', '081298765432', 'RAHASIA', '5171012345678901',
        '@example', 'Kami telusuri', 'Tembusan';
    is_deeply(\@found, [], 'no names, contacts, content or messages');
    my %fields = map { $_ => 1 } map { keys %$_ } @entries;
    is_deeply([sort grep { !/^_id$/ } keys %fields], [sort qw/ event id
        status from agency actor version at type category channel /],
        'only the documented fields');
};

$t->finish;
