/** A configuration problem found at start-up. The message names where (flag or JSON path), the key and why. */
export class ConfigError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "ConfigError";
    // What the user must fix is the message; a stack would only bury it (`deno serve` prints uncaught errors).
    this.stack = `ConfigError: ${this.message}`;
  }
}
