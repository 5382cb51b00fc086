#!/usr/bin/env perl
# A relay written the way Q4M's q4m-forward works, moving rows from a queue
# table on one q4d server to a queue table on another, each exactly once
# across crashes of the relay. Run by tests/server/relay_test.ts as:
#
#   perl _relay.pl SRC_DSN DST_DSN PASSWORD SRC_TABLE DST_TABLE SENDER [CRASH_AFTER]
#
# With CRASH_AFTER, the relay SIGKILLs itself right after that many INSERTs,
# before their queue_end: the crash window the source id exists for.
#
# Per row: on the source, queue_wait (owner mode) and queue_rowid; the row
# with SELECT *; on the destination, queue_set_srcid(sender, 'a', rowid),
# which arms the next INSERT to be dropped when that row id was relayed
# already (a retry after a crash), and the INSERT; then queue_end on the
# source. Exits, printing what it did, when the source stays empty for a
# second. All placeholders are DBI's client-side quoting: '0', 'a', '17'.
use strict;
use warnings;
use DBI;

my ($src_dsn, $dst_dsn, $password, $src_table, $dst_table, $sender, $crash_after) = @ARGV;
$| = 1;
# Bytes in, bytes out (as q4m-forward): no mysql_enable_utf8, so a BLOB's
# bytes are not upgraded to characters when quoted beside UTF-8 text.
my %options = (RaiseError => 1, PrintError => 0, AutoCommit => 1);
my $src = DBI->connect($src_dsn, 'root', $password, \%options);
my $dst = DBI->connect($dst_dsn, 'root', $password, \%options);
print "connected\n";

my ($inserted, $dropped) = (0, 0);
for (;;) {
    my ($ready) = $src->selectrow_array('SELECT queue_wait(?, ?)', {}, $src_table, 1);
    die "queue_wait returned NULL (no such table?)\n" unless defined $ready;
    last unless $ready;
    my ($rowid) = $src->selectrow_array('SELECT queue_rowid()');
    die "queue_rowid returned nothing in owner mode\n" unless $rowid;
    my $row = $src->selectrow_hashref("SELECT * FROM $src_table");
    die "owned row not visible\n" unless $row;
    my ($armed) = $dst->selectrow_array("SELECT queue_set_srcid(?, 'a', ?)", {}, $sender, $rowid);
    die "queue_set_srcid refused sender $sender\n" unless $armed;
    my @columns = sort keys %$row;
    my $affected = $dst->do(
        "INSERT INTO $dst_table (" . join(', ', @columns) . ') VALUES ('
            . join(', ', map { $dst->quote($row->{$_}) } @columns) . ')');
    if ($affected == 1) {
        $inserted++;
    } else {
        $dropped++;
        print "dropped row $rowid\n";
    }
    kill 'KILL', $$ if defined $crash_after && $inserted == $crash_after;
    my ($ended) = $src->selectrow_array('SELECT queue_end()');
    die "queue_end returned $ended\n" unless $ended == 1;
}
print "inserted $inserted dropped $dropped\n";
