// Writes the states-and-outcomes section of docs/commands.md from src/domain/codes.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { withCommandCodes } from '../src/commands/command-docs.js';

const path = new URL('../docs/commands.md', import.meta.url);
writeFileSync(path, withCommandCodes(readFileSync(path, 'utf8')));
process.stdout.write('docs/commands.md: states and outcomes written\n');
