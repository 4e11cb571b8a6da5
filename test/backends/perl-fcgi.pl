#!/usr/bin/perl
# Test backend on Perl's FCGI module (Debian libfcgi-perl): one process, one connection at a time, kept while
# the gateway sets FCGI_KEEP_CONN. Usage: perl perl-fcgi.pl 127.0.0.1:PORT
use strict;
use warnings;
use FCGI;

my $socket = FCGI::OpenSocket($ARGV[0], 128);
my $request = FCGI::Request(\*STDIN, \*STDOUT, \*STDERR, \%ENV, $socket);
while ($request->Accept() >= 0) {
    print "Content-Type: text/plain\r\n\r\nperl $$ $ENV{SCRIPT_FILENAME}";
}
FCGI::CloseSocket($socket);
