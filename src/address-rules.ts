// How a meter's address is written, per protocol: the rules are data (name, what they accept in
// words, the clause they come from), so an error names the rule it broke and the rule table is
// also what the README and the OpenAPI document show. Meters behind a concentrator follow the
// concentrator's configured rule (`mqtt.concentrators.<id>.meterAddressRule`), by default
// `mqtt.meterAddressRule` (DL/T 645: concentrators address the meters behind them by their
// DL/T 645 address).
import type { Config } from './config/schema.js';
import { AppError } from './errors.js';

export const ADDRESS_RULE_NAMES = ['dlt645', 'modbus-unit-id', 'free-form'] as const;
export type AddressRuleName = (typeof ADDRESS_RULE_NAMES)[number];

export interface AddressRule {
  /** what the rule accepts, in words */
  accepts: string;
  /** where the rule comes from */
  source: string;
  pattern: RegExp;
  /** a numeric address's largest value */
  max?: number;
}

export const ADDRESS_RULES: Readonly<Record<AddressRuleName, AddressRule>> = {
  dlt645: {
    accepts: 'exactly 12 decimal digits, leading zeros included (e.g. 000012345678)',
    source: 'DL/T 645-2007 §7.1: six bytes of BCD, printed on the meter as 12 digits',
    pattern: /^\d{12}$/,
  },
  'modbus-unit-id': {
    accepts: 'a whole number from 1 to 247, without leading zeros',
    source: 'Modbus over Serial Line V1.02 §2.3: unit ids 1 to 247',
    pattern: /^[1-9]\d{0,2}$/,
    max: 247,
  },
  'free-form': {
    accepts: '1 to 64 letters, digits, underscores, dots, colons or hyphens',
    source: "the concentrator's own meter ids (its configuration says so)",
    pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
  },
};

/** The rule a meter of `protocol` (behind `concentratorId`, for protocol mqtt) follows. */
export function addressRuleFor(config: Config, protocol: string, concentratorId: string | null): AddressRuleName {
  switch (protocol) {
    case 'dlt645': return 'dlt645';
    case 'modbus-rtu':
    case 'modbus-tcp': return 'modbus-unit-id';
    default: return (concentratorId !== null ? config.mqtt.concentrators[concentratorId]?.meterAddressRule : undefined) ?? config.mqtt.meterAddressRule;
  }
}

/** Null when `address` follows the rule, else why not. */
export function addressProblem(rule: AddressRuleName, address: string): string | null {
  const r = ADDRESS_RULES[rule];
  if (r.pattern.test(address) && (r.max === undefined || Number(address) <= r.max)) return null;
  return `address "${address}" does not follow the ${rule} address rule: ${r.accepts} (${r.source})`;
}

/** Throws a VALIDATION error naming the rule when the address does not follow it. */
export function checkAddress(config: Config, protocol: string, concentratorId: string | null, address: string): void {
  const rule = addressRuleFor(config, protocol, concentratorId);
  const problem = addressProblem(rule, address);
  if (problem) throw new AppError('VALIDATION', problem, { field: 'address', rule });
}
