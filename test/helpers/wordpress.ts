// A real WordPress for the site tests: Debian's /usr/share/wordpress copied into a temp dir as plain files, a
// wp-config.php of our own, a private MariaDB (mariadb.ts) and a private PHP-FPM on a Unix socket. Whatever
// serves the copied root in front of that FPM (nginx, proxy-fcgi on any runtime and port) gets the same site:
// WP_HOME and WP_SITEURL follow the request's Host, so one install works behind every base URL.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnDaemon, waitUntilListening } from "./daemon.ts";
import { removeDir } from "./fixtures.ts";
import { makeRamTempDir } from "./ram-temp-dir.ts";
import { DB_NAME, DB_PASSWORD, DB_USER, mariaDbMissing, startMariaDb, type MariaDb } from "./mariadb.ts";
import { PHP_FPM_BINARY, phpFpmMissing } from "./php-fpm.ts";

/** Debian's WordPress core (its wp-content holds the bundled plugin and the theme packages). */
export const WORDPRESS_SOURCE = "/usr/share/wordpress";
/** Debian's wp-content: symlinks into WORDPRESS_SOURCE, and the place uploads would go. */
export const WORDPRESS_CONTENT_SOURCE = "/var/lib/wordpress/wp-content";
/** The default theme of WordPress 6.1: without a theme every front-end page is an empty 200. */
export const WORDPRESS_THEME = "twentytwentythree";

const PHP_EXTENSION_DIR = "/usr/lib/php/20220829";
/*
 * -n leaves out Debian's conf.d, which is where every shared extension is switched on, so each one WordPress
 * uses is named here. mysqlnd before mysqli (mysqli links against it). WordPress has fallbacks for mbstring,
 * which Debian ships in a separate package; ctype, iconv, fileinfo (upload type checks), gd (thumbnails,
 * image editor), exif and tokenizer come from php8.2-common and php8.2-gd.
 */
const EXTENSIONS = ["mysqlnd", "mysqli", "ctype", "iconv", "fileinfo", "gd", "exif", "tokenizer"];

/** Why a WordPress cannot be started here, or undefined when it can. */
export function wordPressMissing(): string | undefined {
  const fpm = phpFpmMissing();
  if (fpm) return fpm;
  const db = mariaDbMissing();
  if (db) return db;
  if (!existsSync(join(WORDPRESS_SOURCE, "wp-settings.php"))) return "WordPress is not installed (Debian: apt-get install wordpress)";
  if (!existsSync(join(WORDPRESS_CONTENT_SOURCE, "themes", WORDPRESS_THEME, "style.css"))) {
    return `the ${WORDPRESS_THEME} theme is not installed (Debian: apt-get install wordpress-theme-${WORDPRESS_THEME})`;
  }
  for (const ext of EXTENSIONS) {
    if (!existsSync(join(PHP_EXTENSION_DIR, `${ext}.so`))) {
      return `PHP extension ${ext} is missing from ${PHP_EXTENSION_DIR} (Debian: apt-get install php8.2-mysql php8.2-gd)`;
    }
  }
  return undefined;
}

export interface WordPress {
  /** The document root: a plain copy (no symlinks) with our wp-config.php; absolute, no trailing slash. */
  readonly root: string;
  /** PHP-FPM's Unix socket (its only listener). */
  readonly fpmSocket: string;
  readonly db: MariaDb;
  readonly dir: string;
  /** PHP-FPM's log and PHP's error log so far, for failure messages. */
  log(): string;
  /** Stops PHP-FPM and MariaDB, awaiting both, and removes the temp dirs. */
  close(): Promise<void>;
}

export interface WordPressOptions {
  /** PHP-FPM workers (default 4: installing makes WordPress request its own front page while it waits). */
  readonly children?: number;
}

/**
 * Copies `from` into `to`, following every symlink: Debian links core files to /usr/share/javascript and
 * /usr/share/php, and a server that refuses symlinks out of its root must still find them. Plain
 * stat/copyFile, which behave the same on Node, Deno and Bun (fs.cpSync's dereference does not everywhere).
 */
function copyTree(from: string, to: string, skip: ReadonlySet<string> = new Set()): void {
  mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const name of readdirSync(from)) {
    if (skip.has(name)) continue;
    const src = join(from, name);
    const dest = join(to, name);
    let stat;
    try {
      stat = statSync(src);
    } catch {
      continue; // a dangling link
    }
    if (stat.isDirectory()) copyTree(src, dest);
    else if (stat.isFile()) copyFileSync(src, dest);
  }
}

