// Valid sample values of the JSON schemas the routes register (TypeBox output: object, array,
// anyOf, const, enum, integer, number, string with pattern or format, boolean, null), and the
// paths of the fields in them whose names say money (…Fen, fen) or energy (…Wh, …Kwh; not a
// price per kWh, a decimal string by design). A sample can be asked to include the fields on one
// path, so a test can then replace that one field.
import fc from 'fast-check';

export type Schema = Record<string, any>;
export type Path = Array<string | number>;

/** A money or energy field: integer fen or Wh by the house rules (kWh fields named so are energy too). */
export const MONEY_OR_ENERGY = /(^fen$|Fen$|^wh$|Wh$|Kwh$)/;
/** A price per kWh is not energy: yuan as a decimal string ("0.5283"), by design. */
const PRICE = /^price/i;

/** Whether a field name says money or energy. */
export function isMoneyOrEnergy(name: string): boolean {
  return MONEY_OR_ENERGY.test(name) && !PRICE.test(name);
}

const UUID = '00000000-0000-4000-8000-000000000000';

function stringSample(s: Schema): string {
  if (s.format === 'date-time') return '2026-11-22T08:00:00+08:00';
  if (s.format === 'uuid') return UUID;
  const min = s.minLength ?? 1;
  const max = s.maxLength ?? Math.max(min, 64);
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    const [found] = fc.sample(fc.stringMatching(re).filter((v) => v.length >= min && v.length <= max), { numRuns: 1, seed: 42 });
    if (found === undefined) throw new Error(`no sample for pattern ${s.pattern}`);
    return found;
  }
  return 'x'.repeat(min);
}

function numberSample(s: Schema): number {
  const lo = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : undefined);
  const hi = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : undefined);
  if (lo !== undefined && lo > 0) return lo;
  if (hi !== undefined && hi < 1) return hi;
  return 1;
}

/** A value valid against `schema`; on `path`, every object on the way has the next key. */
export function sample(schema: Schema, path: Path = []): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as Schema[];
    const pick = path.length > 0 ? branches.find((b) => reaches(b, path)) : branches.find((b) => b.type !== 'null');
    return sample(pick ?? branches[0]!, path);
  }
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const [head, ...rest] = path;
      for (const key of schema.required ?? []) if (props[key]) out[key] = sample(props[key]!, key === head ? rest : []);
      if (typeof head === 'string' && props[head] && !(head in out)) out[head] = sample(props[head]!, rest);
      // A minProperties bound with nothing required: one optional field.
      if (Object.keys(out).length < (schema.minProperties ?? 0)) {
        const key = Object.keys(props).find((k) => !(k in out));
        if (key) out[key] = sample(props[key]!);
      }
      return out;
    }
    case 'array': {
      const n = Math.max(schema.minItems ?? 0, path.length > 0 ? 1 : 0);
      return Array.from({ length: n }, (_, i) => sample(schema.items ?? {}, i === 0 ? path.slice(1) : []));
    }
    case 'integer':
    case 'number': return numberSample(schema);
    case 'string': return stringSample(schema);
    case 'boolean': return false;
    case 'null': return null;
    default: return null;
  }
}

/** Whether `path` leads somewhere inside `schema`. */
function reaches(schema: Schema, path: Path): boolean {
  if (path.length === 0) return true;
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Schema[]).some((b) => reaches(b, path));
  const [head, ...rest] = path;
  if (schema.type === 'object' && typeof head === 'string' && schema.properties?.[head]) return reaches(schema.properties[head], rest);
  if (schema.type === 'array' && typeof head === 'number' && schema.items) return reaches(schema.items, rest);
  return false;
}

/** Paths of every field named as money or energy in `schema` (through objects, arrays and unions). */
export function moneyAndEnergyPaths(schema: Schema, path: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(schema.anyOf)) for (const b of schema.anyOf as Schema[]) moneyAndEnergyPaths(b, path, out);
  if (schema.type === 'object' && schema.properties) {
    for (const [key, sub] of Object.entries(schema.properties as Record<string, Schema>)) {
      if (isMoneyOrEnergy(key)) out.push([...path, key]);
      moneyAndEnergyPaths(sub, [...path, key], out);
    }
  }
  if (schema.type === 'array' && schema.items) moneyAndEnergyPaths(schema.items, [...path, 0], out);
  return out;
}

/** `value` with the field at `path` set to `field`. */
export function setAt(value: unknown, path: Path, field: unknown): unknown {
  if (path.length === 0) return field;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? setAt(v, rest, field) : v));
  const obj = (value ?? {}) as Record<string, unknown>;
  return { ...obj, [head as string]: setAt(obj[head as string], rest, field) };
}
