// Tests join chunks with the same helper as the gateway.
export { concatBytes as concat } from "../../src/bytes.ts";
