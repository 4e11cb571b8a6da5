// FastCGI 1.0 wire constants (FastCGI Specification, Open Market 1996, §8 "Types and Constants").

/** The only protocol version there is (spec §3.3: FCGI_VERSION_1). */
export const FCGI_VERSION_1 = 1;

/** Every record starts with an 8-byte header (spec §3.3: FCGI_HEADER_LEN). */
export const FCGI_HEADER_LEN = 8;

/** Request id 0 is reserved for management records (spec §3.3). */
export const FCGI_NULL_REQUEST_ID = 0;

/** Request ids are 16 bits on the wire. */
export const MAX_REQUEST_ID = 0xffff;

/** Record types (spec §8). */
export const RecordType = {
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const;
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

/** Roles in FCGI_BeginRequestBody (spec §5). */
export const Role = {
  RESPONDER: 1,
  AUTHORIZER: 2,
  FILTER: 3,
} as const;
export type RoleValue = (typeof Role)[keyof typeof Role];

/** FCGI_BeginRequestBody flag: keep the connection open after the request (spec §5.1). */
export const FCGI_KEEP_CONN = 1;

/** protocolStatus values of FCGI_EndRequestBody (spec §5.5). */
export const ProtocolStatus = {
  REQUEST_COMPLETE: 0,
  CANT_MPX_CONN: 1,
  OVERLOADED: 2,
  UNKNOWN_ROLE: 3,
} as const;
export type ProtocolStatusValue = (typeof ProtocolStatus)[keyof typeof ProtocolStatus];

/** Variable names for FCGI_GET_VALUES (spec §4.1). */
export const FCGI_MAX_CONNS = "FCGI_MAX_CONNS";
export const FCGI_MAX_REQS = "FCGI_MAX_REQS";
export const FCGI_MPXS_CONNS = "FCGI_MPXS_CONNS";

/** contentLength is a 16-bit field. */
export const MAX_CONTENT_LENGTH = 0xffff;

/**
 * The largest record content we emit: a multiple of 8, so content + padding never exceeds 65535.
 * PHP-FPM rejects a record whose content plus padding is larger than its 64 KiB buffer.
 */
export const MAX_RECORD_CONTENT = 65528;
