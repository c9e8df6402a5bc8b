// Exact decimal scaling of JSON numbers: 1234.56 kWh → 1234560 Wh, 12.34 yuan → 1234 fen, without
// floating-point error (1234.56 * 1000 is 1234559.9999999998 in binary floating point).
//
// JSON.parse hands us an IEEE 754 double. Its shortest round-trip decimal text (what String(n)
// prints, ECMA-262 Number::toString) is exactly the text the sender wrote whenever that text has at
// most 15 significant digits (DBL_DIG), which every meter register has (DL/T 645 energy is 8
// digits, XXXXXX.XX kWh). We scale that decimal text by moving the decimal point — digits only, no
// arithmetic on fractions — and round half up past the wanted precision (a sender printing floats
// with noise, 1234.5600000000002, still gives 1234560).

/** `value × 10^decimals` as an integer, rounded half up; null when not a finite number or not a safe integer. */
export function scaleDecimal(value: number, decimals: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) {
    const scaled = value * 10 ** decimals;
    return Number.isSafeInteger(scaled) ? scaled : null;
  }
  const text = String(value);
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const e = body.indexOf('e');
  const mantissa = e >= 0 ? body.slice(0, e) : body;
  let exponent = e >= 0 ? Number(body.slice(e + 1)) : 0;
  const point = mantissa.indexOf('.');
  const digits = point >= 0 ? mantissa.slice(0, point) + mantissa.slice(point + 1) : mantissa;
  if (point >= 0) exponent -= mantissa.length - point - 1;
  // value = digits × 10^exponent; we want digits × 10^(exponent + decimals).
  const shift = exponent + decimals;
  let result: number;
  if (shift >= 0) {
    if (digits.length + shift > 16) return null;
    result = Number(digits + '0'.repeat(shift));
  } else {
    const keep = digits.length + shift;
    const whole = keep > 0 ? Number(digits.slice(0, keep)) : 0;
    const firstDropped = keep >= 0 ? (digits.charCodeAt(keep) - 48) : 0;
    result = firstDropped >= 5 ? whole + 1 : whole;
  }
  if (!Number.isSafeInteger(result)) return null;
  return negative && result !== 0 ? -result : result;
}
