// Error information words (错误信息字 ERR) carried by abnormal replies, decoded to named flags.
//
// DL/T 645-2007, abnormal reply frames of §7 (从站异常应答帧), table 错误信息字 ERR, one byte:
//   bit0 other error · bit1 no requested data · bit2 password error / unauthorised ·
//   bit3 baud rate cannot be changed · bit4 too many yearly time zones · bit5 too many daily
//   periods · bit6 too many tariffs · bit7 reserved.
// DL/T 645-1997 §6.x (异常应答): bit0 illegal data · bit1 data identifier error · bit2 password
//   error · bit4 too many yearly time zones · bit5 too many daily periods · bit6 too many tariffs.
// Remote control 1CH, State Grid's 2013 supplement to DL/T 645-2007 (智能电能表 DL/T 645-2007
//   备案文件, 控制命令错误信息字, required of meters from 2014): two bytes, LSB first:
//   bit0 meter suspended (挂起, after repeated MAC errors) · bit1 MAC error · bit2 password
//   error / unauthorised (also every error the table does not name) · bit3 identity
//   authentication timed out or absent · bit4 execution time invalid (validity deadline passed) ·
//   bit5 trip refused: keep-power · bit6 pre-trip refused: keep-power · bit7 pre-trip duration
//   invalid · bit8 pre-trip refused: already tripped.
// Security authentication 03H, same supplement and Q/GDW 1365 (安全认证错误信息字 SERR), two
//   bytes, LSB first, carried by the abnormal reply C3H: bit0 other error · bit1 repeated top-up
//   (重复充值) · bit2 ESAM verification failed (ESAM验证失败: wrong MAC, wrong ciphertext) ·
//   bit3 identity authentication failed (身份认证失败) · bit4 customer number mismatch (客户编号
//   不匹配) · bit5 purchase count error (充值次数错误) · bit6 purchase exceeds the hoarding limit
//   (购电超囤积) · bit7..15 reserved. Meters set bit0 only when no other bit is set.

export const ERROR_FLAGS_2007 = [
  'other',
  'noRequestedData',
  'unauthorised',
  'baudRateNotChangeable',
  'tooManyYearlyTimeZones',
  'tooManyDailyPeriods',
  'tooManyTariffs',
] as const;

export const ERROR_FLAGS_1997 = [
  'illegalData',
  'dataIdentifierError',
  'passwordError',
  null,
  'tooManyYearlyTimeZones',
  'tooManyDailyPeriods',
  'tooManyTariffs',
] as const;

export const CONTROL_ERROR_FLAGS = [
  'meterSuspended',
  'macError',
  'unauthorised',
  'identityAuthenticationTimeout',
  'deadlineExpired',
  'tripRefusedKeepPower',
  'preTripRefusedKeepPower',
  'preTripDurationInvalid',
  'preTripRefusedTripped',
] as const;

export const SECURITY_ERROR_FLAGS = [
  'other',
  'repeatedTopUp',
  'esamVerificationFailed',
  'identityAuthenticationFailed',
  'customerNumberMismatch',
  'purchaseCountError',
  'hoardingLimitExceeded',
] as const;

function flagsOf(word: number, table: readonly (string | null)[]): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    if ((word & (1 << bit)) === 0) continue;
    out.push(table[bit] ?? `bit${bit}`);
  }
  return out;
}

/** Names of the bits set in a DL/T 645-2007 error word (unknown bits come out as 'bitN'). */
export function decodeErrorWord(errorWord: number): string[] {
  return flagsOf(errorWord, ERROR_FLAGS_2007);
}

export function decodeErrorWord1997(errorWord: number): string[] {
  return flagsOf(errorWord, ERROR_FLAGS_1997);
}

/** Names of the bits set in a two-byte 1CH control error word (2013 supplement). */
export function decodeControlErrorWord(errorWord: number): string[] {
  return flagsOf(errorWord, CONTROL_ERROR_FLAGS);
}

/** Names of the bits set in a security-authentication error word SERR (03H, two bytes). */
export function decodeSecurityErrorWord(errorWord: number): string[] {
  return flagsOf(errorWord, SECURITY_ERROR_FLAGS);
}

/** Bit masks for building error words. */
export const ErrorBit = {
  other: 0x01,
  noRequestedData: 0x02,
  unauthorised: 0x04,
  baudRateNotChangeable: 0x08,
  tooManyYearlyTimeZones: 0x10,
  tooManyDailyPeriods: 0x20,
  tooManyTariffs: 0x40,
} as const;

export const ControlErrorBit = {
  meterSuspended: 0x0001,
  macError: 0x0002,
  unauthorised: 0x0004,
  identityAuthenticationTimeout: 0x0008,
  deadlineExpired: 0x0010,
  tripRefusedKeepPower: 0x0020,
  preTripRefusedKeepPower: 0x0040,
  preTripDurationInvalid: 0x0080,
  preTripRefusedTripped: 0x0100,
} as const;

export const SecurityErrorBit = {
  other: 0x0001,
  repeatedTopUp: 0x0002,
  esamVerificationFailed: 0x0004,
  identityAuthenticationFailed: 0x0008,
  customerNumberMismatch: 0x0010,
  purchaseCountError: 0x0020,
  hoardingLimitExceeded: 0x0040,
} as const;
