// The FastCGI 1.0 codec: pure bytes, no I/O, no imports outside this folder.

export {
  FCGI_HEADER_LEN,
  FCGI_KEEP_CONN,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  FCGI_VERSION_1,
  MAX_CONTENT_LENGTH,
  MAX_RECORD_CONTENT,
  MAX_REQUEST_ID,
  ProtocolStatus,
  RecordType,
  Role,
} from "./constants.ts";
export type { ProtocolStatusValue, RecordTypeValue, RoleValue } from "./constants.ts";
export { ParamTooLargeError, ProtocolError } from "../errors.ts";
export type { ProtocolErrorReason } from "../errors.ts";
export { checkRequestId, paddingFor, writeHeader } from "./header.ts";
export {
  decodePairs,
  encodedPairSize,
  lengthPrefixSize,
  pairMaxBytes,
  PairsParser,
  parseGetValues,
  parseGetValuesResult,
  writePair,
} from "./pairs.ts";
export type { PairsParserOptions, PairValue } from "./pairs.ts";
export {
  abortRequest,
  beginRequest,
  endRequest,
  getValues,
  getValuesResult,
  streamEnd,
  streamRecords,
  streamRecordsSize,
  unknownType,
  writeAbortRequest,
  writeBeginRequest,
  writeEndRequest,
  writeStreamEnd,
  writeStreamRecords,
  writeUnknownType,
} from "./encode.ts";
export { encodeRequestHead } from "./request-head.ts";
export type { RequestHeadOptions } from "./request-head.ts";
export { encodeStdinChunk, encodeStdinEnd } from "./stdin.ts";
export { RecordDecoder } from "./decoder.ts";
export type { RecordDecoderOptions, RecordHandlers } from "./decoder.ts";
