// Register maps of Modbus meter models (registermaps/*.json), loaded and validated at start-up:
// a misconfigured map stops the daemon with a message naming the file and the key. A map added to
// the directory later is loaded and validated when a meter first names it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModbusError, validateRegisterMap, type RegisterMap } from '../protocols/modbus/index.js';

const EXTENSION = '.json';

/** registermaps/ at the package root, found from here whether running from src/ or dist/src/. */
function shippedDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'registermaps');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`registermaps/ not found above ${fileURLToPath(import.meta.url)}`);
}

/** The configured directory, or the maps shipped with feikong. */
export function registerMapsDirectory(configured: string | undefined): string {
  return configured ? resolve(configured) : shippedDirectory();
}

export function registerMapNames(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(EXTENSION)).map((f) => basename(f, EXTENSION)).sort();
}

/** Reads and validates one map; throws MAP_INVALID naming the file (and the key, when the JSON parses). */
export function loadRegisterMap(dir: string, name: string): RegisterMap {
  const file = join(dir, `${name}${EXTENSION}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModbusError('MAP_INVALID', `register map ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON: ${(err as Error).message}`}`, { file });
  }
  return validateRegisterMap(raw, file, name);
}

export class RegisterMaps {
  private constructor(readonly dir: string, private readonly maps: Map<string, RegisterMap>) {}

  /** Loads and validates every map in `dir`; the first bad one throws. */
  static load(dir: string): RegisterMaps {
    const maps = new Map<string, RegisterMap>();
    for (const name of registerMapNames(dir)) maps.set(name, loadRegisterMap(dir, name));
    return new RegisterMaps(dir, maps);
  }

  static of(maps: Record<string, RegisterMap>, dir = '(memory)'): RegisterMaps {
    return new RegisterMaps(dir, new Map(Object.entries(maps)));
  }

  names(): string[] {
    return [...this.maps.keys()].sort();
  }

  /** The map `name`; one added to the directory since start-up is loaded (and validated) now. */
  get(name: string): RegisterMap {
    let map = this.maps.get(name);
    if (!map) {
      if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name) || !existsSync(join(this.dir, `${name}${EXTENSION}`))) {
        throw new ModbusError('MAP_INVALID', `register map "${name}" does not exist in ${this.dir} (have: ${this.names().join(', ') || 'none'})`, { name });
      }
      map = loadRegisterMap(this.dir, name);
      this.maps.set(name, map);
    }
    return map;
  }
}
