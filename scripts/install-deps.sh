#!/usr/bin/env bash
# Installs what the test suite talks to: real FastCGI backends (PHP-FPM, fcgiwrap, libfcgi) and Apache httpd
# for the differential test, nginx, WordPress, MariaDB and Chromium for the site tests, openssl for the TLS test, and Perl FCGI, php-cgi and Ruby fcgi for the pooling tests. Only what is missing is installed; needs root (CI and these machines run as root).
set -euo pipefail

need=()
command -v php-fpm8.2 >/dev/null 2>&1 || [ -x /usr/sbin/php-fpm8.2 ] || need+=(php8.2-fpm php8.2-cli)
command -v fcgiwrap >/dev/null 2>&1 || [ -x /usr/sbin/fcgiwrap ] || need+=(fcgiwrap)
[ -f /usr/include/fcgiapp.h ] || need+=(libfcgi-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # the TLS test makes its own CA and certificate
# Few-connection and probe-hostile backends for the pooling tests (issue K).
[ -f /usr/lib/x86_64-linux-gnu/perl5/5.36/FCGI.pm ] || ls /usr/lib/*/perl5/*/FCGI.pm >/dev/null 2>&1 || need+=(libfcgi-perl)
command -v php-cgi8.2 >/dev/null 2>&1 || need+=(php8.2-cgi)
[ -f /usr/lib/ruby/vendor_ruby/fcgi.rb ] || need+=(ruby-fcgi)
# Sites (issue E): nginx as the static-file and WordPress reference, a real WordPress on MariaDB through
# PHP-FPM's mysqli, and Chromium driven by playwright-core (a dev dependency) for the browser check.
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -f /usr/share/wordpress/wp-settings.php ] || need+=(wordpress)
# --no-install-recommends leaves WordPress without a theme: every front-end page would be an empty 200.
[ -f /usr/share/wordpress/wp-content/themes/twentytwentythree/style.css ] || need+=(wordpress-theme-twentytwentythree)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -f /usr/lib/php/20220829/mysqli.so ] || need+=(php8.2-mysql)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Apps (issue S): setpriv drops an app to its user= (util-linux is essential on Debian; checked all the same).
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-deps: everything is present"
  exit 0
fi
echo "install-deps: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Debian's maintainer scripts would start the system php-fpm and apache2 services; the tests start their own.
$SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
$SUDO rm -f /usr/sbin/policy-rc.d
