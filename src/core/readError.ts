/** A dump that cannot be read (missing, not a regular file, cancelled): a sentence for the user, not a bug. */
export class DumpReadError extends Error {}
