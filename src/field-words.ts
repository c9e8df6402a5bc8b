// What a field of an input schema accepts, in words, for the people who fill in a CSV import:
// the allowed values of a choice, the form of an id or a price, the range of a number. Never a
// regular expression: every pattern of the import schemas has its words here (a test walks the
// schemas), and one without words is described by its length alone.
import type { TSchema } from '@sinclair/typebox';

/** The patterns of the input schemas (src/fleet.ts), in words. */
const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z0-9_.:-]+$': 'letters, digits and _ . : -',
  '^[A-Za-z0-9_.:-]{1,64}$': '1 to 64 characters: letters, digits and _ . : -',
  '^\\d{1,4}(\\.\\d{1,6})?$': 'a decimal number with up to 4 digits before the point and up to 6 after it, e.g. 0.5283',
  '^[a-z0-9][a-z0-9_.-]*$': 'a name of lowercase letters, digits and _ . - (starting with a letter or digit)',
  '^[0-9A-Fa-f]{6}$': 'exactly 6 hexadecimal digits (0-9, A-F), e.g. 000000',
  '^[0-9A-Fa-f]{8}$': 'exactly 8 hexadecimal digits (0-9, A-F), e.g. 00000000',
};

/** The words for a pattern, or undefined when it has none. */
export function patternWords(pattern: string): string | undefined {
  return PATTERN_WORDS[pattern];
}

/** String formats of the API's schemas, in words. */
const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'a time in ISO 8601 with an offset or Z, e.g. 2026-11-22T08:00:00+08:00',
  uuid: 'a UUID, e.g. 0b7c2f4e-6d1a-4c3b-9e8f-1a2b3c4d5e6f',
};

export const BOOLEAN_WORDS = 'true or false (also yes/no, y/n, 1/0, 是/否)';

function range(s: { minimum?: number; maximum?: number }): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${s.minimum} to ${s.maximum}`;
  if (s.minimum !== undefined) return ` of at least ${s.minimum}`;
  if (s.maximum !== undefined) return ` of at most ${s.maximum}`;
  return '';
}

function lengthWords(s: { minLength?: number; maxLength?: number }): string {
  if (s.minLength !== undefined && s.maxLength !== undefined) return `${s.minLength} to ${s.maxLength} characters`;
  if (s.maxLength !== undefined) return `at most ${s.maxLength} characters`;
  if (s.minLength !== undefined && s.minLength > 0) return `at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`;
  return 'text';
}

/** What `schema` accepts, in words: "one of A, B, C, D", "a whole number from 0 to 100", … */
export function fieldWords(schema: TSchema): string {
  const s = schema as {
    anyOf?: TSchema[]; oneOf?: TSchema[]; const?: unknown; type?: string; pattern?: string; format?: string; minLength?: number; maxLength?: number;
    minimum?: number; maximum?: number; properties?: Record<string, TSchema>; description?: string;
  };
  let words: string;
  // A described code list (src/http/schemas.ts `described`) is a oneOf of consts.
  const choices = s.anyOf ?? s.oneOf;
  if (choices && choices.every((b) => (b as { const?: unknown }).const !== undefined)) {
    words = `one of ${choices.map((b) => String((b as { const?: unknown }).const)).join(', ')}`;
  } else if (s.anyOf) {
    words = s.anyOf.map(fieldWords).join(', or ');
  } else if (s.type === 'string' && s.format !== undefined && FORMAT_WORDS[s.format]) {
    words = FORMAT_WORDS[s.format]!;
  } else if (s.type === 'string') {
    const form = s.pattern === undefined ? undefined : patternWords(s.pattern);
    const length = lengthWords(s);
    words = form === undefined ? length : form.includes('characters') || length === 'text' ? form : `${length}: ${form}`;
  } else if (s.type === 'integer') {
    words = `a whole number${range(s)}`;
  } else if (s.type === 'number') {
    words = `a number${range(s)}`;
  } else if (s.type === 'boolean') {
    words = BOOLEAN_WORDS;
  } else if (s.type === 'object') {
    const keys = Object.keys(s.properties ?? {});
    words = `a JSON object${keys.length > 0 ? ` with any of ${keys.join(', ')}` : ''}`;
  } else {
    words = 'a value';
  }
  return s.description ? `${words} — ${s.description}` : words;
}
