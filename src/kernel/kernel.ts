/** The kernel model: placeholder until the engine lands (issue 3). */
export class Kernel {}
