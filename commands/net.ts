/** net: the network devices of the current task's network namespace and their IPv4/IPv6 addresses. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { netDevices, netNamespaceOf } from '../src/kernel/objects/net.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `net - network devices

SYNOPSIS
  net

Lists the network devices (struct net_device) of the current context's network namespace — the
initial namespace for most tasks — with each device's name and its IPv4 then IPv6 addresses, as
crash does. Change the context with \`set PID\` to see another container's devices.

EXAMPLES
  net
  set 1234
  net`;

const net: Command = {
  name: 'net',
  summary: 'network devices and their addresses',
  help: HELP,
  needsDump: true,
  options: {},
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    let list;
    try {
      list = netDevices(k, netNamespaceOf(k, session.currentTask()));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    // crash: the NET_DEVICE header centred over a 16-digit address column, the name in 10 columns
    const lines = ['   NET_DEVICE     NAME       IP ADDRESS(ES)'];
    for (const d of list.devices) {
      const addrs = d.problem ? `(unreadable: ${d.problem})` : [...d.ipv4, ...d.ipv6].join(', ');
      lines.push(`${d.address.toString(16).padStart(16, '0')}  ${d.name.padEnd(10)} ${addrs}`);
    }
    if (list.unreadable)
      lines.push(`net: ${list.unreadable} device list entr${list.unreadable === 1 ? 'y' : 'ies'} not in the dump`);
    return text(lines, list);
  },
};

export default net;
