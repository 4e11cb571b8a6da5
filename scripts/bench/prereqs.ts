// What the benchmark needs on the machine, where it lives on Debian, and the one apt-get line that installs
// whatever is missing.
import { accessSync, constants, existsSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./procs.ts";

export const APACHE_MODULES_DIR = "/usr/lib/apache2/modules";
export const APACHE_MODULES = ["mpm_event", "authz_core", "proxy", "proxy_fcgi", "setenvif", "alias"] as const;

export interface Tools {
  readonly nginx: string;
  readonly apache: string;
  readonly phpFpm: string;
  readonly wrk: string;
  readonly cc: string;
  readonly node: string;
  readonly deno: string;
  readonly bun: string;
  readonly esbuild: string;
}

interface Check {
  readonly what: string;
  /** Candidate paths; the first executable (or readable, for headers) one wins. */
  readonly paths: readonly string[];
  readonly packages: readonly string[];
}

const SYSTEM_CHECKS: readonly Check[] = [
  { what: "nginx", paths: ["/usr/sbin/nginx"], packages: ["nginx-light"] },
  { what: "nginx fastcgi_params", paths: ["/etc/nginx/fastcgi_params"], packages: ["nginx-light"] },
  { what: "apache2", paths: ["/usr/sbin/apache2"], packages: ["apache2"] },
  ...APACHE_MODULES.map((m) => ({ what: `mod_${m}`, paths: [join(APACHE_MODULES_DIR, `mod_${m}.so`)], packages: ["apache2"] })),
  { what: "php-fpm 8.2", paths: ["/usr/sbin/php-fpm8.2"], packages: ["php8.2-fpm"] },
  { what: "wrk", paths: ["/usr/bin/wrk", "/usr/local/bin/wrk"], packages: ["wrk"] },
  { what: "libfcgi headers", paths: ["/usr/include/fcgiapp.h"], packages: ["libfcgi-dev"] },
  { what: "C compiler", paths: ["/usr/bin/cc", "/usr/bin/gcc"], packages: ["gcc", "libc6-dev"] },
  // The wordpress scenario: Debian's WordPress and its default theme, MariaDB, PHP's mysqli and gd.
  { what: "WordPress", paths: ["/usr/share/wordpress/wp-settings.php"], packages: ["wordpress"] },
  { what: "WordPress theme", paths: ["/var/lib/wordpress/wp-content/themes/twentytwentythree/style.css"], packages: ["wordpress-theme-twentytwentythree"] },
  { what: "MariaDB", paths: ["/usr/sbin/mariadbd"], packages: ["mariadb-server"] },
  { what: "PHP mysqli", paths: ["/usr/lib/php/20220829/mysqli.so"], packages: ["php8.2-mysql"] },
  { what: "PHP gd", paths: ["/usr/lib/php/20220829/gd.so"], packages: ["php8.2-gd"] },
];

function firstPresent(paths: readonly string[]): string | undefined {
  for (const p of paths) {
    try {
      accessSync(p, constants.R_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Debian packages to install for what is missing (deduplicated, in check order). */
export function missingPackages(): string[] {
  const out: string[] = [];
  for (const c of SYSTEM_CHECKS) {
    if (firstPresent(c.paths)) continue;
    for (const p of c.packages) if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** What is missing from node_modules (npm install brings it), by name. */
export function missingNodeModules(root: string): string[] {
  return ["deno", "bun", "esbuild"].filter((b) => !existsSync(join(root, "node_modules", ".bin", b)));
}

const asRoot = process.getuid?.() === 0;

/** The one line a user runs to get the missing packages. */
export function aptLine(packages: readonly string[]): string {
  const sudo = asRoot ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

/**
 * apt-get update + install. Debian's maintainer scripts would start system nginx, Apache and php-fpm services
 * (nginx on port 80); a policy-rc.d that refuses every start keeps them stopped, as the benchmark starts its own.
 */
export async function installPackages(packages: readonly string[]): Promise<void> {
  const sudo = asRoot ? [] : ["sudo"];
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = asRoot && !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\n# written by scripts/bench while it installs packages\nexit 101\n", { mode: 0o755 });
  try {
    const env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", DEBIAN_FRONTEND: "noninteractive" };
    const apt = async (args: string[]) => {
      const cmd = [...sudo, "apt-get", ...args];
      process.stderr.write(`bench: ${cmd.join(" ")}\n`);
      const r = await runCommand(cmd[0]!, cmd.slice(1), { timeoutMs: 15 * 60_000, env, inherit: true });
      if (r.code !== 0) throw new Error(`${cmd.join(" ")} failed (exit ${r.code})${r.stderr ? `: ${r.stderr}` : ""}`);
    };
    await apt(["update"]);
    await apt(["install", "-y", "--no-install-recommends", ...packages]);
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
}

/** Paths of every tool; call after missingPackages() is empty. */
export function locateTools(root: string): Tools {
  const must = (what: string, paths: readonly string[]) => {
    const p = firstPresent(paths);
    if (!p) throw new Error(`${what} not found (looked in ${paths.join(", ")})`);
    return p;
  };
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  return {
    nginx: must("nginx", ["/usr/sbin/nginx"]),
    apache: must("apache2", ["/usr/sbin/apache2"]),
    phpFpm: must("php-fpm8.2", ["/usr/sbin/php-fpm8.2"]),
    wrk: must("wrk", ["/usr/bin/wrk", "/usr/local/bin/wrk"]),
    cc: must("cc", ["/usr/bin/cc", "/usr/bin/gcc"]),
    node: process.execPath,
    // node_modules/.bin/deno and bun are symlinks to the real executables (no wrapper process): the pid we
    // spawn is the runtime itself, whose CPU time is what we read.
    deno: bin("deno"),
    bun: bin("bun"),
    esbuild: bin("esbuild"),
  };
}
