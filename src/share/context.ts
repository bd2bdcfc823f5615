/**
 * What a session in a shared dump knows of the sharing (Session.pairing): the in-session commands (who, driver,
 * follow, say, share) ask it, the REPL tells it each command line that ran, the terminal UI listens to it for the
 * transcript. The host implements it for itself and for each guest; a join client only listens.
 */
import type { View } from '../render/view.js';
import type { HostMessage } from './protocol.js';

/** What shows in a participant's transcript (the host messages a client prints as they come). */
export type PairingEvent = Extract<HostMessage, { t: 'line' | 'view' | 'missed' | 'end' }>;

export interface Pairing {
  /** run a command with the kernel model to itself: the host's own commands and guests' take turns */
  exclusive<T>(run: () => Promise<T>): Promise<T>;
  /** a command line ran in this session (its command name, its View or undefined when it failed) */
  ran(line: string, command: string, view: View | undefined): void;
  /** output that follows a command (the tour's ✓/✗ and next step): to a guest itself, and to a driver's followers */
  aside?(view: View): void;
  /** show transcript events as they come; returns the function that stops listening */
  listen(show: (e: PairingEvent) => void): () => void;
  who(): View;
  driver(name?: string): View;
  follow(on: boolean): View;
  say(text: string): View;
  share(): View;
}

/** The in-session commands of a shared session: they are not themselves put in the transcript. */
export const PAIRING_COMMANDS = new Set(['who', 'driver', 'follow', 'unfollow', 'say', 'share']);
