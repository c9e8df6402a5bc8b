// The meter model's own answer to a request addressed to it, by function code:
//
//   11H read data        → 91H DI + value, or D1H "no requested data" for a DI the meter lacks
//   01H read (1997)      → 81H DI + value, or C1H "data identifier error" (1997 meters only;
//                          a 1997 meter ignores every 2007 frame but broadcast time)
//   13H read address     → 93H address
//   1CH remote control   → 9CH, or DCH with the refusal's error word (checks in meter.ts);
//                          in ESAM mode a session gone is bit 3, a wrong MAC bit 1 (2013 supplement)
//   03H security auth.   → ESAM mode: 83H DI + payload, or C3H SERR (esam.ts); else "other error"
//   14H write            → ESAM mode: limits with PA 98H/99H and a right MAC → 94H, a wrong MAC,
//                          no session or a plaintext level → D4H bit 2 (unauthorised)
//   08H broadcast time   → sets the meter clock, no reply (DL/T 645-2007 §7.6)
//   anything else        → abnormal reply "other error"
import {
  ControlErrorBit,
  ErrorBit,
  decodeProtectedWriteRequest,
  decodeSecurityRequest,
  encodeSecurityRefusal,
  encodeSecurityResponse,
  encodeAck,
  FunctionCode,
  FunctionCode1997,
  decode1997ReadRequest,
  encode1997ReadResponse,
  decodeBroadcastTimeRequest,
  decodeControlRequest,
  decodeReadRequest,
  encodeAbnormalResponse,
  encodeControlResponse,
  encodeReadAddressResponse,
  encodeReadResponse,
  isDlt645Error,
  parseControl,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import type { SimMeter } from './meter.js';
import { readRegister, readRegister1997 } from './registers.js';
import { SILENT, send, type Reply } from './reply.js';

export function respond(meter: SimMeter, frame: Dlt645Frame): Reply {
  const { functionCode, fromMeter } = parseControl(frame.control);
  if (fromMeter) return SILENT;
  if (meter.edition === '1997' && functionCode !== FunctionCode.BroadcastTime) return respond1997(meter, frame, functionCode);
  try {
    switch (functionCode) {
      case FunctionCode.Read: {
        const { di } = decodeReadRequest(frame);
        if (meter.silentFor(di)) return SILENT;
        const payload = readRegister(meter, di);
        if (payload === undefined) return wire(meter, encodeAbnormalResponse(meter.address, functionCode, ErrorBit.noRequestedData));
        return wire(meter, encodeReadResponse(meter.address, di, payload));
      }
      case FunctionCode.ReadAddress:
        return wire(meter, encodeReadAddressResponse(meter.address));
      case FunctionCode.Control: {
        const outcome = meter.applyControl(decodeControlRequest(frame));
        if (outcome === 'session-expired') return wire(meter, encodeControlResponse(meter.address, { ok: false, reason: 'unauthorised', errorWord: ControlErrorBit.identityAuthenticationTimeout }));
        if (outcome === 'mac-error') return wire(meter, encodeControlResponse(meter.address, { ok: false, reason: 'unauthorised', errorWord: ControlErrorBit.macError }));
        return wire(meter, encodeControlResponse(meter.address, outcome === 'ok' ? { ok: true } : { ok: false, reason: outcome }));
      }
      case FunctionCode.SecurityAuthentication: {
        if (meter.esam === null) return wire(meter, encodeAbnormalResponse(meter.address, functionCode, ErrorBit.other));
        const request = decodeSecurityRequest(frame);
        const result = meter.esam.security(request.di, request.payload, meter);
        return wire(meter, result.ok ? encodeSecurityResponse(meter.address, request.di, result.payload) : encodeSecurityRefusal(meter.address, result.refusal));
      }
      case FunctionCode.Write: {
        if (meter.esam === null) return wire(meter, encodeAbnormalResponse(meter.address, functionCode, ErrorBit.other));
        let outcome: 'ok' | 'unauthorised' | 'other';
        try {
          outcome = meter.applyProtectedWrite(decodeProtectedWriteRequest(frame));
        } catch (error) {
          if (!isDlt645Error(error) || error.code !== 'FRAME_UNEXPECTED') throw error;
          outcome = 'unauthorised'; // a plaintext level on an ESAM meter
        }
        if (outcome === 'ok') return wire(meter, encodeAck(meter.address, functionCode));
        return wire(meter, encodeAbnormalResponse(meter.address, functionCode, outcome === 'unauthorised' ? ErrorBit.unauthorised : ErrorBit.other));
      }
      case FunctionCode.BroadcastTime: {
        const { time } = decodeBroadcastTimeRequest(frame);
        if (time !== null) meter.setClock(time);
        return SILENT;
      }
      default:
        return wire(meter, encodeAbnormalResponse(meter.address, functionCode, ErrorBit.other));
    }
  } catch (error) {
    // A request the codec cannot read (short data, bad BCD) gets "other error", as a meter would.
    if (!isDlt645Error(error)) throw error;
    return wire(meter, encodeAbnormalResponse(meter.address, functionCode, ErrorBit.other));
  }
}

/** DL/T 645-1997 §6 (读数据): 01H → 81H DI + value; a DI the meter lacks → C1H with bit 1 (数据标识错). */
function respond1997(meter: SimMeter, frame: Dlt645Frame, functionCode: number): Reply {
  if (functionCode !== FunctionCode1997.Read) return SILENT;
  try {
    const { di } = decode1997ReadRequest(frame);
    if (meter.silentFor(di)) return SILENT;
    const payload = readRegister1997(meter, di);
    if (payload === undefined) return wire(meter, encodeAbnormalResponse(meter.address, functionCode, 0x02));
    return wire(meter, encode1997ReadResponse(meter.address, di, payload));
  } catch (error) {
    if (!isDlt645Error(error)) throw error;
    return wire(meter, encodeAbnormalResponse(meter.address, functionCode, 0x01));
  }
}

/** Prefixes the meter's FEH wake-up bytes (DL/T 645-2007 §5.3.1). */
function wire(meter: SimMeter, frame: Buffer): Reply {
  return send(Buffer.concat([Buffer.alloc(meter.preamble, 0xfe), frame]));
}
