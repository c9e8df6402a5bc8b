// Coded errors raised by the DL/T 645 codec. Every failure carries a stable code and a context
// object (offending bytes, lengths, identifiers) so that callers can count, log and map them
// without parsing messages.

export type Dlt645ErrorCode =
  | 'FRAME_TOO_SHORT'
  | 'FRAME_BAD_START'
  | 'FRAME_BAD_LENGTH'
  | 'FRAME_CHECKSUM'
  | 'FRAME_BAD_END'
  | 'FRAME_BAD_ADDRESS'
  | 'FRAME_UNEXPECTED'
  | 'METER_ABNORMAL'
  | 'VALUE_INVALID'
  | 'DI_UNKNOWN'
  /** A reading profile that names an unknown DI or puts a DI where it does not belong. */
  | 'PROFILE_INVALID'
  /** A payload strategy (ESAM, encryption machine) that this build cannot provide. */
  | 'NOT_SUPPORTED';

export class Dlt645Error extends Error {
  readonly code: Dlt645ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: Dlt645ErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'Dlt645Error';
    this.code = code;
    this.context = context;
  }
}

export function isDlt645Error(e: unknown): e is Dlt645Error {
  return e instanceof Dlt645Error;
}
