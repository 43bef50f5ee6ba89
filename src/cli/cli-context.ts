/** Process-wide state the sub-commands share (the Ctrl-C signal); main sets it, commands read it, so neither imports the other. */
export const cliContext: { signal?: AbortSignal } = {};
