/**
 * `crash-ts --share NAME --invite LABEL [--key FILE]`: the authorized_keys line that lets someone without an
 * account join NAME over SSH. OpenSSH checks their key; the forced command (which only the host can write, in its
 * own authorized_keys) fixes who they are, `restrict` turns off forwarding and the rest, `pty` gives them a
 * terminal for the UI.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NAME_RE } from './paths.js';

const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,31}(,observe)?$/;

/** The command the line forces: this crash-ts, by absolute path (sshd's PATH is short), with node if it must. */
export function forcedCommand(name: string, label: string, launcher = process.argv[1]): string {
  const bin = launcher ? resolve(launcher) : 'crash-ts';
  return `${bin} join ${name} --as ${label}`;
}

export function inviteLine(name: string, label: string, keyFile?: string, launcher?: string): string {
  if (!NAME_RE.test(name)) throw new Error(`--invite: "${name}" is not a session name (letters, digits, . _ -)`);
  if (!LABEL_RE.test(label)) throw new Error(`--invite ${label}: a LABEL is letters, digits, . _ @ - (and ,observe)`);
  let key = 'ssh-ed25519 AAAA...THEIR-PUBLIC-KEY';
  if (keyFile !== undefined) {
    const text = readFileSync(keyFile, 'utf8').trim().split('\n')[0]!.trim();
    if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/=]+/.test(text))
      throw new Error(`--key ${keyFile}: not an OpenSSH public key`);
    key = text;
  }
  const line = `command="${forcedCommand(name, label, launcher)}",restrict,pty ${key}`;
  return (
    line +
    '\n' +
    (keyFile === undefined
      ? "# put the guest's public key in place of the last field, then add the line to ~/.ssh/authorized_keys\n"
      : '')
  );
}
