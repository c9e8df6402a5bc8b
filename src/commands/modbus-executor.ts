// Relay commands for Modbus meters (RTU and TCP): write the register map's relay control (a coil,
// function 05 or 0F, or a holding register, 06 or 10), then read the relay state register back —
// the command lifecycle confirms a command only by that read-back. Modbus carries no validity
// deadline: the write acts at once, and the lifecycle does not send after the command expired.
import { FunctionCode, isModbusError, relayWriteRequest, type ModbusRequest } from '../../protocols/modbus/index.js';
import type { MeterRow } from '../db/repo/index.js';
import type { ModbusMeters } from '../polling/modbus-reader.js';
import type { RelayAction, RelayExecutor, RelayReadback, SendResult } from './executor.js';

/**
 * Modbus Application Protocol V1.1b3 §7: 05 ACKNOWLEDGE and 06 SERVER DEVICE BUSY say "later",
 * not "no": those are thrown, and the lifecycle reads back and sends again. Every other exception
 * (illegal function, address or value, device failure) is the meter refusing the command.
 */
const TRANSIENT_EXCEPTIONS: ReadonlySet<number> = new Set([0x05, 0x06]);

function describeWrite(request: ModbusRequest): string {
  const code = FunctionCode[request.function].toString(16).toUpperCase().padStart(2, '0');
  const table = request.function.endsWith('Coil') || request.function.endsWith('Coils') ? 'coil' : 'holding register';
  const value = 'value' in request ? Number(request.value) : 'values' in request ? Number(request.values[0]) : NaN;
  return `write ${table} 0x${request.address.toString(16).toUpperCase().padStart(4, '0')} = ${value} (function ${code})`;
}

export class ModbusExecutor implements RelayExecutor {
  constructor(private readonly meters: ModbusMeters) {}

  async send(meter: MeterRow, action: RelayAction, _deadline: Date): Promise<SendResult> {
    const map = this.meters.mapOf(meter);
    const request = relayWriteRequest(map, action === 'disconnect' ? 'open' : 'close');
    if (!request) {
      return { accepted: false, outcome: 'refused', message: `meter ${meter.id}: register map ${map.name} (${map.model}) has no relay control; it cannot ${action}`, impossible: true };
    }
    try {
      await this.meters.write(meter, request, `${action}: ${describeWrite(request)}`);
    } catch (err) {
      if (isModbusError(err) && err.code === 'MODBUS_EXCEPTION' && !TRANSIENT_EXCEPTIONS.has(Number(err.context.exceptionCode))) {
        return { accepted: false, outcome: 'refused', message: err.message };
      }
      throw err;
    }
    return { accepted: true };
  }

  async readBack(meter: MeterRow): Promise<RelayReadback> {
    const { relay } = await this.meters.read(meter, ['relayState'], 'command');
    if (!relay) throw new Error(`meter ${meter.id}: register map ${this.meters.mapOf(meter).name} has no relay state register to read back`);
    // A Modbus relay has no delayed trip or close-permit state: it is what the register says.
    return { relay, tripPending: false, closePermitted: false };
  }
}
