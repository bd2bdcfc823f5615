#!/usr/bin/env node
// A minimal QMP client: connects to QEMU's unix socket, negotiates capabilities, runs each command given
// as a JSON argument in order, prints each reply's "return" as one JSON line. Events are ignored.
// usage: node qmp.mjs SOCKET '{"execute":"query-status"}' ['{"execute":...}' ...]
// Exits 1 with QEMU's error text on the first failing command; 2 on a timeout (QMP_TIMEOUT_S, default 300).
import { createConnection } from 'node:net';

const [sock, ...cmds] = process.argv.slice(2);
if (!sock || cmds.length === 0) {
  console.error('usage: qmp.mjs SOCKET JSON_COMMAND...');
  process.exit(2);
}
const pending = [{ execute: 'qmp_capabilities' }, ...cmds.map((c) => JSON.parse(c))];
const timer = setTimeout(
  () => {
    console.error(`qmp: no answer within ${process.env.QMP_TIMEOUT_S ?? 300} s`);
    process.exit(2);
  },
  1000 * Number(process.env.QMP_TIMEOUT_S ?? 300),
);

const conn = createConnection(sock);
let buf = '';
let greeted = false;
let current = null;
function next() {
  current = pending.shift() ?? null;
  if (current === null) {
    clearTimeout(timer);
    conn.end();
    return;
  }
  conn.write(JSON.stringify(current) + '\n');
}
conn.on('data', (d) => {
  buf += d.toString('utf8');
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (!line) continue;
    const msg = JSON.parse(line);
    if (msg.QMP && !greeted) {
      greeted = true;
      next();
      continue;
    }
    if (msg.event) continue;
    if (msg.error) {
      console.error(`qmp: ${current?.execute}: ${msg.error.class}: ${msg.error.desc}`);
      process.exit(1);
    }
    if ('return' in msg) {
      if (current && current.execute !== 'qmp_capabilities') console.log(JSON.stringify(msg.return));
      next();
    }
  }
});
conn.on('error', (e) => {
  // QEMU may close the socket before (or instead of) answering "quit": that is success
  if (current?.execute === 'quit') process.exit(0);
  console.error(`qmp: ${sock}: ${e.message}`);
  process.exit(1);
});
