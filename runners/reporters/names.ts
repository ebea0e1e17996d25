// The reporters' names, for the command line to check `--reporter` without loading the reporters.

export const REPORTERS = ['pretty', 'json', 'junit', 'tap', 'html'] as const;
export type ReporterName = (typeof REPORTERS)[number];
