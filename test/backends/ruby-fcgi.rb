# Test backend on Ruby's fcgi library (Debian ruby-fcgi, its pure-Ruby code): it dies on FCGI_GET_VALUES
# (fcgi.rb: undefined method `length' for 1:Integer). Usage: ruby ruby-fcgi.rb PORT
require 'socket'
# FCGI.each serves the listening socket on fd 0, as a FastCGI application started by a web server would have.
$stdin.reopen(TCPServer.new('127.0.0.1', Integer(ARGV[0])))
require 'fcgi'
# Ready: the test waits for this line, since a probe connection closed without a request kills the library too.
$stdout.puts 'ready'
$stdout.flush
FCGI.each do |request|
  request.out.print "Content-Type: text/plain\r\n\r\nruby #{Process.pid} #{request.env['SCRIPT_FILENAME']}"
  request.finish
end
