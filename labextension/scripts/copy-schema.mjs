// Copies the protocol's message table, nbsec/kernel/protocol.schema.json (owned by the kernel
// side), into src/protocol_schema.json, which the panel validates every kernel message against.
// The copy is committed so a checkout builds as is; this keeps it equal to the kernel's file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const source = new URL(
  '../../nbsec/kernel/protocol.schema.json',
  import.meta.url
);
const target = new URL('../src/protocol_schema.json', import.meta.url);
if (existsSync(source)) {
  const text = readFileSync(source, 'utf8');
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    writeFileSync(target, text);
  }
}
