// The daemon's error class with stable codes, and the one table that maps codes to
// HTTP statuses. Protocol layers have their own error classes; the daemon wraps them.

export type AppErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LEDGER_DUPLICATE_MISMATCH'
  | 'PAYMENT_ALREADY_REVERSED'
  | 'ACCOUNT_NOT_FOUND'
  | 'METER_NOT_FOUND'
  | 'PAYMENT_NOT_FOUND'
  | 'COMMAND_NOT_FOUND'
  | 'BUS_UNKNOWN'
  | 'BUS_TIMEOUT'
  | 'BUS_CLOSED'
  /** a reply whose checksum is wrong: the meter answered, the line garbled it */
  | 'FRAME_CHECKSUM'
  | 'METER_REFUSED'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export const HTTP_STATUS: Record<AppErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  METER_NOT_FOUND: 404,
  PAYMENT_NOT_FOUND: 404,
  COMMAND_NOT_FOUND: 404,
  CONFLICT: 409,
  LEDGER_DUPLICATE_MISMATCH: 409,
  PAYMENT_ALREADY_REVERSED: 409,
  BUS_UNKNOWN: 422,
  BUS_TIMEOUT: 504,
  BUS_CLOSED: 503,
  FRAME_CHECKSUM: 502,
  METER_REFUSED: 502,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