/** A PHP string literal. */
function php(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Fixed salts: cookies and nonces stay valid across FPM restarts within one test file, and nothing is random. */
const SALTS = ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"];

function wpConfig(dbSocket: string): string {
  return `<?php
// Written by test/helpers/wordpress.ts; replaces Debian's loader, which would read /etc/wordpress.
define('DB_NAME', ${php(DB_NAME)});
define('DB_USER', ${php(DB_USER)});
define('DB_PASSWORD', ${php(DB_PASSWORD)});
// "localhost:<path>": mysqli over the Unix socket (the server has no TCP listener).
define('DB_HOST', ${php(`localhost:${dbSocket}`)});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
${SALTS.map((k) => `define('${k}', 'proxy-fcgi test ${k.toLowerCase()}');`).join("\n")}
$table_prefix = 'wp_';

// The gateway under test listens on a different port per runtime: take the base URL from the request, not
// from the options table written at install time.
$proxy_fcgi_scheme = (!empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off') ? 'https' : 'http';
$proxy_fcgi_host = $_SERVER['HTTP_HOST'] ?? 'localhost';
define('WP_HOME', $proxy_fcgi_scheme . '://' . $proxy_fcgi_host);
define('WP_SITEURL', $proxy_fcgi_scheme . '://' . $proxy_fcgi_host);

// Nothing leaves the machine: no update checks, no cron loopbacks, no calls to wordpress.org.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('FS_METHOD', 'direct');
define('WP_DEBUG', false);

if (!defined('ABSPATH')) {
  define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;
}

/** php.ini for WordPress under -n (see EXTENSIONS). Errors go to a file of ours, not into pages or FCGI_STDERR. */
function iniSettings(dir: string): Array<readonly [string, string]> {
  return [
    ...EXTENSIONS.map((e) => ["extension", e] as const),
    ["zend_extension", "opcache"], // a page costs a fraction without it recompiling wp-includes every request
    ["opcache.enable", "1"],
    ["opcache.memory_consumption", "64"],
    ["opcache.jit", "off"],
    ["output_buffering", "4096"], // as Debian's production php.ini: headers may follow a stray byte of output
    ["memory_limit", "256M"],
    ["upload_max_filesize", "8M"],
    ["post_max_size", "16M"],
    ["max_execution_time", "30"],
    ["date.timezone", "UTC"],
    ["display_errors", "0"],
    ["log_errors", "1"],
    ["error_reporting", String(32767 & ~8192 & ~2048)], // E_ALL & ~E_DEPRECATED & ~E_STRICT: 6.1 on PHP 8.2 deprecates a lot
    ["error_log", join(dir, "php-errors.log")],
    ["fastcgi.logging", "0"],
    ["sendmail_path", "/bin/true"], // install and new-user mails go nowhere
    ["upload_tmp_dir", join(dir, "tmp")],
    ["sys_temp_dir", join(dir, "tmp")],
  ];
}

/**
 * Starts a private MariaDB, copies WordPress into a temp dir and starts a PHP-FPM pool for it on a Unix
 * socket. Not installed yet: installWordPress() in wordpress-scenario.ts does that over HTTP.
 */
export async function startWordPress(options: WordPressOptions = {}): Promise<WordPress> {
  const missing = wordPressMissing();
  if (missing) throw new Error(missing);
  const binary = PHP_FPM_BINARY!;
  const db = await startMariaDb();
  const dir = makeRamTempDir("wp");
  try {
    const root = join(dir, "root");
    // Core without Debian's wp-content (replaced below) and .htaccess (a link to /etc/wordpress, Apache only).
    copyTree(WORDPRESS_SOURCE, root, new Set(["wp-content", ".htaccess"]));
    copyTree(WORDPRESS_CONTENT_SOURCE, join(root, "wp-content"));
    mkdirSync(join(root, "wp-content", "uploads"), { recursive: true });
    writeFileSync(join(root, "wp-config.php"), wpConfig(db.socketPath));
    mkdirSync(join(dir, "tmp"));

    const fpmSocket = join(dir, "fpm.sock");
    const fpmLog = join(dir, "php-fpm.log");
    const configFile = join(dir, "php-fpm.conf");
    const read = (file: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    };
    const log = () => `--- php-fpm.log ---\n${read(fpmLog)}\n--- php-errors.log ---\n${read(join(dir, "php-errors.log"))}`;
    writeFileSync(configFile, `[global]
pid = ${join(dir, "php-fpm.pid")}
error_log = ${fpmLog}
log_level = notice
daemonize = no

[wordpress]
listen = ${fpmSocket}
listen.mode = 0600
listen.backlog = 128
pm = static
pm.max_children = ${options.children ?? 4}
catch_workers_output = yes
decorate_workers_output = no
clear_env = yes
request_terminate_timeout = 60s
`);
    // -F: our child in the foreground; -R: we run as root and the pool has no `user`; -n: no host php.ini.
    const args = ["-F", "-R", "-n", "-y", configFile];
    for (const [k, v] of iniSettings(dir)) args.push("-d", `${k}=${v}`);
    const daemon = spawnDaemon({ name: "php-fpm", command: binary, args, cwd: dir });
    try {
      await waitUntilListening(daemon, [{ path: fpmSocket }], 10_000, () => `\n${log()}`);
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    return {
      root,
      fpmSocket,
      db,
      dir,
      log,
      async close() {
        await daemon.stop();
        await db.close();
        removeDir(dir);
      },
    };
  } catch (e) {
    removeDir(dir);
    await db.close();
    throw e;
  }
}

