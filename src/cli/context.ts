/** What every command gets from the process edge: no command reads env or writes stdout itself. */
export interface CliContext {
  home: string;
  out: (line: string) => void;
  err: (line: string) => void;
}
