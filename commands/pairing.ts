/** The commands of a shared session (crash-ts --share / crash-ts join): who, driver, follow, unfollow, say, share. */
import { CommandError, type Command } from '../src/command.js';
import type { Session } from '../src/session.js';
import type { Pairing } from '../src/share/context.js';

function pairing(session: Session): Pairing {
  if (!session.pairing)
    throw new CommandError(
      'not in a shared session (host one with crash-ts --share NAME VMLINUX VMCORE, join one with crash-ts join NAME)',
    );
  return session.pairing;
}

const see = `
SEE ALSO
  help share (hosting, joining, inviting), help join`;

const who: Command = {
  name: 'who',
  summary: 'who is in this shared session: roles, terminal sizes, how each name was set',
  help: `NAME
  who - the participants of a shared session

SYNOPSIS
  who

DESCRIPTION
  One line per participant: * marks you; ROLE is host, driver, participant or
  observer; SIZE their terminal; FOLLOWS whether the driver's output shows in
  their transcript. IDENTITY says how the name was set: "invited (key)" is the
  --as of a forced command in the host's authorized_keys (only the host writes
  those); "account (its own word)" is what a shell-account client said it is.
${see}`,
  run: (s) => pairing(s).who(),
};

const driver: Command = {
  name: 'driver',
  summary: 'who drives a shared session, or hand the wheel to someone',
  help: `NAME
  driver - the participant whose commands and output others follow

SYNOPSIS
  driver [NAME]

DESCRIPTION
  Without NAME, says who drives. With NAME, hands the wheel to that participant
  (the host or the current driver may; the host can always take it back with
  "driver HOSTNAME"). Observers cannot drive.

EXAMPLES
  crash> driver bob
${see}`,
  run(s, args) {
    if (args.positional.length > 1) throw new CommandError('one NAME only');
    return pairing(s).driver(args.positional[0]);
  },
};

const follow: Command = {
  name: 'follow',
  summary: "see the driver's commands and output as they run (shared session)",
  help: `NAME
  follow - mirror the driver into your transcript

SYNOPSIS
  follow

DESCRIPTION
  The driver's command lines and their output show in your transcript, laid out
  for your terminal. Everyone follows from the start; "unfollow" stops it (you
  still see one line for each command anyone runs).
${see}`,
  run: (s) => pairing(s).follow(true),
};

const unfollow: Command = {
  name: 'unfollow',
  summary: "stop mirroring the driver's output (shared session)",
  help: `NAME
  unfollow - stop mirroring the driver

SYNOPSIS
  unfollow

DESCRIPTION
  The driver's output no longer shows in your transcript; each command anyone
  runs still shows as one line ("alice: bt").
${see}`,
  run: (s) => pairing(s).follow(false),
};

const say: Command = {
  name: 'say',
  summary: "put a line in everyone's transcript (shared session)",
  help: `NAME
  say - talk to the other participants

SYNOPSIS
  say TEXT

EXAMPLES
  crash> say look at the second CPU's stack
${see}`,
  run: (s, args) => pairing(s).say(args.raw.join(' ')),
};

const share: Command = {
  name: 'share',
  summary: 'send your last output to everyone in a shared session',
  help: `NAME
  share - show your last command's output to everyone

SYNOPSIS
  share

DESCRIPTION
  Sends the output of the last command you ran to every other participant, laid
  out for each one's terminal.

SHARING A DUMP
  crash-ts --share [NAME] [--group GROUP] VMLINUX VMCORE
      opens the dump once and listens on a unix socket (never a TCP port):
      $XDG_RUNTIME_DIR/crash-ts/NAME.sock, else /tmp/crash-ts-UID/NAME.sock,
      directory 0700 and socket 0600; with --group GROUP, /tmp/crash-ts-UID/
      0750 and the socket 0660 in that group. It prints how to join.
  crash-ts join [NAME | SOCKET] [--observe]
      joins from your own shell account (ssh -t host crash-ts join NAME): your
      own terminal, pager and history; pipes, > file and !shell run as you.
  crash-ts --share NAME --invite LABEL[,observe] [--key PUBKEY-FILE]
      prints an authorized_keys line for someone without an account:
      command="crash-ts join NAME --as LABEL",restrict,pty KEY. SSH checks the
      key; the forced command fixes the name. Such a guest runs under the host's
      account, so it gets no !shell, no shell pipes and no > file: only the
      built-in filters | grep [-v] [-i] PATTERN, | head [-n N], | tail [-n N],
      | wc -l.

  Inside: who, driver [NAME], follow, unfollow, say TEXT, share; every other
  command runs in your own session on the host's open dump.
${see}`,
  run: (s) => pairing(s).share(),
};

export default [who, driver, follow, unfollow, say, share];
