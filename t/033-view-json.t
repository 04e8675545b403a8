#!/usr/bin/perl

# The report views are written by the module's own JSON writer (not yajl's
# generator, for speed): text with everything JSON must escape comes back
# exactly as submitted, in every view; text in Redis that is not UTF-8
# (only a hand edit can put it there) is answered as null, logged, and
# the answer stays valid JSON; unknown fields are left alone.

use warnings;
use strict;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;

use Lapor::Test;

my $t = Lapor::Test->new;

my $NS = 'bali';
my $P = "lapor:{$NS}:";

my $TOK = $t->officer_tokens({ 'admin-1' => 'admin' });
my $ADMIN = $TOK->{'admin-1'};

$t->start_redis;
$t->write_conf(<<'EOF_CONF');
    lapor_redis %%REDIS%%;
    lapor_namespace bali;
    lapor_tokens %%TESTDIR%%/tokens;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /api/v1/ { lapor_api; }
    }
EOF_CONF
$t->start_nginx;
$t->wait_status('/api/v1/health', 200, 10);

# quotes, backslashes, a solidus, tabs and newlines, an HTML end tag, and
# characters of two, three and four bytes; long plain runs between them
my $title = "Lampu \"PJU\" mati \\ padam / rusak \x{2014} \x{1F4A1} "
    . 'di simpang</script>';
my $body = "Baris pertama:\tlampu mati sejak Senin.\r\n"
    . "Baris kedua: \"tolong\" segera \\ diperbaiki \x{00E9}\x{00F1}.\n"
    . ('Sangat gelap pada malam hari. ' x 20);

my $r = $t->post_report($t->report_doc(title => $title, body => $body,
    location => { text => "Jl. \"Teuku Umar\" \\ Denpasar" }));
is($r->{status}, 201, 'report with every escape submitted')
    or diag $r->{body};
my ($id, $track) = ($r->{json}{id}, $r->{json}{tracking_token});

for my $who (['public', undef], ['reporter', $track], ['admin', $ADMIN]) {
    my $v = $t->report_view($id, $who->[1]);
    is($v->{status}, 200, "$who->[0] view 200");
    ok(defined $v->{json}, "$who->[0] view is JSON")
        or diag $v->{json_error}, $v->{body};
    is($v->{json}{title}, $title, "$who->[0] view: title exact");
    is($v->{json}{body}, $body, "$who->[0] view: body exact");
    is($v->{json}{location}{text}, "Jl. \"Teuku Umar\" \\ Denpasar",
        "$who->[0] view: place exact");
    is($v->{json}{reporter}{name}, 'Made Wirawan',
        "$who->[0] view: reporter name");
    like($v->{body}, qr/\\"PJU\\" mati \\\\ padam \/ rusak/,
        "$who->[0] view: escapes as yajl writes them");
    unlike($v->{body}, qr/[\x00-\x1f]/, "$who->[0] view: no raw controls");
}

# a hand edit leaves bytes that are not UTF-8 in the title
$t->redis_cmd('HSET', "${P}report:$id", 'title', "Rusak \xff\xfe berat");
$t->log_mark;

my $v = $t->report_view($id, undef);
is($v->{status}, 200, 'view of a report with broken text: 200');
ok(defined $v->{json}, 'still valid JSON') or diag $v->{body};
ok(exists $v->{json}{title} && !defined $v->{json}{title},
    'the broken title is null');
is($v->{json}{body}, $body, 'the rest as stored');
like($t->log_since_mark, qr/stored text is not UTF-8/, 'logged');

# fields a hand edit added, with names the module does not know (one with
# a NUL byte in it, one a prefix of a known name): left alone
$t->redis_cmd('HSET', "${P}report:$id", "id\0extra", 'x', 'bod', 'y',
    "status\0", 'archived');
$v = $t->report_view($id, undef);
is($v->{status}, 200, 'view with unknown fields: 200');
is($v->{json}{id}, $id, 'the id as stored');
is($v->{json}{status}, 'submitted', 'the status as stored');
is($v->{json}{body}, $body, 'the body as stored');

$t->finish;
