/** A configuration problem found at start-up. The message names where (flag or JSON path), the key and why. */
export class ConfigError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "ConfigError";
  }
}
