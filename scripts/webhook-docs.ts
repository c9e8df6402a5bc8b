// Writes the event-types section of docs/webhooks.md from the event catalogue.
import { readFileSync, writeFileSync } from 'node:fs';
import { withEventTypes } from '../src/notify/event-docs.js';

const path = new URL('../docs/webhooks.md', import.meta.url);
writeFileSync(path, withEventTypes(readFileSync(path, 'utf8')));
process.stdout.write('docs/webhooks.md: event types written\n');
