// Collection for DL/T 645 meters: forward active energy, the relay state from status word 3 and,
// when configured, the time-of-use registers — over the driver, as MeterValues.
//
//   edition '2007'  read 00010000 ─▶ read 04000503 (status word 3) ─▶ [00010100..00010400]
//   edition '1997'  read 9010 ─▶ [9011..9014]; 1997 has no status word 3: relay null
//   edition 'auto'  2007 first; when the 2007 read gets no answer, the 1997 read; the edition that
//                   answered is remembered (in memory) and asked first next time
//
// DL/T 645-2007 Appendix A: 00010000 正向有功总电能, 000101xx..000104xx tariffs 1..4 (尖 峰 平 谷),
// 04000503 status word 3 (bit 4: relay open). DL/T 645-1997: 9010 正向有功总电能, 9011..9014.
import { DataIdentifier, DataIdentifier1997, decode1997Value, decodeEnergyWh } from '../../protocols/dlt645/index.js';
import type { MeterRow } from '../db/repo/index.js';
import type { Priority } from './bus.js';
import type { Dlt645Driver, ReadOptions } from './dlt645-driver.js';
import type { MeterReader, MeterValues } from './meter-reader.js';

export interface Dlt645ReaderOptions {
  /** Also read the four time-of-use registers. */
  readTou: boolean;
}

type Edition = '2007' | '1997';
type TouWh = NonNullable<MeterValues['touWh']>;

/** Tariff 1..4 → the MeterValues field (State Grid convention: 尖 峰 平 谷). */
const TOU_FIELDS: ReadonlyArray<keyof TouWh> = ['criticalWh', 'peakWh', 'flatWh', 'valleyWh'];
const TOU_2007 = [DataIdentifier.forwardActiveTariff1, DataIdentifier.forwardActiveTariff2, DataIdentifier.forwardActiveTariff3, DataIdentifier.forwardActiveTariff4];
const TOU_1997 = [DataIdentifier1997.forwardActiveTariff1, DataIdentifier1997.forwardActiveTariff2, DataIdentifier1997.forwardActiveTariff3, DataIdentifier1997.forwardActiveTariff4];

export class Dlt645Reader implements MeterReader {
  /** For meters with edition 'auto': the edition that last answered. */
  private readonly answered = new Map<string, Edition>();
  /** Meters that refused a time-of-use register (single-rate meters): not asked again. */
  private readonly noTou = new Set<string>();

  constructor(private readonly driver: Dlt645Driver, private readonly options: Dlt645ReaderOptions) {}

  /** The edition an 'auto' meter last answered in, if any. */
  answeredEdition(meterId: string): Edition | undefined {
    return this.answered.get(meterId);
  }

  async read(meter: MeterRow, priority: Priority): Promise<MeterValues> {
    // An offline meter is probed with a single attempt, so it does not eat the line.
    const options: ReadOptions = meter.online ? {} : { retries: 0 };
    const { edition, energyWh } = await this.readEnergy(meter, priority, options);
    let relay: MeterValues['relay'] = null;
    if (edition === '2007') {
      const status = await this.driver.readStatusWord3(meter.address, priority, options);
      relay = status.relayOpen ? 'open' : 'closed';
    }
    const values: MeterValues = { energyWh, relay };
    if (this.options.readTou && !this.noTou.has(meter.id)) {
      const touWh = await this.readTou(meter, edition, priority, options);
      if (touWh) values.touWh = touWh;
    }
    return values;
  }

  private async readEnergy(meter: MeterRow, priority: Priority, options: ReadOptions): Promise<{ edition: Edition; energyWh: number }> {
    const order: Edition[] = meter.edition !== 'auto'
      ? [meter.edition]
      : this.answered.get(meter.id) === '1997' ? ['1997', '2007'] : ['2007', '1997'];
    for (let i = 0; ; i++) {
      const edition = order[i]!;
      try {
        const energyWh = edition === '2007'
          ? decodeEnergyWh(await this.driver.read(meter.address, DataIdentifier.forwardActiveTotal, priority, options))
          : energy1997(DataIdentifier1997.forwardActiveTotal, await this.driver.read1997(meter.address, DataIdentifier1997.forwardActiveTotal, priority, options));
        if (meter.edition === 'auto') this.answered.set(meter.id, edition);
        return { edition, energyWh };
      } catch (err) {
        // Only silence means "try the other edition"; a meter that answered has spoken.
        if ((err as { code?: string }).code !== 'BUS_TIMEOUT' || i + 1 >= order.length) throw err;
      }
    }
  }

  private async readTou(meter: MeterRow, edition: Edition, priority: Priority, options: ReadOptions): Promise<TouWh | undefined> {
    const touWh: TouWh = {};
    for (let t = 0; t < 4; t++) {
      try {
        touWh[TOU_FIELDS[t]!] = edition === '2007'
          ? decodeEnergyWh(await this.driver.read(meter.address, TOU_2007[t]!, priority, options))
          : energy1997(TOU_1997[t]!, await this.driver.read1997(meter.address, TOU_1997[t]!, priority, options));
      } catch (err) {
        if ((err as { code?: string }).code !== 'METER_REFUSED') throw err;
        this.noTou.add(meter.id);
        return undefined;
      }
    }
    return touWh;
  }
}

function energy1997(di: number, payload: Uint8Array): number {
  return decode1997Value(di, payload).value;
}
