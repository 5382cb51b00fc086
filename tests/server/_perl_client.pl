#!/usr/bin/env perl
# Perl DBI + DBD::mysql against a q4d server: prints one line per check and a
# closing "pass N fail M". Run by tests/server/perl_test.ts as:
#
#   perl _perl_client.pl DSN PASSWORD TABLE
#
# (the DSN decides TCP or Unix socket, and mysql_server_prepare).
use strict;
use warnings;
use DBI;

my ($dsn, $password, $table) = @ARGV;
my ($pass, $fail) = (0, 0);

sub check {
    my ($name, $ok, $detail) = @_;
    if ($ok) {
        $pass++;
        print "ok $name\n";
    } else {
        $fail++;
        print "FAIL $name ", (defined $detail ? $detail : ''), "\n";
    }
}

sub run {
    my $dbh = DBI->connect($dsn, 'root', $password,
        { RaiseError => 1, PrintError => 0, AutoCommit => 1,
          mysql_enable_utf8mb4 => 1 });
    check('connect', $dbh);
    check('ping', $dbh->ping);
    $dbh->do("CREATE TABLE $table (id INT NOT NULL, s VARCHAR(100), b BLOB, n INT)"
        . " ENGINE=QUEUE");
    check('create', 1);

    my $blob = "\x00\xff'\\\"";
    my $text = "it's \"q\" \x{2713}";
    my $sth = $dbh->prepare("INSERT INTO $table (id, s, b, n) VALUES (?, ?, ?, ?)");
    $sth->bind_param(1, 7);
    $sth->bind_param(2, $text);
    $sth->bind_param(3, $blob, DBI::SQL_BLOB);
    $sth->bind_param(4, undef);
    check('insert', $sth->execute == 1);
    for my $i (0 .. 2) {
        check("insert $i", $sth->execute(100 + $i, "row $i", chr($i), $i) == 1);
    }

    my ($got) = $dbh->selectrow_array('SELECT queue_wait(?, ?)', {}, "$table:id=7", 5);
    check('queue_wait', $got == 1, $got);
    my $row = $dbh->selectrow_hashref("SELECT * FROM $table");
    check('int', $row->{id} == 7, $row->{id});
    check('string', $row->{s} eq $text, $row->{s});
    check('blob', $row->{b} eq $blob, unpack('H*', $row->{b}));
    check('null', !defined $row->{n}, $row->{n});
    ($got) = $dbh->selectrow_array('SELECT queue_end()');
    check('queue_end', $got == 1, $got);

    my @ids = map { $_->[0] } @{ $dbh->selectall_arrayref("SELECT id FROM $table ORDER BY id") };
    check('three rows left', "@ids" eq '100 101 102', "@ids");
    for my $i (0 .. 2) {
        ($got) = $dbh->selectrow_array("SELECT queue_wait('$table')");
        check('queue_wait loop', $got == 1, $got);
        my ($id) = $dbh->selectrow_array("SELECT id FROM $table");
        check('loop row', $id == 100 + $i, $id);
        $dbh->do('SELECT queue_end()');
    }
    ($got) = $dbh->selectrow_array("SELECT COUNT(*) FROM $table");
    check('empty', $got == 0, $got);

    my ($sum, $quoted) = $dbh->selectrow_array('SELECT ? + 1 AS i, ? AS s', {}, 41, "a'b");
    check('placeholders', $sum == 42 && $quoted eq "a'b", "$sum $quoted");
    check('quote', $dbh->selectrow_array('SELECT ' . $dbh->quote("x'\\y")) eq "x'\\y");

    eval { $dbh->do('SELECT * FROM no_such_table') };
    check('error 1146', $dbh->err == 1146, $dbh->err);
    check('sqlstate 42S02', $dbh->state eq '42S02', $dbh->state);
    eval { $dbh->do("INSERT INTO $table (id) VALUES (?)", {}, undef) };
    check('error 1048', $dbh->err == 1048, $dbh->err);
    ($got) = $dbh->selectrow_array('SELECT 1');
    check('still usable', $got == 1);
    $dbh->disconnect;

    my $denied = DBI->connect($dsn, 'root', 'wrong', { RaiseError => 0, PrintError => 0 });
    check('wrong password 1045', !$denied && $DBI::err == 1045, $DBI::err);
}

binmode STDOUT, ':utf8';
eval { run(); 1 } or check('no exception', 0, $@);
print "pass $pass fail $fail\n";
