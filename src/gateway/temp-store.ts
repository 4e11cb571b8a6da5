// Where request bodies of unknown length are spooled once they outgrow memory. Implemented on a filesystem
// in src/transport/temp-file.ts; runtimes without one (Workers) have none and spool in memory only.

export interface TempFile {
  write(chunk: Uint8Array): Promise<void>;
  /** Reads the whole file back, in order, once. Closing the reader or reaching the end disposes the file. */
  readable(): ReadableStream<Uint8Array>;
  dispose(): Promise<void>;
}

export type TempStore = () => Promise<TempFile>;
