// The logging callback every long-running step takes.

/** Progress messages of the setup pipeline, one line each. */
export type Log = (msg: string) => void;
