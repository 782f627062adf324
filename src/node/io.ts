/**
 * Where the command line writes: stdout and stderr, swappable so a test can call `main(argv)`
 * in-process and read what it printed (node --test reports through the process's own stdout).
 * @example io.out('done\n'); // process.stdout unless a test replaced it
 * @module
 */
export const io = {
  out: (s: string): void => void process.stdout.write(s),
  err: (s: string): void => void process.stderr.write(s),
};
